// The large view: the original and the result side by side in a modal dialog.

import { h } from "./dom.js";
import { formatBytes, formatDims, describeOperations, statusLabel } from "./format.js";
import { downloadLink, imageUrl, showFull } from "./images.js";

/** Opens jobs in the page's <dialog id="viewer">. `onError(error)` reports a failed download. */
export class Viewer {
    constructor(dialog, onError) {
        this.dialog = dialog;
        this.onError = onError;
        this.controller = null;
        this.originalImg = dialog.querySelector("#viewer-original");
        this.resultImg = dialog.querySelector("#viewer-result");
        dialog.addEventListener("close", () => this.clear());
        // A click on the backdrop (outside the dialog's box) closes it, as Escape does.
        dialog.addEventListener("click", (event) => {
            if (event.target === dialog) dialog.close();
        });
    }

    open(job) {
        this.clear();
        this.controller = new AbortController();
        const dialog = this.dialog;
        dialog.querySelector("#viewer-title").textContent = job.filename || "Image";
        dialog.dataset.jobId = job.id;

        this.originalImg.alt = `Original of ${job.filename || "the image"}`;
        dialog.querySelector("#viewer-original-caption").textContent =
            `Original · ${formatDims(job.original)} · ${formatBytes(job.original?.bytes)}`;
        showFull(this.originalImg, this.originalImg.parentElement, imageUrl(job, "original"), this.controller.signal);

        const resultCaption = dialog.querySelector("#viewer-result-caption");
        this.resultImg.alt = `Result of ${job.filename || "the image"} (${describeOperations(job)})`;
        if (job.status === "completed") {
            const { processed } = job;
            resultCaption.textContent = `Result · ${formatDims(processed)} · ${formatBytes(processed?.bytes)}`;
            showFull(this.resultImg, this.resultImg.parentElement, imageUrl(job, "download"), this.controller.signal);
        } else {
            const reason = job.error ? `: ${job.error.message}` : "";
            resultCaption.textContent = `Result · ${statusLabel(job.status)}${reason}`;
            this.resultImg.parentElement.classList.add("is-missing");
        }

        const actions = dialog.querySelector("#viewer-actions");
        const links = [];
        if (job.status === "completed") {
            links.push(downloadLink(job, "download", "Download result", null, this.onError));
        }
        links.push(downloadLink(job, "original", "Download original", null, this.onError));
        actions.replaceChildren(h("p", { class: "viewer-ops", text: describeOperations(job) }), ...links);
        dialog.showModal();
    }

    clear() {
        this.controller?.abort();
        this.controller = null;
        for (const img of [this.originalImg, this.resultImg]) {
            img.removeAttribute("src");
            img.parentElement.classList.remove("is-missing", "is-loading");
        }
    }
}
