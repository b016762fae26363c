// This session's uploads: one card per file, from the checks before sending, through the
// upload bar, to the job's live status. Every failure is written on the card it concerns.

import { requestToken, uploadImage } from "./api.js";
import { checkFile, describeError } from "./checks.js";
import { announce, button, h, icon } from "./dom.js";
import { formatBytes, formatDims, formatDuration, processingTime, statusLabel } from "./format.js";

const UPLOAD_SLOTS = 2;
const MAX_AUTOMATIC_RETRIES = 20;
const DEFAULT_RETRY_SECONDS = 5;

/**
 * States (the card's data-state): checking, rejected, waiting, uploading, retrying (503, counting
 * down), error (needs a person: retry or token), queued, processing, completed, failed.
 */
export class UploadList {
    /** `onAccepted(job)` runs when the server accepted a file; `viewer` opens a job large. */
    constructor(list, heading, tracker, viewer, onAccepted) {
        this.list = list;
        this.heading = heading;
        this.tracker = tracker;
        this.viewer = viewer;
        this.onAccepted = onAccepted;
        this.waiting = [];
        this.active = 0;
        this.byJob = new Map();
        tracker.addEventListener("job", (event) => this.byJob.get(event.detail.id)?.jobChanged(event.detail));
        tracker.addEventListener("trouble", (event) => {
            this.byJob.get(event.detail.id)?.pollTrouble(event.detail.error);
        });
        tracker.addEventListener("gone", (event) => this.byJob.get(event.detail)?.gone());
    }

    /** Adds files with the options chosen now: each is checked, then uploaded as a slot frees. */
    add(files, options) {
        this.heading.hidden = false;
        for (const file of files) {
            const upload = new Upload(file, options, this);
            this.list.prepend(upload.card);
            upload.check();
        }
    }

    enqueue(upload) {
        this.waiting.push(upload);
        this.pump();
    }

    pump() {
        while (this.active < UPLOAD_SLOTS && this.waiting.length > 0) {
            const upload = this.waiting.shift();
            this.active += 1;
            upload.send().finally(() => {
                this.active -= 1;
                this.pump();
            });
        }
    }
}

class Upload {
    constructor(file, options, owner) {
        this.file = file;
        this.options = options;
        this.owner = owner;
        this.job = null;
        this.retries = 0;
        this.controller = null;
        this.countdown = null;
        const name = file.name || "pasted image";

        this.icon = h("span", { class: "upload-icon" });
        this.progress = h("progress", { max: 100, value: 0, "aria-label": `Upload of ${name}` });
        this.percent = h("span", { class: "upload-percent", "aria-hidden": "true", text: "0 %" });
        this.status = h("p", { class: "upload-status" });
        this.actions = h("div", { class: "upload-actions" });
        this.card = h(
            "li",
            { class: "upload" },
            h(
                "div",
                { class: "upload-head" },
                this.icon,
                h("span", { class: "upload-name", text: name, title: name }),
                h("span", { class: "upload-size", text: formatBytes(file.size) }),
            ),
            h("div", { class: "upload-bar" }, this.progress, this.percent),
            this.status,
            this.actions,
        );
        this.name = name;
    }

    setState(state, message, { announceIt = false, actions = [] } = {}) {
        this.card.dataset.state = state;
        this.icon.replaceChildren(icon(iconFor(state)));
        this.status.textContent = message;
        this.status.classList.toggle("is-error", state === "rejected" || state === "error" || state === "failed");
        this.actions.replaceChildren(...actions);
        if (announceIt) announce(`${this.name}: ${message}`);
    }

    setProgress(fraction) {
        const percent = Math.min(100, Math.round(fraction * 100));
        this.progress.value = percent;
        this.percent.textContent = `${percent} %`;
    }

    async check() {
        this.setState("checking", "Checking…");
        const problem = await checkFile(this.file);
        if (problem) {
            this.progress.hidden = true;
            this.percent.hidden = true;
            this.setState("rejected", problem, { announceIt: true, actions: [this.dismissButton()] });
            return;
        }
        this.setState("waiting", "Waiting to upload…", { actions: [this.cancelButton()] });
        this.owner.enqueue(this);
    }

