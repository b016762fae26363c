// Small DOM helpers: element creation without innerHTML (so no markup is ever built from
// server strings) and the status icons, drawn as inline SVG so they need no font or file.

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * Creates an element. `props` keys: `class`, `text`, `dataset` (object), `on` (event → handler),
 * attributes otherwise (a `false`/`null` value leaves the attribute out). Children may be
 * nodes, strings, or null (skipped).
 */
export function h(tag, props = {}, ...children) {
    const element = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
        if (value === null || value === undefined || value === false) continue;
        if (key === "class") element.className = value;
        else if (key === "text") element.textContent = value;
        else if (key === "dataset") Object.assign(element.dataset, value);
        else if (key === "on") {
            for (const [type, handler] of Object.entries(value)) element.addEventListener(type, handler);
        } else element.setAttribute(key, value === true ? "" : String(value));
    }
    element.append(...children.filter((child) => child !== null && child !== undefined));
    return element;
}

/** A small button: `variant` is "" (primary), "secondary" or "danger"; `label` overrides its accessible name. */
export function button(text, onClick, { variant = "", label = null } = {}) {
    const classes = ["button", "small", variant].filter(Boolean).join(" ");
    return h("button", { type: "button", class: classes, text, "aria-label": label, on: { click: onClick } });
}

// Each icon is a list of path data on a 16×16 grid, stroked with the current colour.
const ICON_PATHS = {
    queued: ["M8 1.5a6.5 6.5 0 1 0 0 13a6.5 6.5 0 1 0 0-13", "M8 4.5V8l2.5 1.5"],
    processing: ["M8 1.5a6.5 6.5 0 0 1 6.5 6.5"],
    uploading: ["M8 12.5V3.5", "M4.5 7L8 3.5L11.5 7"],
    completed: ["M8 1.5a6.5 6.5 0 1 0 0 13a6.5 6.5 0 1 0 0-13", "M5 8.2l2 2l4-4.4"],
    failed: ["M8 1.5a6.5 6.5 0 1 0 0 13a6.5 6.5 0 1 0 0-13", "M5.6 5.6l4.8 4.8", "M10.4 5.6l-4.8 4.8"],
    download: ["M8 2.5v8", "M4.8 7.5L8 10.7l3.2-3.2", "M3 13.5h10"],
    waiting: ["M8 1.5a6.5 6.5 0 1 0 0 13a6.5 6.5 0 1 0 0-13", "M5 8h.01", "M8 8h.01", "M11 8h.01"],
};

/** An inline SVG icon for a state (see ICON_PATHS), hidden from assistive technology. */
export function icon(state) {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 16 16");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", `icon icon-${state}`);
    for (const d of ICON_PATHS[state] ?? ICON_PATHS.waiting) {
        const path = document.createElementNS(SVG_NS, "path");
        path.setAttribute("d", d);
        svg.append(path);
    }
    return svg;
}

const announcer = () => document.getElementById("announcer");

/** Reads a short message to screen-reader users through the page's polite live region. */
export function announce(message) {
    const region = announcer();
    if (!region) return;
    // Clearing first makes a repeated message be read again.
    region.textContent = "";
    window.setTimeout(() => {
        region.textContent = message;
    }, 50);
}
