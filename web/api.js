// The imageproc REST API as the page uses it. Every call answers a value or throws an ApiError;
// a 401 asks for a bearer token once (through the prompt the page installs) and retries.

const TOKEN_KEY = "imageproc.token";

/** A failed call: `status` 0 means the server could not be reached at all. */
export class ApiError extends Error {
    constructor({ status, code, message, retryAfter = null }) {
        super(message);
        this.name = "ApiError";
        this.status = status;
        this.code = code;
        this.retryAfter = retryAfter;
    }
}

let promptForToken = async () => null;
let pendingPrompt = null;
let declined = false;

/** Installs the function that asks the person for a token: `(rejected: boolean) => Promise<string|null>`. */
export function setTokenPrompt(prompt) {
    promptForToken = prompt;
}

function storedToken() {
    try {
        return sessionStorage.getItem(TOKEN_KEY);
    } catch {
        return null;
    }
}

function storeToken(token) {
    try {
        if (token) sessionStorage.setItem(TOKEN_KEY, token);
        else sessionStorage.removeItem(TOKEN_KEY);
    } catch {
        // Storage may be disabled; the token then lasts as long as the request.
    }
}

/**
 * Asks for a token, sharing one prompt between all the calls that got a 401 at the same time.
 * After the person declined, later 401s fail at once until `requestToken` is called again.
 */
function obtainToken(rejected) {
    if (declined) return Promise.resolve(null);
    pendingPrompt ??= promptForToken(rejected)
        .then((token) => {
            if (token) storeToken(token);
            else declined = true;
            return token || null;
        })
        .finally(() => {
            pendingPrompt = null;
        });
    return pendingPrompt;
}

/** Asks for a (new) token now, e.g. from an "Enter token" button after the person declined. */
export function requestToken() {
    declined = false;
    return obtainToken(Boolean(storedToken()));
}

/**
 * Runs `attempt(headers)` with the Authorization header; on 401 asks for a token and tries again,
 * until the server takes it or the person cancels. `attempt` answers anything with a numeric `status`.
 */
async function withAuth(attempt) {
    let sent = storedToken();
    let response = await attempt(authHeaders(sent));
    while (response.status === 401) {
        let token = storedToken();
        if (token === sent) {
            // The token we sent (or its absence) was refused: forget it and ask. Otherwise another
            // call has obtained a new token meanwhile: just use it.
            storeToken(null);
            token = await obtainToken(Boolean(sent));
        }
        if (!token) return response;
        sent = token;
        response = await attempt(authHeaders(token));
    }
    return response;
}

