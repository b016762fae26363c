// Pictures from the API: previews for the table, full images for the viewer, and downloads.
// Everything goes through fetch so that a bearer token travels with it (an <img src> or a
// plain link cannot send one); the bytes reach the page as blob: URLs, which the CSP allows.

import { fetchBlob, hasToken } from "./api.js";
import { h, icon } from "./dom.js";

/** The edge length the server's previews are asked for. */
export const PREVIEW_SIZE = 256;
// A preview far larger than this means the server ignored `?preview=`: show a placeholder
// rather than pull a camera original into a 48-pixel cell.
const MAX_PREVIEW_BYTES = 2 * 1024 * 1024;
const CACHE_LIMIT = 120;

const previewCache = new Map();

/** The URL of a job's original or result (`which`: "original" | "download"), optionally a preview. */
export function imageUrl(job, which, preview = null) {
    const base = job.links?.[which === "original" ? "original" : "download"] ?? `/api/images/${job.id}/${which}`;
    return preview ? `${base}${base.includes("?") ? "&" : "?"}preview=${preview}` : base;
}

function cachedPreview(url) {
    let entry = previewCache.get(url);
    if (entry) {
        // Map keeps insertion order: move to the end, so the oldest is evicted first.
        previewCache.delete(url);
    } else {
        entry = fetchBlob(url, { maxBytes: MAX_PREVIEW_BYTES }).then((result) => result.blob);
        // A failure is not cached: the next render tries again.
        entry.catch(() => previewCache.delete(url));
    }
    previewCache.set(url, entry);
    while (previewCache.size > CACHE_LIMIT) previewCache.delete(previewCache.keys().next().value);
    return entry;
}

/**
 * Shows `blobPromise`'s picture in `img`; on failure marks `holder` with `is-missing`, which the
 * CSS turns into a placeholder. The object URL is revoked once decoded: the image stays drawn.
 */
async function show(img, holder, blobPromise) {
    holder.classList.add("is-loading");
    try {
        const blob = await blobPromise;
        const url = URL.createObjectURL(blob);
        img.addEventListener("load", () => URL.revokeObjectURL(url), { once: true });
        img.addEventListener(
            "error",
            () => {
                URL.revokeObjectURL(url);
                holder.classList.add("is-missing");
            },
            { once: true },
        );
        img.src = url;
    } catch {
        holder.classList.add("is-missing");
    } finally {
        holder.classList.remove("is-loading");
    }
}

/** Loads a small preview (cached between renders of the table). */
export function showPreview(img, holder, url) {
    return show(img, holder, cachedPreview(url));
}

/** Loads a full image (the viewer), not cached. */
export function showFull(img, holder, url, signal) {
    return show(img, holder, fetchBlob(url, { signal }).then((result) => result.blob));
}

/** Drops a job's previews from the cache (after a delete, or when its result appears). */
export function forgetPreviews(job) {
    for (const which of ["original", "download"]) previewCache.delete(imageUrl(job, which, PREVIEW_SIZE));
}

/**
 * Makes `link` (an <a download> to the API) work with a token too: without one, the browser
 * follows the link and the server's Content-Disposition names the file; with one, the bytes
 * are fetched with the header and saved from a blob: URL under the server's filename.
 * `onError(error)` reports a failure.
 */
export function wireDownload(link, onError) {
    link.addEventListener("click", async (event) => {
        if (!hasToken() || !link.hasAttribute("href")) return;
        event.preventDefault();
        try {
            const { blob, filename } = await fetchBlob(link.href);
            const url = URL.createObjectURL(blob);
            const temporary = document.createElement("a");
            temporary.href = url;
            temporary.download = filename ?? "";
            document.body.append(temporary);
            temporary.click();
            temporary.remove();
            window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
        } catch (error) {
            onError(error);
        }
    });
}

/**
 * A download button (a link) for a job's result or original (`which`: "download" | "original"),
 * its focus key set to `which` so that a re-rendered row can give the focus back.
 */
export function downloadLink(job, which, text, label, onError) {
    const link = h(
        "a",
        {
            class: "button small secondary",
            href: imageUrl(job, which),
            download: "",
            "aria-label": label,
            dataset: { focusKey: which },
        },
        icon("download"),
        text,
    );
    wireDownload(link, onError);
    return link;
}
