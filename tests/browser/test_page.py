"""The upload page in a real browser, against the real imageproc and PostgreSQL.

Each test opens the page in a fresh headless Chromium, works it as a person would (file input,
options form, buttons, dialogs) and checks what the page shows, what it downloads, and that
the browser logged no JavaScript error.
"""

import base64
import io
import re
import time

import pytest
from PIL import Image, ImageChops
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import api_json, api_upload, png_bytes

PROCESS_TIMEOUT_S = 90
RESIZE_WIDTH = 320


# -- helpers ---------------------------------------------------------------------------------


def open_page(browser, base_url):
    browser.get(f"{base_url}/")
    WebDriverWait(browser, 15).until(EC.element_to_be_clickable((By.ID, "drop-zone")))
    # The first list load has finished (rows, or the "no images" message).
    WebDriverWait(browser, 15).until(lambda d: d.find_element(By.ID, "results-body").get_attribute("aria-busy") is None)


def choose_options(browser, op="resize,grayscale", width=RESIZE_WIDTH, height=None, fit="inside", fmt="same"):
    browser.find_element(By.CSS_SELECTOR, f'input[name="op"][value="{op}"]').click()
    if "resize" in op:
        for name, value in (("width", width), ("height", height)):
            field = browser.find_element(By.ID, name)
            field.send_keys(Keys.CONTROL, "a", Keys.DELETE)
            if value is not None:
                field.send_keys(str(value))
        Select(browser.find_element(By.ID, "fit")).select_by_value(fit)
    Select(browser.find_element(By.ID, "format")).select_by_value(fmt)


def upload(browser, *paths):
    browser.find_element(By.ID, "file-input").send_keys("\n".join(str(path) for path in paths))


def card(browser, filename):
    """The upload card of `filename` (the newest one when there are several)."""
    for element in browser.find_elements(By.CSS_SELECTOR, "#uploads li.upload"):
        if element.find_element(By.CSS_SELECTOR, ".upload-name").text == filename:
            return element
    return None


def wait_for_card_state(browser, filename, states, timeout=PROCESS_TIMEOUT_S):
    def reached(driver):
        element = card(driver, filename)
        return element if element is not None and element.get_attribute("data-state") in states else False

    try:
        return WebDriverWait(browser, timeout).until(reached)
    except TimeoutException:
        element = card(browser, filename)
        shown = "no card" if element is None else f"{element.get_attribute('data-state')}: {element.text!r}"
        pytest.fail(f"{filename} never reached {states}; the page shows {shown}")


def row(browser, job_id):
    rows = browser.find_elements(By.CSS_SELECTOR, f'#results-body tr[data-job-id="{job_id}"]')
    return rows[0] if rows else None


def wait_for_row_status(browser, job_id, status, timeout=PROCESS_TIMEOUT_S):
    def reached(driver):
        element = row(driver, job_id)
        return element if element is not None and element.get_attribute("data-status") == status else False

    return WebDriverWait(browser, timeout).until(reached, f"row of {job_id} never showed {status}")


def wait_for_download(folder, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if not p.name.endswith((".crdownload", ".tmp")) and p.stat().st_size > 0]
        if done:
            return done[0]
        time.sleep(0.2)
    pytest.fail(f"no download appeared in {folder} within {timeout} s: {list(folder.iterdir())}")


def is_gray(image):
    """True when every pixel has R = G = B (within JPEG rounding), or the image is single-channel."""
    if image.mode in ("L", "LA", "I", "I;16"):
        return True
    rgb = image.convert("RGB")
    red, green, blue = rgb.split()
    spread = max(ImageChops.difference(red, green).getextrema()[1], ImageChops.difference(green, blue).getextrema()[1])
    return spread <= 3


