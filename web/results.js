// The table of recent jobs from `GET /api/images`, newest first, a page at a time. Rows follow
// the tracker's live updates; on a narrow screen the CSS lays each row out as a card.

import { ApiError, deleteImage, listImages, requestToken } from "./api.js";
import { describeError } from "./checks.js";
import { announce, button, h, icon } from "./dom.js";
import {
    describeOperations,
    formatBytes,
    formatDate,
    formatDims,
    formatDuration,
    processingTime,
    statusLabel,
} from "./format.js";
import { PREVIEW_SIZE, downloadLink, forgetPreviews, imageUrl, showPreview } from "./images.js";

const PAGE_SIZE = 10;

export class ResultsTable {
    /**
     * `elements`: {body, message, newer, older, pageLabel, refresh, heading}; `confirm(text)` resolves to a
     * boolean; `viewer` opens a job large.
     */
    constructor(elements, tracker, viewer, confirm) {
        this.el = elements;
        this.tracker = tracker;
        this.viewer = viewer;
        this.confirm = confirm;
        // cursors[i] is the `before` of page i (null for the newest page).
        this.cursors = [null];
        this.page = 0;
        this.next = null;
        this.loading = null;

        elements.refresh.addEventListener("click", () => this.load());
        elements.newer.addEventListener("click", () => this.goTo(this.page - 1));
        elements.older.addEventListener("click", () => {
            this.cursors[this.page + 1] = this.next;
            this.goTo(this.page + 1);
        });
        tracker.addEventListener("job", (event) => this.updateRow(event.detail));
        tracker.addEventListener("gone", (event) => this.rowFor(event.detail)?.remove());
    }

    goTo(page) {
        this.page = page;
        this.load().then(() => this.el.heading.focus());
    }

    /** Reloads the current page (the first one by default after an upload). */
    async load() {
        this.loading?.abort();
        const controller = new AbortController();
        this.loading = controller;
        this.el.body.setAttribute("aria-busy", "true");
        try {
            const before = this.cursors[this.page];
            const page = await listImages({ limit: PAGE_SIZE, before, signal: controller.signal });
            if (controller.signal.aborted) return;
            this.next = page.next ?? null;
            this.render(page.items ?? []);
            for (const job of page.items ?? []) this.tracker.update(job);
        } catch (error) {
            if (error.name === "AbortError") return;
            this.showMessage(`Could not load the list. ${describeError(error)}`, error);
        } finally {
            if (this.loading === controller) {
                this.loading = null;
                this.el.body.removeAttribute("aria-busy");
            }
        }
    }

    /** Reloads when the newest page is shown, so a new upload appears at the top. */
    refreshIfNewest() {
        if (this.page === 0) this.load();
    }

    render(items) {
        this.el.body.replaceChildren(...items.map((job) => this.row(job)));
        this.el.newer.disabled = this.page === 0;
        this.el.older.disabled = !this.next;
        this.el.pageLabel.textContent = `Page ${this.page + 1}`;
        if (items.length === 0) {
            this.showMessage(this.page === 0 ? "No images yet. Upload one above." : "No more images.");
        } else {
            this.showMessage("");
        }
    }

    showMessage(text, error = null) {
        const message = this.el.message;
        message.replaceChildren(text);
        message.classList.toggle("is-error", Boolean(error));
        if (error?.status === 401) {
            message.append(" ", button("Enter token", () => requestToken().then(() => this.load())));
        }
    }

    rowFor(id) {
        return this.el.body.querySelector(`tr[data-job-id="${CSS.escape(id)}"]`);
    }

    updateRow(job) {
        const row = this.rowFor(job.id);
        // A partial status (the 202 body) has no dimensions yet: wait for a full one.
        if (!row || !job.original) return;
        const focusedClass = row.contains(document.activeElement) ? document.activeElement.dataset.focusKey : null;
        const replacement = this.row(job);
        row.replaceWith(replacement);
        if (focusedClass) replacement.querySelector(`[data-focus-key="${focusedClass}"]`)?.focus();
    }

