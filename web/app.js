// The page's entry point: finds the elements, wires the parts together, takes files from the
// picker, drops and pastes.

import { setTokenPrompt } from "./api.js";
import { announce } from "./dom.js";
import { formatLimit } from "./format.js";
import { loadLimits } from "./limits.js";
import { OptionsForm } from "./options.js";
import { ResultsTable } from "./results.js";
import { JobTracker } from "./tracker.js";
import { UploadList } from "./uploads.js";
import { Viewer } from "./viewer.js";

const byId = (id) => document.getElementById(id);

/** Asks yes or no in the page's confirmation dialog. */
function confirmInDialog(text) {
    const dialog = byId("confirm-dialog");
    byId("confirm-text").textContent = text;
    dialog.returnValue = "";
    return new Promise((resolve) => {
        dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
        dialog.showModal();
        // Cancel is the safe default for a destructive question.
        dialog.querySelector('button[value="cancel"]').focus();
    });
}

/** Asks for a bearer token in the page's token dialog; null when the person cancels. */
function promptForToken(rejected) {
    const dialog = byId("token-dialog");
    const input = byId("token-input");
    byId("token-text").textContent = rejected
        ? "The server refused that token. Enter another one; it is kept only for this browser tab."
        : "This server asks for an access token. It is kept only for this browser tab.";
    input.value = "";
    dialog.returnValue = "";
    return new Promise((resolve) => {
        // Not a submit button: Enter in the field must submit with "Use token", the form's first submitter.
        byId("token-cancel").onclick = () => dialog.close("cancel");
        const answer = () => (dialog.returnValue === "ok" ? input.value.trim() || null : null);
        dialog.addEventListener("close", () => resolve(answer()), { once: true });
        dialog.showModal();
        input.focus();
    });
}

function start() {
    const options = new OptionsForm(byId("options"));
    const tracker = new JobTracker();
    const viewer = new Viewer(byId("viewer"), (error) => announce(`Download failed: ${error.message}`));
    const results = new ResultsTable(
        {
            body: byId("results-body"),
            message: byId("results-message"),
            newer: byId("newer"),
            older: byId("older"),
            pageLabel: byId("page-label"),
            refresh: byId("refresh"),
            heading: byId("results-heading"),
        },
        tracker,
        viewer,
        confirmInDialog,
    );
    const uploads = new UploadList(byId("uploads"), byId("uploads-heading"), tracker, viewer, () =>
        results.refreshIfNewest(),
    );
    setTokenPrompt(promptForToken);
    loadLimits().then((limits) => {
        if (limits) byId("size-limit").textContent = formatLimit(limits.max_upload_bytes);
    });

    const take = (files) => {
        const list = Array.from(files ?? []);
        if (list.length === 0) return;
        const chosen = options.validated();
        if (!chosen) {
            announce("Fix the options first; nothing was uploaded.");
            return;
        }
        uploads.add(list, chosen);
    };

    const input = byId("file-input");
    const dropZone = byId("drop-zone");
    dropZone.addEventListener("click", () => input.click());
    input.addEventListener("change", () => {
        take(input.files);
        // Clearing lets the same file be chosen again.
        input.value = "";
    });

    // Anywhere on the page accepts a drop, so a near miss never makes the browser open the file.
    let dragDepth = 0;
    const hasFiles = (event) => Array.from(event.dataTransfer?.types ?? []).includes("Files");
    document.addEventListener("dragenter", (event) => {
        if (!hasFiles(event)) return;
        dragDepth += 1;
        dropZone.classList.add("is-dragging");
    });
    document.addEventListener("dragleave", () => {
        dragDepth = Math.max(0, dragDepth - 1);
        if (dragDepth === 0) dropZone.classList.remove("is-dragging");
    });
    document.addEventListener("dragover", (event) => {
        if (!hasFiles(event)) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = "copy";
    });
    document.addEventListener("drop", (event) => {
        if (!hasFiles(event)) return;
        event.preventDefault();
        dragDepth = 0;
        dropZone.classList.remove("is-dragging");
        take(event.dataTransfer.files);
    });

    document.addEventListener("paste", (event) => {
        // A paste into a text field stays a paste into the text field.
        if (event.target instanceof HTMLInputElement && event.target.type !== "radio") return;
        const files = Array.from(event.clipboardData?.files ?? []);
        if (files.length === 0) return;
        event.preventDefault();
        take(files);
    });

    results.load();
}

start();
