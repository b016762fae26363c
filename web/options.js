// The processing options form: its values, their validation, and their memory between visits.

import { limits } from "./limits.js";

const STORAGE_KEY = "imageproc.options";
const DEFAULTS = { op: "resize,grayscale", width: "800", height: "", fit: "inside", format: "same", quality: "85" };

const FIT_HINTS = {
    inside: "Inside: the whole image fits within the box; the aspect ratio is kept.",
    cover: "Cover: the image fills the box; the aspect ratio is kept and the overflow is cropped at the centre.",
    fill: "Fill: the image is stretched to exactly the box; the aspect ratio is not kept.",
};

/** Binds the options form: restores the saved values, keeps the dependent fields in step, saves changes. */
export class OptionsForm {
    constructor(form) {
        this.form = form;
        this.error = form.querySelector("#options-error");
        this.restore();
        this.sync();
        form.addEventListener("input", () => {
            this.sync();
            this.save();
        });
        form.addEventListener("change", () => {
            this.sync();
            this.save();
        });
        form.addEventListener("submit", (event) => event.preventDefault());
    }

    /** The current values, as strings (the API's query parameters). */
    values() {
        const data = new FormData(this.form);
        return {
            op: data.get("op") ?? DEFAULTS.op,
            width: (data.get("width") ?? "").trim(),
            height: (data.get("height") ?? "").trim(),
            fit: data.get("fit") ?? DEFAULTS.fit,
            format: data.get("format") ?? DEFAULTS.format,
            quality: data.get("quality") ?? DEFAULTS.quality,
        };
    }

    /**
     * The values when they are valid, else null after showing why (and focusing the field).
     * Disabled fields are absent from FormData, so the values are read from the elements.
     */
    validated() {
        const elements = this.form.elements;
        const options = {
            ...this.values(),
            width: elements.width.value.trim(),
            height: elements.height.value.trim(),
            fit: elements.fit.value,
            quality: elements.quality.value,
        };
        const problem = this.problem(options);
        this.showProblem(problem);
        if (problem) {
            problem.field?.focus();
            return null;
        }
        return options;
    }

    problem(options) {
        if (!options.op.includes("resize")) return null;
        const elements = this.form.elements;
        const { minimum, maximum } = limits()?.dimension ?? { minimum: 1, maximum: Infinity };
        for (const name of ["width", "height"]) {
            const value = options[name];
            if (value === "") continue;
            const number = Number(value);
            if (!Number.isInteger(number) || number < minimum || number > maximum) {
                const range = maximum === Infinity ? `of at least ${minimum}` : `from ${minimum} to ${maximum}`;
                const message = `The ${name} must be a whole number ${range}.`;
                return { message, field: elements[name] };
            }
        }
        if (!options.width && !options.height) {
            return { message: "Resizing needs a width, a height, or both.", field: elements.width };
        }
        return null;
    }

    showProblem(problem) {
        this.error.hidden = !problem;
        this.error.textContent = problem?.message ?? "";
        for (const name of ["width", "height"]) {
            this.form.elements[name].setAttribute("aria-invalid", String(problem?.field === this.form.elements[name]));
        }
    }

    /** Enables the fields that matter for the chosen operation and format, and explains the fit. */
    sync() {
        const { op, format } = this.values();
        const resizing = op.includes("resize");
        this.form.querySelector("#resize-fields").disabled = !resizing;
        this.form.querySelector("#quality-field").classList.toggle("is-disabled", format === "png");
        this.form.elements.quality.disabled = format === "png";
        this.form.querySelector("#quality-value").textContent = this.form.elements.quality.value;
        this.form.querySelector("#fit-hint").textContent = FIT_HINTS[this.form.elements.fit.value] ?? "";
        if (!this.error.hidden) this.showProblem(this.problem({ ...this.values(), op }));
    }

    restore() {
        let saved = {};
        try {
            saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "{}") ?? {};
        } catch {
            saved = {};
        }
        const values = { ...DEFAULTS, ...saved };
        const elements = this.form.elements;
        for (const radio of this.form.querySelectorAll('input[name="op"]')) radio.checked = radio.value === values.op;
        if (!this.form.querySelector('input[name="op"]:checked')) {
            this.form.querySelector(`input[name="op"][value="${DEFAULTS.op}"]`).checked = true;
        }
        elements.width.value = values.width;
        elements.height.value = values.height;
        elements.fit.value = values.fit;
        elements.format.value = values.format;
        elements.quality.value = values.quality;
        // An unknown saved value leaves a select empty: fall back to the default.
        if (!elements.fit.value) elements.fit.value = DEFAULTS.fit;
        if (!elements.format.value) elements.format.value = DEFAULTS.format;
    }

    save() {
        const elements = this.form.elements;
        const values = {
            op: this.values().op,
            width: elements.width.value,
            height: elements.height.value,
            fit: elements.fit.value,
            format: elements.format.value,
            quality: elements.quality.value,
        };
        try {
            localStorage.setItem(STORAGE_KEY, JSON.stringify(values));
        } catch {
            // Private browsing may refuse storage; the options then last for this visit.
        }
    }
}