function authHeaders(token) {
    return token ? { Authorization: `Bearer ${token}` } : {};
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date), or null. */
function parseRetryAfter(value) {
    if (!value) return null;
    const seconds = Number(value);
    if (Number.isFinite(seconds)) return Math.max(0, seconds);
    const date = Date.parse(value);
    return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** The ApiError for an error answer, from the server's `{"error": {"code", "message"}}` when it sent one. */
function errorFromResponse(status, bodyText, retryAfterHeader) {
    let code = `http_${status}`;
    let message = "";
    try {
        const body = JSON.parse(bodyText);
        if (body && body.error) {
            code = body.error.code ?? code;
            message = body.error.message ?? "";
        }
    } catch {
        // Not JSON (a proxy's error page, say): keep the status alone.
    }
    return new ApiError({ status, code, message, retryAfter: parseRetryAfter(retryAfterHeader) });
}

const unreachable = (cause) =>
    new ApiError({ status: 0, code: "unreachable", message: cause?.message ?? "network error" });

async function send(method, url, { signal, headers = {} } = {}) {
    try {
        return await withAuth((auth) => fetch(url, { method, signal, headers: { ...headers, ...auth } }));
    } catch (error) {
        if (error.name === "AbortError") throw error;
        throw unreachable(error);
    }
}

async function json(method, url, options) {
    const response = await send(method, url, { ...options, headers: { Accept: "application/json" } });
    if (!response.ok) {
        throw errorFromResponse(response.status, await response.text(), response.headers.get("Retry-After"));
    }
    return response.status === 204 ? null : response.json();
}

/** Query string of the processing options for `POST /api/images`. */
export function uploadQuery(options) {
    const query = new URLSearchParams({ op: options.op });
    if (options.op.includes("resize")) {
        if (options.width) query.set("width", options.width);
        if (options.height) query.set("height", options.height);
        query.set("fit", options.fit);
    }
    query.set("format", options.format);
    if (options.format !== "png") query.set("quality", options.quality);
    return query.toString();
}

/**
 * Uploads one file as multipart/form-data with XMLHttpRequest, for its upload progress events.
 * Resolves to the 202 body `{id, status, links}`; `onProgress(loaded, total)` follows the bytes.
 */
export async function uploadImage(file, options, { onProgress, signal } = {}) {
    const url = `/api/images?${uploadQuery(options)}`;
    const result = await withAuth((auth) => xhrPost(url, file, auth, onProgress, signal));
    if (result.status === 0) throw unreachable();
    if (result.status !== 202 && result.status !== 201 && result.status !== 200) {
        throw errorFromResponse(result.status, result.text, result.retryAfter);
    }
    return JSON.parse(result.text);
}

function xhrPost(url, file, headers, onProgress, signal) {
    return new Promise((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open("POST", url);
        xhr.setRequestHeader("Accept", "application/json");
        for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
        if (onProgress) xhr.upload.addEventListener("progress", (event) => onProgress(event.loaded, event.total));
        xhr.addEventListener("load", () =>
            resolve({ status: xhr.status, text: xhr.responseText, retryAfter: xhr.getResponseHeader("Retry-After") }),
        );
        xhr.addEventListener("error", () => resolve({ status: 0, text: "", retryAfter: null }));
        xhr.addEventListener("abort", () => reject(new DOMException("upload cancelled", "AbortError")));
        if (signal) {
            if (signal.aborted) {
                reject(new DOMException("upload cancelled", "AbortError"));
                return;
            }
            signal.addEventListener("abort", () => xhr.abort(), { once: true });
        }
        const form = new FormData();
        form.append("file", file, file.name || "pasted-image");
        xhr.send(form);
    });
}

/** `GET /api/images/{id}?wait=S`: the status, held by the server until terminal or S seconds. */
export function getImage(id, { wait = 0, signal } = {}) {
    const suffix = wait > 0 ? `?wait=${wait}` : "";
    return json("GET", `/api/images/${encodeURIComponent(id)}${suffix}`, { signal });
}

/** `GET /api/images?limit=N&before=C`: `{items, next}`, newest first. */
export function listImages({ limit = 10, before = null, signal } = {}) {
    const query = new URLSearchParams({ limit: String(limit) });
    if (before) query.set("before", before);
    return json("GET", `/api/images?${query}`, { signal });
}

/** `DELETE /api/images/{id}`. */
export function deleteImage(id) {
    return json("DELETE", `/api/images/${encodeURIComponent(id)}`);
}

/**
 * Fetches image bytes (a preview, a download) as a Blob, with the token when there is one.
 * `maxBytes` refuses an answer announced larger than that, so a server without previews
 * never makes the page pull a 16 MB original for a thumbnail.
 */
export async function fetchBlob(url, { maxBytes = Infinity, signal } = {}) {
    const controller = new AbortController();
    signal?.addEventListener("abort", () => controller.abort(), { once: true });
    const response = await send("GET", url, { signal: controller.signal });
    if (!response.ok) {
        throw errorFromResponse(response.status, await response.text(), response.headers.get("Retry-After"));
    }
    const length = Number(response.headers.get("Content-Length"));
    if (Number.isFinite(length) && length > maxBytes) {
        controller.abort();
        throw new ApiError({ status: response.status, code: "too_large_for_preview", message: "no preview" });
    }
    const blob = await response.blob();
    return { blob, filename: filenameFrom(response.headers.get("Content-Disposition")) };
}

/** The filename of a `Content-Disposition: attachment; filename=…` header (RFC 6266), or null. */
function filenameFrom(disposition) {
    if (!disposition) return null;
    const extended = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition);
    if (extended) {
        try {
            return decodeURIComponent(extended[1].trim());
        } catch {
            // fall through to the plain parameter
        }
    }
    const plain = /filename\s*=\s*("((?:[^"\\]|\\.)*)"|[^;]+)/i.exec(disposition);
    if (!plain) return null;
    return plain[2] !== undefined ? plain[2].replace(/\\(.)/g, "$1") : plain[1].trim();
}

/** True when a token is stored for this tab. */
export function hasToken() {
    return Boolean(storedToken());
}