    row(job) {
        const name = job.filename || job.id;
        const completed = job.status === "completed";

        const original = thumbnail(job, "original", `Original of ${name}`);
        const result = completed ? thumbnail(job, "download", `Result of ${name}`) : pendingThumbnail(job.status);
        const preview = h(
            "button",
            {
                type: "button",
                class: "thumbs",
                "aria-label": `View ${name} large`,
                dataset: { focusKey: "view" },
                on: { click: () => this.viewer.open(this.tracker.jobs.get(job.id) ?? job) },
            },
            original,
            h("span", { class: "arrow", "aria-hidden": "true", text: "→" }),
            result,
        );

        const status = h(
            "td",
            { class: "status-cell", "data-label": "Status" },
            h(
                "span",
                { class: `status status-${job.status}` },
                icon(job.status),
                h("span", { class: "status-text", text: statusLabel(job.status) }),
            ),
            job.error ? h("p", { class: "job-error", text: job.error.message }) : null,
        );

        const time = processingTime(job);
        const reportError = (error) => announce(describeError(error));
        const download = downloadLink(job, "download", "Result", `Download the result of ${name}`, reportError);
        download.classList.remove("secondary");
        if (!completed) {
            download.removeAttribute("href");
            download.setAttribute("aria-disabled", "true");
            download.classList.add("is-disabled");
        }
        const originalLink = downloadLink(job, "original", "Original", `Download the original of ${name}`, reportError);
        const remove = button("Delete", () => this.remove(job), { variant: "danger", label: `Delete ${name}` });
        remove.dataset.focusKey = "delete";

        return h(
            "tr",
            { dataset: { jobId: job.id, status: job.status } },
            h("td", { class: "preview-cell", "data-label": "Preview" }, preview),
            h(
                "td",
                { class: "file-cell", "data-label": "File" },
                h("span", { class: "file-name", text: name, title: formatDate(job.uploaded_at) }),
                h("span", { class: "file-ops", text: describeOperations(job) }),
            ),
            status,
            h(
                "td",
                { class: "dims-cell", "data-label": "Dimensions" },
                beforeAfter(formatDims(job.original), completed ? formatDims(job.processed) : "…"),
            ),
            h(
                "td",
                { class: "bytes-cell", "data-label": "Size" },
                beforeAfter(formatBytes(job.original?.bytes), completed ? formatBytes(job.processed?.bytes) : "…"),
            ),
            h("td", { class: "time-cell", "data-label": "Time" }, time === null ? "–" : formatDuration(time)),
            h(
                "td",
                { class: "actions-cell", "data-label": "Actions" },
                h("div", { class: "actions" }, download, originalLink, remove),
            ),
        );
    }

    async remove(job) {
        const name = job.filename || job.id;
        const question = `“${name}” and its result will be removed from the server. This cannot be undone.`;
        if (!(await this.confirm(question))) return;
        try {
            await deleteImage(job.id);
        } catch (error) {
            if (!(error instanceof ApiError) || error.status !== 404) {
                announce(`Could not delete ${name}. ${describeError(error)}`);
                this.showMessage(`Could not delete ${name}. ${describeError(error)}`, error);
                return;
            }
        }
        this.tracker.forget(job.id);
        forgetPreviews(job);
        this.rowFor(job.id)?.remove();
        announce(`Deleted ${name}.`);
        await this.load();
        this.el.heading.focus();
    }
}

function thumbnail(job, which, alt) {
    const img = h("img", { alt, width: 48, height: 48, decoding: "async" });
    const holder = h("span", { class: "thumb" }, img);
    showPreview(img, holder, imageUrl(job, which, PREVIEW_SIZE));
    return holder;
}

function pendingThumbnail(status) {
    return h("span", { class: `thumb is-pending status-${status}` }, icon(status));
}

function beforeAfter(before, after) {
    return h(
        "span",
        { class: "before-after" },
        h("span", { text: before }),
        h("span", { class: "arrow", text: " →\u00a0" }),
        h("span", { text: after }),
    );
}
