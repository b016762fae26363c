// Text for people: byte counts, durations, dimensions, operations and statuses.

const UNITS = ["KB", "MB", "GB"];

/** 1234567 → "1.2 MB" (decimal units, as file managers show them). */
export function formatBytes(bytes) {
    if (!Number.isFinite(bytes)) return "–";
    if (bytes < 1000) return `${bytes} B`;
    let value = bytes;
    let unit = "B";
    for (const next of UNITS) {
        if (value < 1000) break;
        value /= 1000;
        unit = next;
    }
    return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${unit}`;
}

/** 52428800 → "50 MiB": limits are binary, so say them as the server counts them. */
export function formatLimit(bytes) {
    const mebibytes = bytes / (1024 * 1024);
    return Number.isInteger(mebibytes) ? `${mebibytes} MiB` : formatBytes(bytes);
}

/** Milliseconds → "85 ms", "2.4 s", "3 min 5 s". */
export function formatDuration(ms) {
    if (!Number.isFinite(ms) || ms < 0) return "–";
    if (ms < 1000) return `${Math.round(ms)} ms`;
    const seconds = ms / 1000;
    if (seconds < 60) return `${seconds.toFixed(1)} s`;
    const minutes = Math.floor(seconds / 60);
    return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

/** The time from upload to the end of processing, or null while it is not known. */
export function processingTime(job) {
    if (!job.processed_at || !job.uploaded_at) return null;
    return Date.parse(job.processed_at) - Date.parse(job.uploaded_at);
}

/** `{width, height}` → "4000 × 3000", or "–". */
export function formatDims(image) {
    return image && image.width && image.height ? `${image.width} × ${image.height}` : "–";
}

/** A job's pipeline in words: "resize 800 × auto (inside), grayscale → JPEG". */
export function describeOperations(job) {
    const parameters = job.parameters ?? {};
    const steps = (job.operations ?? []).map((operation) => {
        if (operation !== "resize") return operation;
        const width = parameters.width ?? "auto";
        const height = parameters.height ?? "auto";
        return `resize ${width} × ${height} (${parameters.fit ?? "inside"})`;
    });
    const format = parameters.format && parameters.format !== "same" ? ` → ${parameters.format.toUpperCase()}` : "";
    return steps.join(", ") + format;
}

const STATUS_LABELS = {
    queued: "Queued",
    processing: "Processing",
    completed: "Completed",
    failed: "Failed",
};

/** "completed" → "Completed". */
export function statusLabel(status) {
    return STATUS_LABELS[status] ?? status;
}

/** An absolute date for a tooltip, in the reader's locale. */
export function formatDate(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? "" : date.toLocaleString();
}