def screenshot(browser, folder, name, width, height, dark=False, full_page=True):
    """A PNG of the page (all of it, or the viewport) at a CSS viewport of width×height (mobile below 600 px)."""
    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]},
    )
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    time.sleep(0.3)  # let layout and image decoding settle after the resize
    page_height = (
        browser.execute_script("return Math.ceil(document.documentElement.scrollHeight)") if full_page else height
    )
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": full_page,
            "clip": {"x": 0, "y": 0, "width": width, "height": max(height, page_height), "scale": 1},
        },
    )
    (folder / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))


def javascript_errors(browser, allowed_statuses=(), allowed_network_errors=()):
    """Severe browser-log entries, except failed loads the test caused on purpose: answers with one
    of `allowed_statuses`, or network errors (net::ERR_…) named in `allowed_network_errors`."""
    problems = []
    for entry in browser.get_log("browser"):
        if entry["level"] != "SEVERE":
            continue
        message = entry["message"]
        if entry.get("source") == "network":
            status = re.search(r"status of (\d{3})", message)
            if status and int(status.group(1)) in allowed_statuses:
                continue
            if any(f"net::{name}" in message for name in allowed_network_errors):
                continue
        problems.append(message)
    return problems


# -- tests -----------------------------------------------------------------------------------


def test_uploads_two_images_then_views_and_downloads_a_gray_resized_result(
    browser, base_url, images, download_dir, screenshot_dir
):
    open_page(browser, base_url)
    choose_options(browser, op="resize,grayscale", width=RESIZE_WIDTH, fmt="same")
    upload(browser, images["png"], images["jpeg"])

    ids = {}
    for path in (images["png"], images["jpeg"]):
        element = wait_for_card_state(browser, path.name, {"completed"})
        bar = element.find_element(By.TAG_NAME, "progress")
        assert bar.get_property("value") == 100, f"{path.name}: upload bar at {bar.get_property('value')}"
        assert element.find_element(By.CSS_SELECTOR, ".upload-percent").text == "100 %"
        assert element.find_element(By.CSS_SELECTOR, ".upload-status").text.startswith("Completed")
        ids[path.name] = element.get_attribute("data-job-id")
        assert ids[path.name], f"{path.name}: card has no job id"

    # Both rows reach `completed` in the results table, with what the server reports.
    png_id = ids[images["png"].name]
    for name, job_id in ids.items():
        element = wait_for_row_status(browser, job_id, "completed")
        status, job = api_json(base_url, f"/api/images/{job_id}")
        assert status == 200 and job["status"] == "completed"
        assert job["processed"]["width"] == RESIZE_WIDTH
        dims = element.find_element(By.CSS_SELECTOR, ".dims-cell").text
        expected = (
            f"{job['original']['width']} × {job['original']['height']} → {RESIZE_WIDTH} × {job['processed']['height']}"
        )
        assert dims == expected, f"{name}: dimensions shown {dims!r}"
        assert "→" in element.find_element(By.CSS_SELECTOR, ".bytes-cell").text
        assert re.fullmatch(
            r"\d+(\.\d)? (ms|s)|\d+ min \d+ s", element.find_element(By.CSS_SELECTOR, ".time-cell").text
        )
        assert element.find_element(By.CSS_SELECTOR, ".file-name").text == name
    png_row = row(browser, png_id)
    assert png_row.find_element(By.CSS_SELECTOR, ".dims-cell").text == f"640 × 480 → {RESIZE_WIDTH} × 240"

    # Thumbnails of the original and of the result load.
    WebDriverWait(browser, 20).until(
        lambda d: (
            all(
                img.get_property("naturalWidth") > 0
                for img in row(d, png_id).find_elements(By.CSS_SELECTOR, ".thumb img")
            )
            and len(row(d, png_id).find_elements(By.CSS_SELECTOR, ".thumb img")) == 2
        ),
        "the PNG's thumbnails never loaded",
    )

    screenshot(browser, screenshot_dir, "desktop", 1280, 900)
    screenshot(browser, screenshot_dir, "desktop-dark", 1280, 900, dark=True)
    screenshot(browser, screenshot_dir, "phone", 390, 844)
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}
    )
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})

    # Open the PNG's result large, beside its original.
    row(browser, png_id).find_element(By.CSS_SELECTOR, "button.thumbs").click()
    viewer = WebDriverWait(browser, 10).until(EC.visibility_of_element_located((By.ID, "viewer")))
    assert viewer.find_element(By.ID, "viewer-title").text == images["png"].name
    WebDriverWait(browser, 20).until(
        lambda d: (
            d.find_element(By.ID, "viewer-result").get_property("naturalWidth") > 0
            and d.find_element(By.ID, "viewer-original").get_property("naturalWidth") > 0
        ),
        "the viewer's images never loaded",
    )
    assert browser.find_element(By.ID, "viewer-original").get_property("naturalWidth") == 640
    assert browser.find_element(By.ID, "viewer-result").get_property("naturalWidth") == RESIZE_WIDTH
    assert f"{RESIZE_WIDTH} × 240" in browser.find_element(By.ID, "viewer-result-caption").text
    screenshot(browser, screenshot_dir, "viewer", 1280, 900, full_page=False)
    screenshot(browser, screenshot_dir, "viewer-phone", 390, 844, full_page=False)
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}
    )
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})

    # Download the result from the viewer and check the file itself.
    viewer.find_element(By.LINK_TEXT, "Download result").click()
    downloaded = wait_for_download(download_dir)
    with Image.open(downloaded) as result:
        result.load()
        assert result.format == "PNG", f"{downloaded.name} is {result.format}"
        assert result.size == (RESIZE_WIDTH, 240)
        assert is_gray(result), f"{downloaded.name} is not gray (mode {result.mode})"
    viewer.find_element(By.CSS_SELECTOR, 'button[value="close"]').click()
    WebDriverWait(browser, 5).until(EC.invisibility_of_element_located((By.ID, "viewer")))

    # A text file named .jpg is refused on its own card, before any upload.
    upload(browser, images["text"])
    element = wait_for_card_state(browser, images["text"].name, {"rejected"}, timeout=10)
    assert "Not a JPEG or PNG" in element.find_element(By.CSS_SELECTOR, ".upload-status").text
    assert element.find_element(By.CSS_SELECTOR, ".upload-status").is_displayed()
    # The two good uploads are untouched.
    for path in (images["png"], images["jpeg"]):
        assert card(browser, path.name).get_attribute("data-state") == "completed"

    screenshot(browser, screenshot_dir, "desktop-after-reject", 1280, 900)
    assert javascript_errors(browser) == []


