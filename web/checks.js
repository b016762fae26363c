// What the page checks before an upload (what the server would refuse anyway), and the
// words for what the server refused. The server decides by the file's first bytes, not its
// name or the browser's guess, so the page does the same.

import { formatBytes, formatLimit } from "./format.js";
import { limits } from "./limits.js";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

const startsWith = (bytes, signature) => signature.every((byte, index) => bytes[index] === byte);

/** "jpeg", "png", or null, from the first bytes of `file`. */
export async function sniffImageType(file) {
    const bytes = new Uint8Array(await file.slice(0, PNG_SIGNATURE.length).arrayBuffer());
    if (startsWith(bytes, JPEG_SIGNATURE)) return "jpeg";
    if (startsWith(bytes, PNG_SIGNATURE)) return "png";
    return null;
}

/** Resolves to null when `file` may be uploaded, else to the reason it may not. */
export async function checkFile(file, maxBytes = limits()?.max_upload_bytes ?? Infinity) {
    if (file.size === 0) return "This file is empty.";
    if (file.size > maxBytes) {
        return `This file is ${formatBytes(file.size)}; the server accepts at most ${formatLimit(maxBytes)}.`;
    }
    let type;
    try {
        type = await sniffImageType(file);
    } catch {
        return "This file could not be read.";
    }
    if (!type) return "Not a JPEG or PNG image (checked by its content, not its name).";
    return null;
}

const UNPROCESSABLE = {
    corrupt_image: "The server could not read this image: it is damaged.",
    truncated_image: "This image is incomplete (cut off before its end).",
    too_many_pixels: "This image has more pixels than the server allows.",
    too_complex: "This image is built in a way that would take far too long to decode.",
    too_large_for_memory: "Processing this image as asked needs more memory than the server has; "
        + "try a smaller width or JPEG instead of PNG.",
};

const UNAVAILABLE = {
    database_unavailable: "The server's database is unavailable",
    backlog_full: "The server is busy",
};

/**
 * A sentence for a person about an ApiError (status 0 = unreachable); the server's own
 * message follows when it adds something.
 */
export function describeError(error) {
    const detail = error.message && error.status !== 0 ? ` (${error.message})` : "";
    switch (error.status) {
        case 0:
            return "Cannot reach the server. Check your connection or that imageproc is running.";
        case 400:
            return `The server refused the options${detail}.`;
        case 401:
            return "This server needs an access token.";
        case 404:
            return "This image no longer exists on the server.";
        case 413:
            return `Too large for the server${detail}.`;
        case 415:
            return `Not a JPEG or PNG image, says the server${detail}.`;
        case 422:
            return `${UNPROCESSABLE[error.code] ?? "The server could not process this image."}${detail}`;
        case 429:
        case 503:
            return `${UNAVAILABLE[error.code] ?? "The server is unavailable"}${detail}.`;
        default:
            return `The server answered ${error.status}${detail}.`;
    }
}
