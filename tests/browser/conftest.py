"""Fixtures of the browser test: the server under test, a headless Chromium, and test images.

The server is the real imageproc that `make test` starts (IMAGEPROC_URL); the test fails,
never skips, when it is missing or not ready.
"""

import io
import json
import os
import random
import struct
import time
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import pytest
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
READY_TIMEOUT_S = 60


@pytest.fixture(scope="session")
def base_url():
    url = os.environ.get("IMAGEPROC_URL", "").rstrip("/")
    if not url:
        pytest.fail(
            "IMAGEPROC_URL is not set: run the test through scripts/browser-test.sh against a running imageproc"
        )
    deadline = time.monotonic() + READY_TIMEOUT_S
    last = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=5) as response:
                if response.status == 200:
                    return url
        except (urllib.error.URLError, OSError) as error:
            last = error
        time.sleep(0.5)
    pytest.fail(f"imageproc at {url} was not ready within {READY_TIMEOUT_S} s ({last})")


@pytest.fixture(scope="session")
def screenshot_dir():
    path = Path(os.environ.get("SCREENSHOT_DIR", ".build/screenshots"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def download_dir(tmp_path):
    path = tmp_path / "downloads"
    path.mkdir()
    return path


@pytest.fixture
def browser(download_dir):
    """A fresh headless Chromium (new profile: empty storage) at desktop size, logging the console."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,900",
        "--force-device-scale-factor=1",
        "--lang=en-US",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(download_dir),
            "download.prompt_for_download": False,
            "safebrowsing.enabled": False,
        },
    )
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download_dir)})
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}
    )
    yield driver
    driver.quit()


def png_bytes(width, height):
    """An RGB PNG written by hand (zlib + struct): a colour gradient with a red square."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type None
        for x in range(width):
            if width // 4 <= x < width // 2 and height // 4 <= y < height // 2:
                rows += bytes((220, 30, 30))
            else:
                rows += bytes((x * 255 // width, y * 255 // height, 160))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 6))
        + chunk(b"IEND", b"")
    )


def jpeg_bytes(width, height):
    """A colourful, noisy RGB JPEG (like a photo, so it does not compress to nothing)."""
    image = Image.new("RGB", (width, height))
    generator = random.Random(6)
    pixels = [
        (
            min(255, x * 255 // width + generator.randrange(24)),
            min(255, y * 255 // height + generator.randrange(24)),
            min(255, 90 + generator.randrange(60)),
        )
        for y in range(height)
        for x in range(width)
    ]
    image.putdata(pixels)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture(scope="session")
def images(tmp_path_factory):
    """Paths of the test files: a 640×480 PNG, a 1200×800 JPEG, and text named .jpg."""
    folder = tmp_path_factory.mktemp("images")
    files = {
        "png": (folder / "gradient.png", png_bytes(640, 480)),
        "jpeg": (folder / "noise-photo.jpg", jpeg_bytes(1200, 800)),
        "text": (folder / "notes.jpg", b"These are notes, not a picture.\n" * 20),
        # A JPEG signature, then nothing a decoder can read: passes the page's check, not the server's.
        "corrupt": (folder / "broken.jpg", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8),
    }
    for path, data in files.values():
        path.write_bytes(data)
    return {key: path for key, (path, _) in files.items()}


def api_upload(base_url, filename, data, query="op=grayscale"):
    """POSTs one image as multipart/form-data (outside the browser); answers the 202 body."""
    boundary = f"----imageproc-test-{random.getrandbits(64):016x}"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"{base_url}/api/images?{query}",
        data=body,
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 202, f"upload of {filename}: {response.status}"
        return json.load(response)


def api_json(base_url, path):
    """GET a JSON document from the API (outside the browser): status and body."""
    try:
        with urllib.request.urlopen(f"{base_url}{path}", timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, None