def test_a_file_the_server_refuses_shows_the_servers_reason_on_that_file(browser, base_url, images):
    open_page(browser, base_url)
    choose_options(browser, op="grayscale")
    upload(browser, images["corrupt"])
    element = wait_for_card_state(browser, images["corrupt"].name, {"error", "failed", "completed"}, timeout=60)
    assert element.get_attribute("data-state") in ("error", "failed"), "a corrupt JPEG was processed"
    message = element.find_element(By.CSS_SELECTOR, ".upload-status").text
    assert re.search(r"damaged|incomplete|could not|Failed", message), message
    # The refusal is an HTTP error the browser logs as a failed load; nothing else may be logged.
    assert javascript_errors(browser, allowed_statuses=(415, 422)) == []


def test_delete_asks_first_then_removes_the_image(browser, base_url, images):
    open_page(browser, base_url)
    choose_options(browser, op="grayscale")
    upload(browser, images["png"])
    job_id = wait_for_card_state(browser, images["png"].name, {"completed"}).get_attribute("data-job-id")
    element = wait_for_row_status(browser, job_id, "completed")

    element.find_element(By.CSS_SELECTOR, "button.danger").click()
    dialog = WebDriverWait(browser, 5).until(EC.visibility_of_element_located((By.ID, "confirm-dialog")))
    assert images["png"].name in dialog.text
    # Cancel has the focus: Enter keeps the image.
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    WebDriverWait(browser, 5).until(EC.invisibility_of_element_located((By.ID, "confirm-dialog")))
    assert api_json(base_url, f"/api/images/{job_id}")[0] == 200
    assert row(browser, job_id) is not None

    row(browser, job_id).find_element(By.CSS_SELECTOR, "button.danger").click()
    WebDriverWait(browser, 5).until(EC.element_to_be_clickable((By.ID, "confirm-ok"))).click()
    WebDriverWait(browser, 10).until(lambda d: row(d, job_id) is None, "the deleted row stayed")
    assert api_json(base_url, f"/api/images/{job_id}")[0] == 404
    assert javascript_errors(browser) == []


