// What the server accepts, read once from its public GET /api/limits, so that the page checks files and
// options against the server's own values instead of copies of them. Until the answer arrives, or when
// the server cannot be asked, nothing is checked here: the server refuses what it must either way.

let current = null;

/** Asks the server for its limits; resolves to them, or to null when it could not tell. */
export async function loadLimits() {
    try {
        const response = await fetch("/api/limits", { headers: { Accept: "application/json" } });
        if (response.ok) current = await response.json();
    } catch {
        // Offline or an old server: the page still works, the server's 413 and 400 say the rest.
    }
    return current;
}

/** The limits loaded, or null. */
export function limits() {
    return current;
}