    async send() {
        if (this.card.dataset.state === "cancelled") return;
        this.controller = new AbortController();
        this.setProgress(0);
        this.setState("uploading", "Uploading…", { actions: [this.cancelButton()] });
        try {
            const accepted = await uploadImage(this.file, this.options, {
                signal: this.controller.signal,
                onProgress: (loaded, total) => this.setProgress(total > 0 ? loaded / total : 0),
            });
            this.setProgress(1);
            this.job = accepted;
            this.owner.byJob.set(accepted.id, this);
            this.card.dataset.jobId = accepted.id;
            announce(`${this.name}: uploaded.`);
            // The tracker's first event sets the card's state from the 202 body ("queued").
            this.owner.tracker.update(accepted);
            this.owner.onAccepted(accepted);
        } catch (error) {
            if (error.name === "AbortError") return;
            this.uploadFailed(error);
        } finally {
            this.controller = null;
        }
    }

    uploadFailed(error) {
        const message = describeError(error);
        if ((error.status === 503 || error.status === 429) && this.retries < MAX_AUTOMATIC_RETRIES) {
            this.retries += 1;
            this.retryIn(error.retryAfter ?? DEFAULT_RETRY_SECONDS, message);
            return;
        }
        const actions = [];
        if (error.status === 401) {
            actions.push(button("Enter token", () => requestToken().then((token) => token && this.resend())));
        } else if (error.status === 0 || error.status === 429 || error.status >= 500) {
            actions.push(button("Retry", () => this.resend(), { label: `Retry ${this.name}` }));
        }
        actions.push(this.dismissButton());
        this.setState("error", message, { announceIt: true, actions });
    }

    /** Counts down `seconds`, then uploads again by itself (the server said when to come back). */
    retryIn(seconds, reason) {
        let remaining = Math.max(1, Math.ceil(seconds));
        const tick = () => {
            this.setState("retrying", `${reason} Retrying in ${remaining} s…`, { actions: [this.cancelButton()] });
            if (remaining <= 0) {
                this.countdown = null;
                this.resend();
                return;
            }
            remaining -= 1;
            this.countdown = window.setTimeout(tick, 1000);
        };
        announce(`${this.name}: ${reason} Retrying in ${remaining} seconds.`);
        tick();
    }

    resend() {
        this.setState("waiting", "Waiting to upload…", { actions: [this.cancelButton()] });
        this.owner.enqueue(this);
    }

    jobChanged(job) {
        this.job = job;
        if (job.status === "completed") {
            const time = processingTime(job);
            const parts = [];
            if (job.original && job.processed) {
                parts.push(`${formatDims(job.original)} → ${formatDims(job.processed)}`);
            }
            if (time !== null) parts.push(`in ${formatDuration(time)}`);
            this.setState("completed", parts.length > 0 ? `Completed: ${parts.join(", ")}.` : "Completed.", {
                announceIt: true,
                actions: [this.viewButton(job)],
            });
        } else if (job.status === "failed") {
            const reason = job.error?.message ?? "the server gave no reason";
            this.setState("failed", `Failed: ${reason}`, { announceIt: true, actions: [this.dismissButton()] });
        } else if (job.status === "queued") {
            this.setState("queued", "Uploaded; waiting in the queue…");
        } else {
            this.setState(job.status, `${statusLabel(job.status)}…`);
        }
    }

    pollTrouble(error) {
        const state = this.card.dataset.state;
        const reason = describeError(error);
        this.status.textContent = `${statusLabel(state)}. Status updates interrupted: ${reason} Trying again…`;
        this.status.classList.add("is-error");
    }

    gone() {
        this.setState("failed", "Deleted from the server.", { actions: [this.dismissButton()] });
    }

    cancel() {
        this.card.dataset.state = "cancelled";
        window.clearTimeout(this.countdown);
        this.countdown = null;
        this.controller?.abort();
        const index = this.owner.waiting.indexOf(this);
        if (index >= 0) this.owner.waiting.splice(index, 1);
        this.setState("cancelled", "Cancelled.", { announceIt: true, actions: [this.dismissButton()] });
    }

    cancelButton() {
        return button("Cancel", () => this.cancel(), { variant: "secondary", label: `Cancel ${this.name}` });
    }

    dismissButton() {
        const dismiss = () => {
            const next = this.card.nextElementSibling ?? this.card.previousElementSibling;
            this.card.remove();
            if (this.job) this.owner.byJob.delete(this.job.id);
            (next?.querySelector("button") ?? document.getElementById("drop-zone")).focus();
        };
        return button("Dismiss", dismiss, { variant: "secondary", label: `Dismiss ${this.name}` });
    }

    viewButton(job) {
        const open = () => this.owner.viewer.open(this.owner.tracker.jobs.get(job.id) ?? job);
        return button("View", open, { label: `View ${this.name} large` });
    }
}

function iconFor(state) {
    switch (state) {
        case "checking":
        case "waiting":
        case "retrying":
        case "cancelled":
            return "waiting";
        case "rejected":
        case "error":
            return "failed";
        default:
            return state;
    }
}