def test_options_are_remembered_between_visits(browser, base_url):
    open_page(browser, base_url)
    choose_options(browser, op="resize", width=123, height=45, fit="cover", fmt="png")
    browser.refresh()
    WebDriverWait(browser, 10).until(EC.element_to_be_clickable((By.ID, "drop-zone")))
    assert browser.find_element(By.CSS_SELECTOR, 'input[name="op"][value="resize"]').is_selected()
    assert browser.find_element(By.ID, "width").get_property("value") == "123"
    assert browser.find_element(By.ID, "height").get_property("value") == "45"
    assert Select(browser.find_element(By.ID, "fit")).first_selected_option.get_attribute("value") == "cover"
    assert Select(browser.find_element(By.ID, "format")).first_selected_option.get_attribute("value") == "png"
    # PNG has no quality setting: the slider is disabled.
    assert not browser.find_element(By.ID, "quality").is_enabled()
    assert javascript_errors(browser) == []


def test_invalid_size_is_explained_and_nothing_is_uploaded(browser, base_url, images):
    open_page(browser, base_url)
    choose_options(browser, op="resize", width=None, height=None)
    upload(browser, images["png"])
    error = WebDriverWait(browser, 5).until(EC.visibility_of_element_located((By.ID, "options-error")))
    assert "width" in error.text
    assert browser.find_elements(By.CSS_SELECTOR, "#uploads li.upload") == []
    assert browser.switch_to.active_element.get_attribute("id") == "width"
    assert javascript_errors(browser) == []


def test_the_page_checks_against_the_limits_the_server_announces(browser, base_url, tmp_path):
    # make test starts the server with a body limit other than the default (40 MiB): the page must show and
    # enforce the server's value, not a copy of the default.
    status, limits = api_json(base_url, "/api/limits")
    assert status == 200
    assert limits["max_upload_bytes"] == 40 * 1024 * 1024
    open_page(browser, base_url)
    WebDriverWait(browser, 5).until(lambda d: d.find_element(By.ID, "size-limit").text == "40 MiB")
    too_large = tmp_path / "too-large.png"
    too_large.write_bytes(png_bytes(8, 8) + bytes(limits["max_upload_bytes"]))
    upload(browser, str(too_large))
    row = WebDriverWait(browser, 10).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, '#uploads li.upload[data-state="rejected"]')))
    assert "at most 40 MiB" in row.text
    choose_options(browser, op="resize", width=limits["dimension"]["maximum"] + 1)
    upload(browser, str(too_large))
    error = WebDriverWait(browser, 5).until(EC.visibility_of_element_located((By.ID, "options-error")))
    assert f"from 1 to {limits['dimension']['maximum']}" in error.text
    assert javascript_errors(browser) == []


def set_offline(browser, offline):
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )


def test_an_unreachable_server_is_shown_and_retry_uploads_once_it_is_back(browser, base_url, images):
    open_page(browser, base_url)
    choose_options(browser, op="grayscale")
    set_offline(browser, True)
    upload(browser, images["png"])
    element = wait_for_card_state(browser, images["png"].name, {"error"}, timeout=20)
    assert "Cannot reach the server" in element.find_element(By.CSS_SELECTOR, ".upload-status").text
    browser.find_element(By.ID, "refresh").click()
    WebDriverWait(browser, 10).until(
        EC.text_to_be_present_in_element((By.ID, "results-message"), "Cannot reach the server")
    )

    set_offline(browser, False)
    element.find_element(By.XPATH, ".//button[normalize-space()='Retry']").click()
    element = wait_for_card_state(browser, images["png"].name, {"completed"})
    assert element.find_element(By.TAG_NAME, "progress").get_property("value") == 100
    # The list loads again after the upload, without its error message.
    WebDriverWait(browser, 10).until(
        lambda d: row(d, element.get_attribute("data-job-id")) is not None, "the list never came back"
    )
    assert "Cannot reach" not in browser.find_element(By.ID, "results-message").text
    assert javascript_errors(browser, allowed_network_errors=("ERR_INTERNET_DISCONNECTED",)) == []


def test_a_pasted_image_is_uploaded(browser, base_url, images):
    open_page(browser, base_url)
    choose_options(browser, op="grayscale")
    encoded = base64.b64encode(images["png"].read_bytes()).decode()
    # What a paste of an image file delivers: a paste event whose clipboardData holds the file.
    browser.execute_script(
        """
        const bytes = Uint8Array.from(atob(arguments[0]), (c) => c.charCodeAt(0));
        const data = new DataTransfer();
        data.items.add(new File([bytes], "pasted.png", { type: "image/png" }));
        document.body.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true }));
        """,
        encoded,
    )
    element = wait_for_card_state(browser, "pasted.png", {"completed"})
    status, job = api_json(base_url, f"/api/images/{element.get_attribute('data-job-id')}")
    assert status == 200 and job["filename"] == "pasted.png" and job["processed"]["width"] == 640
    assert javascript_errors(browser) == []


def row_ids(browser):
    return [r.get_attribute("data-job-id") for r in browser.find_elements(By.CSS_SELECTOR, "#results-body tr")]


def test_results_are_newest_first_and_page_by_ten(browser, base_url):
    uploaded = [api_upload(base_url, f"page-{n:02}.png", png_bytes(24 + n, 16))["id"] for n in range(12)]
    open_page(browser, base_url)
    first_page = row_ids(browser)
    assert len(first_page) == 10
    assert first_page == list(reversed(uploaded))[:10], "the newest upload is not first"
    assert browser.find_element(By.ID, "page-label").text == "Page 1"
    assert not browser.find_element(By.ID, "newer").is_enabled()

    browser.find_element(By.ID, "older").click()
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.ID, "page-label"), "Page 2"))
    WebDriverWait(browser, 10).until(lambda d: row_ids(d) and row_ids(d)[0] == uploaded[1], "page 2 did not load")
    assert row_ids(browser)[:2] == [uploaded[1], uploaded[0]]
    assert not set(row_ids(browser)) & set(first_page)
    # Focus moves to the list's heading, so a keyboard user starts reading the new page.
    assert browser.switch_to.active_element.get_attribute("id") == "results-heading"

    browser.find_element(By.ID, "newer").click()
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.ID, "page-label"), "Page 1"))
    WebDriverWait(browser, 10).until(lambda d: row_ids(d) == first_page, "page 1 did not come back")
    assert javascript_errors(browser) == []


def test_a_large_photo_row_fits_the_table_at_desktop_width(browser, base_url):
    """A camera-sized photo's row (long dimensions and sizes) must not push the Delete button out of view."""
    photo = io.BytesIO()
    Image.radial_gradient("L").resize((5640, 3172)).convert("RGB").save(photo, "JPEG", quality=95)
    job = api_upload(base_url, "IMG_20261122_123456_HDR.jpg", photo.getvalue(), "op=resize,grayscale&width=800")
    open_page(browser, base_url)
    wait_for_row_status(browser, job["id"], "completed")
    overflow = browser.execute_script(
        "const w = document.querySelector('.table-wrap'); return w.scrollWidth - w.clientWidth;"
    )
    assert overflow <= 0, f"the results table is {overflow} px wider than its box at 1280 px"
    assert row(browser, job["id"]).find_element(By.CSS_SELECTOR, ".dims-cell").text.startswith("5640 × 3172")
    assert javascript_errors(browser) == []
