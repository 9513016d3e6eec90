// splitviz explorer: the one front end shared by the notebook widget and the HTML report.
//
// A plain ES module with no imports, no bundler and no network access:
//  * anywidget loads it as the widget's `_esm` and calls `default.render({model, el})`;
//  * the single-file report inlines it as a module script and calls `mount(el, data)`.
// Everything that comes from the user's program (node names, source lines, string
// arguments, error messages) is written with textContent, never parsed as HTML, and the
// Graphviz SVG is parsed as XML and stripped of anything that could run.
// @ts-check

/**
 * What the engine knows of one FX node (``splitviz.details.node_details``), plus, in the
 * diff view, how the decomposition touched it.
 * @typedef {Object} NodeInfo
 * @property {string} name
 * @property {string} op
 * @property {string} target
 * @property {string[]} [args]
 * @property {Object<string, string>} [kwargs]
 * @property {string | null} [value]
 * @property {string | null} [piece]
 * @property {string[]} [users]
 * @property {string | null} [source]
 * @property {string | null} [stack_trace]
 * @property {string | null} [module]
 * @property {string[] | null} [shape]
 * @property {string} [dtype]
 * @property {string[] | null} [stride]
 * @property {string} [device]
 * @property {string} [expr]
 * @property {"added" | "removed" | "changed"} [diff]
 * @property {string} [before]
 * @property {string} [after]
 */

/**
 * One value crossing a piece boundary (``splitviz.ledger.Crossing``).
 * @typedef {Object} CrossingRow
 * @property {string} name
 * @property {string} kind
 * @property {string} from
 * @property {string[]} to
 * @property {string} what
 * @property {boolean} hazard
 * @property {string | null} [why]
 * @property {string | null} [source]
 * @property {number | null} [nbytes]
 */

/**
 * @typedef {Object} ErrorRow
 * @property {string} type
 * @property {string} message
 * @property {string} [text]
 */

/**
 * The outcome of compiling one piece (``splitviz.compile.CompileResult``).
 * @typedef {Object} CompileRow
 * @property {string} piece
 * @property {boolean} ok
 * @property {number} seconds
 * @property {boolean} [dynamic]
 * @property {ErrorRow | null} [error]
 * @property {string | null} [code]
 */

/**
 * @typedef {Object} VerifyCheck
 * @property {Object<string, number>} sizes
 * @property {boolean} ok
 * @property {number | null} max_abs_diff
 * @property {ErrorRow | null} [error]
 * @property {string | null} [piece]
 */

/**
 * @typedef {Object} VerifyData
 * @property {boolean} ok
 * @property {number | null} max_abs_diff
 * @property {VerifyCheck[]} checks
 * @property {string[]} [compiled_pieces]
 * @property {string[]} [eager_pieces]
 */

/**
 * @typedef {Object} Results
 * @property {CompileRow[] | null} [compile]
 * @property {VerifyData | null} [verify]
 * @property {string[]} [pending] pieces still waiting to be compiled
 */

/** name -> [op, target, value description, piece, source line]: enough for search and tooltips. */
/** @typedef {Object<string, (string | null)[]>} NodeIndex */

/**
 * @typedef {Object} ExplorerOptions
 * @property {(name: string) => void} [onSelect] a node was clicked (or chosen from a list)
 * @property {(query: string) => void} [onSearch] the search text changed
 * @property {(value: string) => void} [onHighlight] a crossing was chosen in the ledger
 * @property {(view: string) => void} [onOpenView] a piece was double-clicked
 * @property {string} [detailsId] an id for the details element (the report uses ``sv-details``)
 */

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * Make an element; strings among the children become text nodes (never HTML).
 * @param {string} tag
 * @param {Object<string, any>} [props] properties (``className``, ``title``, ``onclick``...) or ``data-*``/``aria-*`` attributes
 * @param {...(Node | string | number | null | undefined | false)} children
 * @returns {HTMLElement}
 */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key.startsWith("data-") || key.startsWith("aria-") || key === "role") el.setAttribute(key, String(value));
    else /** @type {any} */ (el)[key] = value;
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
  }
  return el;
}

/** @param {number} s */
function fmtSeconds(s) {
  return s < 1 ? `${(s * 1000).toFixed(0)} ms` : `${s.toFixed(2)} s`;
}

/** @param {number | null | undefined} x */
function fmtDiff(x) {
  if (x === null || x === undefined) return "∞";
  if (x === 0) return "0";
  return x.toExponential(2);
}

/** @param {Object<string, number>} sizes */
function fmtSizes(sizes) {
  const parts = Object.entries(sizes || {}).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(" ") : "static sizes";
}

/** @param {number | null | undefined} n */
function fmtBytes(n) {
  if (n === null || n === undefined) return "";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Parse Graphviz SVG text as XML and keep only drawing: no scripts, no foreign
 * content, no event handlers, no links leaving the document.
 * @param {string} text
 * @returns {SVGSVGElement | null}
 */
export function parseSvg(text) {
  if (!text) return null;
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  const root = doc.documentElement;
  if (!root || root.localName !== "svg" || doc.getElementsByTagName("parsererror").length) return null;
  for (const bad of Array.from(root.querySelectorAll("script, foreignObject, iframe, object, embed, style"))) {
    bad.remove();
  }
  for (const el of [root, ...Array.from(root.querySelectorAll("*"))]) {
    for (const attr of Array.from(el.attributes)) {
      const name = attr.name.toLowerCase();
      const value = attr.value.trim().toLowerCase();
      if (name.startsWith("on")) el.removeAttribute(attr.name);
      else if ((name === "href" || name === "xlink:href") && !value.startsWith("#")) el.removeAttribute(attr.name);
      else if (name === "xlink:title" || name === "title") {
        // the renderer's tooltip, shown by ours (as text) instead of the browser's slow native one
        el.setAttribute("data-sv-tip", attr.value);
        el.removeAttribute(attr.name);
      }
      else if (value.includes("javascript:")) el.removeAttribute(attr.name);
    }
  }
  return /** @type {SVGSVGElement} */ (/** @type {unknown} */ (document.importNode(root, true)));
}

/** @param {Element} el */
function titleOf(el) {
  const t = Array.from(el.children).find((c) => c.localName === "title");
  return t ? (t.textContent || "").trim() : "";
}

/**
 * One parsed diagram, ready to show again without parsing (views are revisited often).
 * @typedef {Object} Drawing
 * @property {SVGSVGElement} svg
 * @property {Map<string, Element[]>} nodes FX name -> its drawings
 * @property {Map<string, Element>} pieces piece name -> its cluster or node
 * @property {{x: number, y: number, w: number, h: number} | null} base the drawing's own viewBox
 * @property {{x: number, y: number, k: number} | null} at where the user left it
 */

/**
 * Parse a diagram and index it: node names (from ``<title>``, per the SVG
 * contract), pieces, crossing values; titles then go (native tooltips would
 * double ours).
 * @param {string} text
 * @returns {Drawing | null}
 */
function prepare(text) {
  const svg = parseSvg(text);
  if (!svg) return null;
  /** @type {Map<string, Element[]>} */
  const nodes = new Map();
  /** @type {Map<string, Element>} */
  const pieces = new Map();
  // FX nodes, and stand-ins (an input drawn at each use, a piece's boundary values):
  // a stand-in's title is "<fx name>@<where>"; FX names never contain "@".
  for (const g of Array.from(svg.querySelectorAll("g.sv-node, g.sv-proxy"))) {
    const title = titleOf(g);
    const name = g.classList.contains("sv-proxy") ? title.split("@")[0] : title;
    if (!name || name.includes("@")) continue;
    g.setAttribute("data-sv-name", name);
    const seen = nodes.get(name);
    if (seen) seen.push(g);
    else nodes.set(name, [g]);
  }
  for (const g of Array.from(svg.querySelectorAll(".sv-piece"))) {
    const name = titleOf(g).replace(/^cluster_/, "");
    if (!name || g.hasAttribute("data-sv-name")) continue;
    g.setAttribute("data-sv-piece", name);
    pieces.set(name, g);
  }
  for (const g of Array.from(svg.querySelectorAll("g.sv-crossing"))) {
    const values = Array.from(g.classList).filter((x) => x.startsWith("sv-value-")).map((x) => x.slice(9));
    if (values.length) g.setAttribute("data-sv-value", values.join(" "));
  }
  for (const t of Array.from(svg.querySelectorAll("title"))) t.remove();
  return { svg, nodes, pieces, base: null, at: null };
}

/**
 * Pan and zoom of one <svg> inside a container, by rewriting its viewBox so the
 * drawing stays vector-sharp at every scale.
 */
class Viewport {
  /** @param {HTMLElement} canvas */
  constructor(canvas) {
    this.canvas = canvas;
    /** @type {SVGSVGElement | null} */
    this.svg = null;
    this.base = { x: 0, y: 0, w: 1, h: 1 };
    this.x = 0;
    this.y = 0;
    /** pixels per SVG unit */
    this.k = 1;
    this.frame = 0;
    this.pendingHome = false;
  }

  /**
   * @param {SVGSVGElement} svg
   * @param {{x: number, y: number, w: number, h: number} | null} [base] known extent (a drawing shown before)
   * @returns {{x: number, y: number, w: number, h: number}}
   */
  attach(svg, base = null) {
    this.svg = svg;
    if (base) {
      this.base = base;
      return base;
    }
    const vb = (svg.getAttribute("viewBox") || "").trim().split(/[\s,]+/).map(Number);
    if (vb.length === 4 && vb.every(Number.isFinite) && vb[2] > 0 && vb[3] > 0) {
      this.base = { x: vb[0], y: vb[1], w: vb[2], h: vb[3] };
    } else {
      const w = parseFloat(svg.getAttribute("width") || "100") || 100;
      const h = parseFloat(svg.getAttribute("height") || "100") || 100;
      this.base = { x: 0, y: 0, w, h };
    }
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    svg.setAttribute("preserveAspectRatio", "xMinYMin meet");
    svg.classList.add("sv-svg");
    return this.base;
  }

  size() {
    const r = this.canvas.getBoundingClientRect();
    return { w: Math.max(r.width, 50), h: Math.max(r.height, 50) };
  }

  /** Fit the whole drawing in view. */
  fit() {
    const { w, h } = this.size();
    const k = Math.min(w / this.base.w, h / this.base.h) * 0.96;
    this.k = k;
    this.x = this.base.x - (w / k - this.base.w) / 2;
    this.y = this.base.y - (h / k - this.base.h) / 2;
    this.apply();
  }

  /** The first view of a drawing: whole if it is legible that way, else its top at readable width. */
  home() {
    const r = this.canvas.getBoundingClientRect();
    // A widget is drawn before it is attached to the page: wait for a real size.
    this.pendingHome = r.width < 1 || r.height < 1;
    if (this.pendingHome) return;
    const { w, h } = this.size();
    const fitK = Math.min(w / this.base.w, h / this.base.h);
    if (fitK >= 0.45) {
      this.k = Math.min(fitK * 0.96, 1.5);
      this.x = this.base.x - (w / this.k - this.base.w) / 2;
      this.y = this.base.y - (h / this.k - this.base.h) / 2;
    } else {
      this.k = Math.max(Math.min(w / this.base.w, 1), 0.45);
      this.x = this.base.x - Math.max(0, (w / this.k - this.base.w) / 2);
      this.y = this.base.y;
    }
    this.apply();
  }

  /** @param {number} factor @param {number} [px] @param {number} [py] */
  zoom(factor, px, py) {
    const { w, h } = this.size();
    const cx = px === undefined ? w / 2 : px;
    const cy = py === undefined ? h / 2 : py;
    const fitK = Math.min(w / this.base.w, h / this.base.h);
    const k = Math.min(Math.max(this.k * factor, Math.min(fitK * 0.5, 0.05)), 20);
    const ux = this.x + cx / this.k;
    const uy = this.y + cy / this.k;
    this.k = k;
    this.x = ux - cx / k;
    this.y = uy - cy / k;
    this.apply();
  }

  /** @param {number} dx pixels @param {number} dy pixels */
  pan(dx, dy) {
    this.x -= dx / this.k;
    this.y -= dy / this.k;
    this.apply();
  }

  /**
   * Bring an element into view, centred, zooming in if it is too small to read.
   * @param {Element} el
   */
  reveal(el) {
    const box = el.getBoundingClientRect();
    const c = this.canvas.getBoundingClientRect();
    if (!box.width && !box.height) return;
    const { w, h } = this.size();
    const ux = this.x + (box.left + box.width / 2 - c.left) / this.k;
    const uy = this.y + (box.top + box.height / 2 - c.top) / this.k;
    if (this.k < 0.6) this.k = Math.min(1, Math.max(this.k, w / (box.width / this.k) / 6));
    this.x = ux - w / 2 / this.k;
    this.y = uy - h / 2 / this.k;
    this.apply();
  }

  apply() {
    if (!this.svg) return;
    const { w, h } = this.size();
    this.svg.setAttribute("viewBox", `${this.x} ${this.y} ${w / this.k} ${h / this.k}`);
  }

  /** Coalesce many pan/zoom events into one viewBox write per frame. */
  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.apply();
    });
  }
}

/**
 * The explorer core both hosts share: toolbar (search, zoom, fit), the diagram,
 * the details of the selected node, the ledger and the compile/verify results.
 */
export class Explorer {
  /**
   * @param {HTMLElement} el where to build it
   * @param {ExplorerOptions} [opts]
   */
  constructor(el, opts = {}) {
    this.opts = opts;
    /** @type {NodeIndex} */
    this.index = {};
    /** @type {Map<string, Element[]>} every drawing of a node (an input may be drawn at each use) */
    this.nodes = new Map();
    /** @type {Map<string, Element>} */
    this.pieceEls = new Map();
    /** @type {Map<string, Drawing>} recently shown diagrams, by their SVG text */
    this.drawings = new Map();
    this.current = "";
    /** @type {CrossingRow[]} */
    this.ledger = [];
    /** @type {Results} */
    this.results = {};
    this.selected = "";
    this.query = "";
    this.highlighted = "";
    /** @type {string[]} */
    this.matchList = [];
    this.matchAt = -1;
    this.hazardsOnly = false;
    /** @type {(() => void)[]} */
    this.cleanups = [];

    this.search = /** @type {HTMLInputElement} */ (h("input", {
      type: "search", className: "sv-search", placeholder: "search nodes: name or op", spellcheck: false,
      "aria-label": "search nodes by name or op",
    }));
    this.count = h("span", { className: "sv-count", "aria-live": "polite" });
    this.host = h("span", { className: "sv-host" });
    const button = (/** @type {string} */ text, /** @type {string} */ title, /** @type {() => void} */ fn, /** @type {string} */ cls) =>
      h("button", { type: "button", className: `sv-btn ${cls}`, title, onclick: fn }, text);
    this.bar = h("div", { className: "sv-bar" },
      this.host,
      h("span", { className: "sv-searchbox" }, this.search, this.count),
      h("span", { className: "sv-zoom" },
        button("−", "zoom out (-)", () => this.viewport.zoom(1 / 1.25), "sv-zoom-out"),
        button("+", "zoom in (+)", () => this.viewport.zoom(1.25), "sv-zoom-in"),
        button("fit", "fit the whole diagram (0)", () => this.viewport.fit(), "sv-fit"),
      ),
    );
    this.message = h("div", { className: "sv-message", role: "status", hidden: true });
    this.tooltip = h("div", { className: "sv-tooltip", hidden: true });
    this.canvas = h("div", { className: "sv-canvas", tabIndex: 0, "aria-label": "diagram: drag to pan, ctrl+wheel to zoom" });
    this.empty = h("div", { className: "sv-empty" }, "no diagram");
    this.canvas.append(this.empty, this.tooltip);
    this.viewport = new Viewport(this.canvas);
    this.details = h("div", { className: "sv-details", id: opts.detailsId });
    this.ledgerTitle = h("h3", {}, "Crossings");
    this.ledgerBox = h("div", { className: "sv-ledger" });
    this.hazardToggle = /** @type {HTMLInputElement} */ (h("input", {
      type: "checkbox", className: "sv-hazards-only",
      onchange: () => { this.hazardsOnly = this.hazardToggle.checked; this.drawLedger(); },
    }));
    this.side = h("div", { className: "sv-side" },
      h("section", { className: "sv-panel sv-panel-details" }, h("h3", {}, "Node"), this.details),
      h("section", { className: "sv-panel sv-panel-ledger" },
        h("div", { className: "sv-panel-head" }, this.ledgerTitle,
          h("label", { className: "sv-filter" }, this.hazardToggle, " hazards only")),
        this.ledgerBox),
    );
    this.resultsBox = h("div", { className: "sv-results", hidden: true });
    this.root = h("div", { className: "sv-explorer" },
      this.bar, this.message, h("div", { className: "sv-main" }, this.canvas, this.side), this.resultsBox);
    el.append(this.root);
    this.setDetails(null);
    this.drawLedger();
    this.wire();
  }

  /** Pointer, wheel, keyboard and search handlers. */
  wire() {
    const c = this.canvas;
    /** @type {{x: number, y: number, moved: boolean} | null} */
    let drag = null;
    /** @param {string} type @param {any} fn @param {any} [o] */
    const on = (type, fn, o) => {
      c.addEventListener(type, fn, o);
      this.cleanups.push(() => c.removeEventListener(type, fn, o));
    };
    on("pointerdown", (/** @type {PointerEvent} */ e) => {
      if (e.button !== 0) return;
      drag = { x: e.clientX, y: e.clientY, moved: false };
    });
    on("pointermove", (/** @type {PointerEvent} */ e) => {
      if (drag && (e.buttons & 1)) {
        const dx = e.clientX - drag.x;
        const dy = e.clientY - drag.y;
        if (drag.moved || Math.abs(dx) + Math.abs(dy) > 4) {
          if (!drag.moved) c.setPointerCapture?.(e.pointerId);
          drag.moved = true;
          c.classList.add("sv-dragging");
          this.viewport.x -= dx / this.viewport.k;
          this.viewport.y -= dy / this.viewport.k;
          this.viewport.schedule();
          drag.x = e.clientX;
          drag.y = e.clientY;
          this.hideTooltip();
        }
        return;
      }
      this.hover(e);
    });
    const end = (/** @type {PointerEvent} */ e) => {
      if (!drag) return;
      const moved = drag.moved;
      drag = null;
      c.classList.remove("sv-dragging");
      if (moved) c.releasePointerCapture?.(e.pointerId);
      else this.click(e);
    };
    on("pointerup", end);
    on("pointercancel", () => { drag = null; c.classList.remove("sv-dragging"); });
    on("pointerleave", () => this.hideTooltip());
    on("dblclick", (/** @type {MouseEvent} */ e) => {
      const piece = /** @type {Element | null} */ (e.target instanceof Element ? e.target.closest("[data-sv-piece]") : null);
      if (piece && this.opts.onOpenView) this.opts.onOpenView(`piece:${piece.getAttribute("data-sv-piece")}`);
    });
    on("wheel", (/** @type {WheelEvent} */ e) => {
      if (!this.viewport.svg) return;
      e.preventDefault();
      const r = c.getBoundingClientRect();
      const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? r.height : 1;
      if (e.ctrlKey || e.metaKey) {
        this.viewport.zoom(Math.exp(-e.deltaY * unit * 0.002), e.clientX - r.left, e.clientY - r.top);
      } else {
        this.viewport.pan(-e.deltaX * unit, -e.deltaY * unit);
      }
      this.hideTooltip();
    }, { passive: false });
    on("keydown", (/** @type {KeyboardEvent} */ e) => {
      if (e.key === "+" || e.key === "=") this.viewport.zoom(1.25);
      else if (e.key === "-") this.viewport.zoom(1 / 1.25);
      else if (e.key === "0") this.viewport.fit();
      else if (e.key === "Escape") this.select("", true);
      else return;
      e.preventDefault();
    });
    const input = () => {
      this.setSearch(this.search.value);
      this.opts.onSearch?.(this.query);
    };
    this.search.addEventListener("input", input);
    const keys = (/** @type {KeyboardEvent} */ e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        this.nextMatch(e.shiftKey ? -1 : 1);
      } else if (e.key === "Escape") {
        this.search.value = "";
        input();
      }
    };
    this.search.addEventListener("keydown", keys);
    if (typeof ResizeObserver !== "undefined") {
      const ro = new ResizeObserver(() => (this.viewport.pendingHome ? this.viewport.home() : this.viewport.apply()));
      ro.observe(c);
      this.cleanups.push(() => ro.disconnect());
    }
  }

  /** @param {PointerEvent | MouseEvent} e */
  click(e) {
    this.canvas.focus({ preventScroll: true });
    const target = e.target instanceof Element ? e.target : null;
    const node = target?.closest("[data-sv-name]");
    if (node) {
      this.select(node.getAttribute("data-sv-name") || "", true);
    }
  }

  /** @param {PointerEvent} e */
  hover(e) {
    const target = e.target instanceof Element ? e.target : null;
    const node = target?.closest("[data-sv-name], [data-sv-value], [data-sv-piece], [data-sv-tip]");
    if (!node) return this.hideTooltip();
    /** @type {(string | null | undefined)[]} */
    let lines = [];
    const tip = target?.closest("[data-sv-tip]")?.getAttribute("data-sv-tip");
    const name = node.getAttribute("data-sv-name");
    const value = node.getAttribute("data-sv-value");
    const piece = node.getAttribute("data-sv-piece");
    if (tip) {
      lines = tip.split("\n").slice(0, 12);
    } else if (name) {
      const info = this.index[name] || [];
      lines = [name, info[1] && info[1] !== name ? `${info[0]} ${info[1]}` : info[0], info[2], info[3] ? `in ${info[3]}` : null, info[4]];
    } else if (value) {
      for (const v of value.split(" ").slice(0, 6)) {
        const row = this.ledger.find((r) => r.name === v);
        lines.push(...(row ? [`${row.name}: ${row.kind} ${row.what}`, `${row.from} → ${row.to.join(", ")}`, row.hazard ? "hazard: " + (row.why || "") : null]
          : [v]));
      }
    } else if (piece) {
      const r = (this.results.compile || []).find((x) => x.piece === piece);
      lines = [piece, r ? (r.ok ? `compiled in ${fmtSeconds(r.seconds)}` : `compile failed: ${r.error?.type || ""}`) : null, "double-click to open"];
    }
    this.tooltip.replaceChildren(...lines.filter(Boolean).map((t, i) => h("div", { className: i ? "" : "sv-tip-head" }, String(t).slice(0, 300))));
    const r = this.canvas.getBoundingClientRect();
    this.tooltip.hidden = false;
    const x = Math.min(e.clientX - r.left + 14, r.width - this.tooltip.offsetWidth - 4);
    const y = Math.min(e.clientY - r.top + 14, r.height - this.tooltip.offsetHeight - 4);
    this.tooltip.style.left = `${Math.max(0, x)}px`;
    this.tooltip.style.top = `${Math.max(0, y)}px`;
  }

  hideTooltip() {
    this.tooltip.hidden = true;
  }

  /**
   * Show a new diagram; selection, search and highlight carry over.
   * @param {string} text inline SVG from the renderer
   */
  setSvg(text) {
    const old = this.viewport.svg;
    if (old) {
      const prev = this.drawings.get(this.current);
      if (prev) prev.at = { x: this.viewport.x, y: this.viewport.y, k: this.viewport.k };
      old.remove();
    }
    this.viewport.svg = null;
    this.current = text || "";
    /** @type {Drawing | null | undefined} */
    let drawing = this.drawings.get(this.current);
    if (drawing) {
      this.drawings.delete(this.current); // most recently used goes last
    } else {
      drawing = prepare(text);
    }
    if (drawing) {
      this.drawings.set(this.current, drawing);
      while (this.drawings.size > 8) this.drawings.delete(this.drawings.keys().next().value ?? "");
    }
    this.nodes = drawing ? drawing.nodes : new Map();
    this.pieceEls = drawing ? drawing.pieces : new Map();
    this.empty.hidden = !!drawing;
    if (!drawing) return;
    drawing.base = { ...this.viewport.attach(drawing.svg, drawing.base) };
    this.canvas.insertBefore(drawing.svg, this.tooltip);
    if (drawing.at) {
      Object.assign(this.viewport, drawing.at); // back where this view was left
      this.viewport.apply();
    } else {
      this.viewport.home();
    }
    this.applyOutcomes();
    this.applySearch(false);
    this.applyHighlight(false);
    this.applySelection(false);
  }

  /** @param {NodeIndex} index */
  setIndex(index) {
    this.index = index || {};
    this.applySearch(false);
  }

  /**
   * A message over the diagram (a renderer fallback, a failed split...).
   * @param {string | null} text
   * @param {"info" | "error"} [kind]
   */
  setMessage(text, kind = "info") {
    this.message.hidden = !text;
    this.message.className = `sv-message sv-message-${kind}`;
    this.message.textContent = text || "";
  }

  /**
   * Select a node by name ("" clears).
   * @param {string} name
   * @param {boolean} [notify] tell the host (a user action, not a host update)
   */
  select(name, notify = false) {
    this.selected = name || "";
    this.applySelection(!notify);
    if (notify) this.opts.onSelect?.(this.selected);
  }

  /** @param {boolean} reveal */
  applySelection(reveal) {
    for (const el of Array.from(this.canvas.querySelectorAll(".sv-selected"))) el.classList.remove("sv-selected");
    const els = this.nodes.get(this.selected) || [];
    for (const el of els) el.classList.add("sv-selected");
    if (reveal && els.length) this.revealIfHidden(els[0]);
  }

  /** @param {Element} el */
  revealIfHidden(el) {
    const b = el.getBoundingClientRect();
    const c = this.canvas.getBoundingClientRect();
    if (b.right < c.left || b.left > c.right || b.bottom < c.top || b.top > c.bottom || b.width < 6) this.viewport.reveal(el);
  }

  /**
   * Show what is known of the selected node.
   * @param {NodeInfo | null} info
   */
  setDetails(info) {
    const d = this.details;
    if (!info || !info.name) {
      d.replaceChildren(h("p", { className: "sv-hint" },
        this.selected ? `no details for ${this.selected}` : "click a node to see its details"));
      return;
    }
    /** @param {string} text */
    const ref = (text) => {
      const m = /^%(\w+)$/.exec(text);
      if (!m) return h("code", {}, text);
      const name = m[1];
      return h("a", { href: "#", className: "sv-ref", title: `select ${name}`, onclick: (/** @type {Event} */ e) => {
        e.preventDefault();
        this.select(name, true);
        const el = this.nodes.get(name)?.[0];
        if (el) this.viewport.reveal(el);
      } }, text);
    };
    /** @param {string} text  render an argument, linking every %name in it */
    const arg = (text) => {
      const out = h("code", { className: "sv-arg" });
      let last = 0;
      for (const m of text.matchAll(/%\w+/g)) {
        if (m.index > last) out.append(text.slice(last, m.index));
        out.append(ref(m[0]));
        last = m.index + m[0].length;
      }
      if (last < text.length) out.append(text.slice(last));
      return out;
    };
    /** @type {[string, Node | string | null | undefined][]} */
    const rows = [];
    rows.push(["op", h("code", {}, info.op)]);
    if (info.target && info.target !== info.name) rows.push(["target", h("code", {}, info.target)]);
    if (info.args && info.args.length) rows.push(["args", h("span", { className: "sv-list" }, ...info.args.map(arg))]);
    const kw = Object.entries(info.kwargs || {});
    if (kw.length) rows.push(["kwargs", h("span", { className: "sv-list" }, ...kw.map(([k, v]) => h("span", {}, `${k}=`, arg(v))))]);
    if (info.value) rows.push(["value", h("code", {}, info.value)]);
    if (info.shape) rows.push(["shape", h("code", {}, `[${info.shape.join(", ")}]`)]);
    if (info.dtype) rows.push(["dtype", h("code", {}, info.dtype)]);
    if (info.stride) rows.push(["stride", h("code", {}, `[${info.stride.join(", ")}]`)]);
    if (info.device) rows.push(["device", h("code", {}, info.device)]);
    if (info.expr) rows.push(["SymInt", h("code", {}, info.expr)]);
    if (info.piece) rows.push(["piece", info.piece]);
    if (info.module) rows.push(["module", h("code", {}, info.module)]);
    if (info.source) rows.push(["source", h("code", { className: "sv-source" }, info.source)]);
    if (info.users) rows.push(["users", info.users.length ? h("span", { className: "sv-list" }, ...info.users.map((u) => ref(`%${u}`))) : "none"]);
    if (info.before !== undefined) rows.push(["before", h("code", {}, info.before)]);
    if (info.after !== undefined) rows.push(["after", h("code", {}, info.after)]);
    const dl = h("dl", {});
    for (const [k, v] of rows) dl.append(h("dt", {}, k), h("dd", {}, v));
    const badge = info.diff ? h("span", { className: `sv-badge sv-badge-${info.diff}` }, info.diff) : null;
    d.replaceChildren(
      h("div", { className: "sv-details-head" }, h("code", { className: "sv-node-name" }, info.name), badge),
      dl,
      ...(info.stack_trace ? [h("details", { className: "sv-trace" }, h("summary", {}, "stack trace"), h("pre", {}, info.stack_trace))] : []),
    );
  }

  /** @param {string} q */
  setSearch(q) {
    this.query = q || "";
    if (this.search.value !== this.query) this.search.value = this.query;
    this.matchAt = -1;
    this.applySearch(false);
  }

  /**
   * Names in the current diagram that match the query (name, op or target; case-insensitive).
   * @returns {string[]}
   */
  matches() {
    const q = this.query.trim().toLowerCase();
    if (!q) return [];
    const out = [];
    for (const name of this.nodes.keys()) {
      const info = this.index[name];
      const hay = [name, ...(info ? [info[0], info[1]] : [])].filter(Boolean).join(" ").toLowerCase();
      if (hay.includes(q)) out.push(name);
    }
    return out;
  }

  /** @param {boolean} reveal */
  applySearch(reveal) {
    for (const el of Array.from(this.canvas.querySelectorAll(".sv-match"))) el.classList.remove("sv-match");
    this.matchList = this.matches();
    for (const name of this.matchList) for (const el of this.nodes.get(name) || []) el.classList.add("sv-match");
    this.viewport.svg?.classList.toggle("sv-searching", !!this.query.trim());
    this.count.textContent = this.query.trim()
      ? (this.matchList.length ? `${this.matchAt >= 0 ? this.matchAt + 1 + " of " : ""}${this.matchList.length} match${this.matchList.length === 1 ? "" : "es"}` : "no match")
      : "";
    if (reveal && this.matchList.length) {
      const el = this.nodes.get(this.matchList[Math.max(this.matchAt, 0)])?.[0];
      if (el) this.viewport.reveal(el);
    }
  }

  /** Go to the next (or previous) match and select it. @param {number} step */
  nextMatch(step) {
    if (!this.matchList.length) return;
    const n = this.matchList.length;
    this.matchAt = ((this.matchAt < 0 ? (step > 0 ? -1 : 0) : this.matchAt) + step + n) % n;
    const name = this.matchList[this.matchAt];
    this.select(name, true);
    this.applySearch(true);
  }

  /**
   * Highlight the edges (and producer) of one crossing value ("" clears).
   * @param {string} value
   * @param {boolean} [notify]
   */
  setHighlight(value, notify = false) {
    this.highlighted = value || "";
    this.applyHighlight(true);
    this.drawLedger();
    if (notify) this.opts.onHighlight?.(this.highlighted);
  }

  /** @param {boolean} reveal */
  applyHighlight(reveal) {
    for (const el of Array.from(this.canvas.querySelectorAll(".sv-highlight"))) el.classList.remove("sv-highlight");
    this.viewport.svg?.classList.toggle("sv-highlighting", !!this.highlighted);
    if (!this.highlighted || !this.viewport.svg) return;
    const cls = `sv-value-${this.highlighted}`;
    const edges = Array.from(this.viewport.svg.getElementsByClassName(cls));
    for (const el of edges) el.classList.add("sv-highlight");
    const producers = this.nodes.get(this.highlighted) || [];
    for (const el of producers) el.classList.add("sv-highlight");
    const first = edges[0] || producers[0];
    if (reveal && first) this.viewport.reveal(first);
  }

  /** @param {CrossingRow[]} rows */
  setLedger(rows) {
    this.ledger = rows || [];
    this.drawLedger();
  }

  drawLedger() {
    const rows = this.ledger;
    const hazards = rows.filter((r) => r.hazard).length;
    this.ledgerTitle.replaceChildren(`Crossings (${rows.length})`,
      hazards ? h("span", { className: "sv-badge sv-badge-hazard" }, `${hazards} hazard${hazards === 1 ? "" : "s"}`) : "");
    if (!rows.length) {
      this.ledgerBox.replaceChildren(h("p", { className: "sv-hint" }, "no value crosses a piece boundary"));
      return;
    }
    const body = h("tbody", {});
    for (const r of rows) {
      if (this.hazardsOnly && !r.hazard) continue;
      const tr = h("tr", {
        className: `sv-row${r.hazard ? " sv-row-hazard" : ""}${r.name === this.highlighted ? " sv-row-active" : ""}`,
        title: r.hazard ? r.why || "hazard" : "click to highlight its edges",
        "data-value": r.name,
        onclick: () => this.setHighlight(this.highlighted === r.name ? "" : r.name, true),
      },
      h("td", {}, r.hazard ? h("span", { className: "sv-flag", title: "hazard" }, "!!") : null, h("code", {}, r.name)),
      h("td", {}, r.kind),
      h("td", {}, h("span", { className: "sv-nowrap" }, `${r.from} →`), " ",
        ...r.to.flatMap((t, i) => [i ? ", " : "", h("span", { className: "sv-nowrap" }, t)])),
      h("td", {}, h("code", {}, r.what), r.nbytes ? h("span", { className: "sv-dim" }, ` ${fmtBytes(r.nbytes)}`) : null));
      body.append(tr);
      if (r.hazard && r.why) {
        body.append(h("tr", { className: "sv-row-why" }, h("td", { colSpan: 4 },
          r.why, r.source ? h("div", { className: "sv-dim" }, "from: ", h("code", {}, r.source)) : null)));
      }
    }
    this.ledgerBox.replaceChildren(h("table", { className: "sv-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "value"), h("th", {}, "kind"), h("th", {}, "from → to"), h("th", {}, "what"))),
      body));
  }

  /** @param {Results} results */
  setResults(results) {
    this.results = results || {};
    this.applyOutcomes();
    const box = this.resultsBox;
    const compile = this.results.compile;
    const verify = this.results.verify;
    box.hidden = !compile && !verify;
    /** @type {Node[]} */
    const parts = [];
    if (compile) {
      const pending = this.results.pending || [];
      const failed = compile.filter((r) => !r.ok).length;
      parts.push(h("h3", {}, `Compile: ${compile.length} piece${compile.length === 1 ? "" : "s"}`,
        failed ? h("span", { className: "sv-badge sv-badge-failed" }, `${failed} failed`) : h("span", { className: "sv-badge sv-badge-ok" }, "all ok"),
        pending.length ? h("span", { className: "sv-dim" }, ` ${pending.length} to go`) : null));
      const body = h("tbody", {});
      for (const r of compile) {
        const open = () => this.opts.onOpenView?.(`piece:${r.piece}`);
        body.append(h("tr", { className: r.ok ? "sv-ok" : "sv-failed", "data-piece": r.piece },
          h("td", {}, this.opts.onOpenView ? h("a", { href: "#", onclick: (/** @type {Event} */ e) => { e.preventDefault(); open(); } }, r.piece) : r.piece),
          h("td", { className: "sv-status" }, r.ok ? "ok" : "FAILED"),
          h("td", { className: "sv-num" }, fmtSeconds(r.seconds)),
          h("td", {},
            r.error ? h("div", { className: "sv-error-line" }, `${r.error.type}: ${r.error.message}`) : (r.dynamic ? "dynamic shapes" : ""),
            r.error && r.error.text ? h("details", {}, h("summary", {}, "error text"), h("pre", {}, r.error.text)) : null,
            r.code ? h("details", {}, h("summary", {}, "generated code"), h("pre", { className: "sv-code" }, r.code)) : null)));
      }
      for (const p of pending) body.append(h("tr", { className: "sv-pending" }, h("td", {}, p), h("td", { className: "sv-status" }, "…"), h("td", {}), h("td", {})));
      parts.push(h("table", { className: "sv-table sv-compile" },
        h("thead", {}, h("tr", {}, h("th", {}, "piece"), h("th", {}, "status"), h("th", {}, "time"), h("th", {}, "details"))), body));
    }
    if (verify) {
      const where = verify.checks.map((c) => fmtSizes(c.sizes)).join(", ");
      parts.push(h("h3", {}, "Verify: ", h("span", { className: `sv-badge ${verify.ok ? "sv-badge-ok" : "sv-badge-failed"}` }, verify.ok ? "ok" : "FAILED"),
        h("span", { className: "sv-dim" }, ` max |diff| ${fmtDiff(verify.max_abs_diff)} at ${where || "no size"}`)));
      const body = h("tbody", {});
      for (const c of verify.checks) {
        body.append(h("tr", { className: c.ok ? "sv-ok" : "sv-failed" },
          h("td", {}, fmtSizes(c.sizes)), h("td", { className: "sv-status" }, c.ok ? "ok" : "FAILED"),
          h("td", { className: "sv-num" }, fmtDiff(c.max_abs_diff)),
          h("td", {}, c.error ? h("div", { className: "sv-error-line" }, `${c.error.type}: ${c.error.message}${c.piece ? ` (in ${c.piece})` : ""}`) : "",
            c.error && c.error.text ? h("details", {}, h("summary", {}, "error text"), h("pre", {}, c.error.text)) : null)));
      }
      parts.push(h("table", { className: "sv-table sv-verify" },
        h("thead", {}, h("tr", {}, h("th", {}, "sizes"), h("th", {}, "status"), h("th", {}, "max |diff|"), h("th", {}, ""))), body));
      if (verify.compiled_pieces || verify.eager_pieces) {
        parts.push(h("p", { className: "sv-dim" }, `ran ${(verify.compiled_pieces || []).length} piece(s) compiled, ${(verify.eager_pieces || []).length} eagerly`));
      }
    }
    box.replaceChildren(...parts);
  }

  /** Colour pieces by compile outcome (the renderer may already have: classes are idempotent). */
  applyOutcomes() {
    const byPiece = new Map((this.results.compile || []).map((r) => [r.piece, r.ok]));
    for (const [name, el] of this.pieceEls) {
      const ok = byPiece.get(name);
      el.classList.toggle("sv-compile-ok", ok === true || (ok === undefined && el.classList.contains("sv-compile-ok") && !this.results.compile));
      el.classList.toggle("sv-compile-failed", ok === false || (ok === undefined && el.classList.contains("sv-compile-failed") && !this.results.compile));
    }
    for (const name of this.results.pending || []) this.pieceEls.get(name)?.classList.add("sv-compile-pending");
    if (!(this.results.pending || []).length) {
      for (const el of Array.from(this.canvas.querySelectorAll(".sv-compile-pending"))) el.classList.remove("sv-compile-pending");
    }
  }

  destroy() {
    for (const fn of this.cleanups) fn();
    this.root.remove();
  }
}

/** The label of a view name in a selector. @param {string} view */
export function viewLabel(view) {
  if (view === "whole") return "whole graph";
  if (view === "overview") return "overview (pieces)";
  if (view === "diff") return "diff (decomposition)";
  if (view.startsWith("piece:")) return `piece ${view.slice(6)}`;
  return view;
}

// ---------------------------------------------------------------------------
// Host 1: anywidget (the notebook).

/**
 * @typedef {Object} Model  the part of anywidget's model we use
 * @property {(key: string) => any} get
 * @property {(key: string, value: any) => void} set
 * @property {() => void} save_changes
 * @property {(event: string, fn: () => void) => void} on
 * @property {(event: string, fn: () => void) => void} off
 */

/**
 * anywidget's entry point: one diagram bound to the Python ``Diagram`` traits.
 * @param {{model: Model, el: HTMLElement}} ctx
 */
function render({ model, el }) {
  /** @param {string} key @param {any} value */
  const push = (key, value) => {
    model.set(key, value);
    model.save_changes();
  };
  const ex = new Explorer(el, {
    onSelect: (name) => push("selected", name),
    onSearch: (q) => push("search", q),
    onHighlight: (v) => push("highlight", v),
    onOpenView: (view) => {
      if ((model.get("views") || []).includes(view)) push("view", view);
    },
  });
  el.classList.add("sv-widget");
  /** @type {[string, () => void][]} */
  const bindings = [
    ["index", () => ex.setIndex(model.get("index"))],
    ["svg", () => ex.setSvg(model.get("svg"))],
    ["selected", () => ex.select(model.get("selected"))],
    ["details", () => ex.setDetails(model.get("details"))],
    ["search", () => ex.setSearch(model.get("search"))],
    ["highlight", () => ex.setHighlight(model.get("highlight"))],
    ["ledger", () => ex.setLedger(model.get("ledger"))],
    ["results", () => ex.setResults(model.get("results"))],
    ["message", () => ex.setMessage(model.get("message"), model.get("message_kind") || "info")],
    ["message_kind", () => ex.setMessage(model.get("message"), model.get("message_kind") || "info")],
  ];
  for (const [key, fn] of bindings) {
    model.on(`change:${key}`, fn);
    fn();
  }
  ex.root.setAttribute("data-sv-ready", "1");
  return () => {
    for (const [key, fn] of bindings) model.off(`change:${key}`, fn);
    ex.destroy();
  };
}

export default { render };

// ---------------------------------------------------------------------------
// Host 2: the single-file report.

/**
 * @typedef {Object} VariantData  one analysis of a graph (with or without decomposition)
 * @property {boolean} decompose
 * @property {string} label
 * @property {[string, number][]} views view name -> index into ReportData.svgs
 * @property {string | null} [default_view] the view to open on
 * @property {Object<string, string>} [messages] view name -> renderer message
 * @property {Object<string, NodeInfo>} nodes
 * @property {CrossingRow[]} ledger
 * @property {{name: string, splitting: boolean, nodes: number}[]} pieces
 * @property {string | null} [split_error]
 * @property {string | null} [rewrites]
 * @property {CompileRow[] | null} [compile]
 * @property {VerifyData | null} [verify]
 * @property {string} [code] the analysed graph's code
 */

/**
 * @typedef {Object} GraphData
 * @property {number} index
 * @property {number} nodes
 * @property {string | null} [break_reason]
 * @property {string} [original_code] the captured graph's code (before any pass)
 * @property {Object<string, VariantData>} variants keyed ``decomposed`` / ``original``
 * @property {string} default_variant
 */

/**
 * @typedef {Object} ReportData
 * @property {string} title
 * @property {Object<string, string>} environment
 * @property {string[]} [unmatched]
 * @property {GraphData[]} graphs
 * @property {string[]} svgs every distinct diagram once
 * @property {string[]} [strings] shared long strings (stack traces), referenced by index
 * @property {{encoding: string, bytes: number}} [pack] present while part of the data waits in the pack
 */

/**
 * Inflate the report's pack: base64 of a zlib stream of JSON, with the
 * browser's own DecompressionStream (no library, no request).
 * @param {string} b64
 * @returns {Promise<any>}
 */
export async function unpack(b64) {
  const bin = atob(b64.trim());
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return JSON.parse(await new Response(stream).text());
}

/**
 * Put what a pack carried back where it belongs in the report's data.
 * @param {ReportData} data
 * @param {any} packed
 */
function mergePack(data, packed) {
  for (const [i, svg] of packed.svgs || []) data.svgs[i] = svg;
  data.strings = packed.strings || [];
  (packed.graphs || []).forEach((/** @type {any} */ pg, /** @type {number} */ gi) => {
    const g = data.graphs[gi];
    if (!g) return;
    if (pg.original_code !== undefined) g.original_code = pg.original_code;
    for (const [key, fields] of Object.entries(pg.variants || {})) Object.assign(g.variants[key] || {}, fields);
  });
  delete data.pack;
}

/**
 * Build the report's page in ``el`` from its embedded data.
 * @param {HTMLElement} el
 * @param {ReportData} data
 * @param {string | null} [pack] base64 of the deflated rest, when the report is large (see ``pack_data``)
 * @returns {{explorer: Explorer, show: (g: number, variant: string, view: string) => void, ready: Promise<void>}}
 */
export function mount(el, data, pack = null) {
  /** @param {NodeInfo | undefined} info */
  const expand = (info) => {
    if (!info) return null;
    const trace = /** @type {any} */ (info.stack_trace);
    return typeof trace === "number" ? { ...info, stack_trace: (data.strings || [])[trace] } : info;
  };
  let packing = !!(pack && data.pack);
  const state = { g: 0, variant: "", view: "" };
  const graphSel = /** @type {HTMLSelectElement} */ (h("select", { className: "sv-select sv-graph", "aria-label": "graph" }));
  const variantSel = /** @type {HTMLSelectElement} */ (h("select", { className: "sv-select sv-variant", "aria-label": "decomposition" }));
  const viewSel = /** @type {HTMLSelectElement} */ (h("select", { className: "sv-select sv-view", "aria-label": "view" }));
  data.graphs.forEach((g, i) => graphSel.append(h("option", { value: String(i) },
    `graph ${g.index} (${g.nodes} nodes)${g.break_reason ? " after a graph break" : ""}`)));

  const env = Object.entries(data.environment || {}).map(([k, v]) => h("span", { className: "sv-env-item" }, h("b", {}, k), ` ${v}`));
  const header = h("header", { className: "sv-report-head" }, h("h1", {}, data.title || "splitviz report"), h("div", { className: "sv-env" }, ...env));
  const notes = h("div", { className: "sv-notes" });
  const mountPoint = h("div", {});
  const code = h("section", { className: "sv-report-code" });
  el.replaceChildren(header, notes, mountPoint, code);

  const graph = () => data.graphs[state.g];
  const variant = () => graph().variants[state.variant];
  /** @param {string} name */
  const detailsOf = (name) => {
    const nodes = variant().nodes;
    if (!nodes) return packing ? { name, op: "…", target: "", value: "details are being unpacked" } : null;
    return expand(nodes[name]);
  };

  const ex = new Explorer(mountPoint, {
    detailsId: "sv-details",
    onSelect: (name) => ex.setDetails(name ? detailsOf(name) : null),
    onOpenView: (view) => {
      if (variant().views.some(([v]) => v === view)) show(state.g, state.variant, view);
    },
  });
  ex.root.classList.add("sv-report");
  if (data.graphs.length > 1) ex.host.append(h("label", {}, "graph ", graphSel));
  ex.host.append(h("label", {}, variantSel), h("label", {}, "view ", viewSel));

  /**
   * @param {number} g @param {string} name @param {string} view
   * @param {boolean} [refresh] redraw everything (after unpacking)
   */
  function show(g, name, view, refresh = false) {
    const changedGraph = refresh || g !== state.g || name !== state.variant || !state.view;
    state.g = g;
    const gd = graph();
    state.variant = gd.variants[name] ? name : gd.default_variant;
    const v = variant();
    const views = v.views.map(([n]) => n);
    state.view = views.includes(view) ? view : (views.includes(state.view) ? state.view : (v.default_view || views[0]));
    graphSel.value = String(state.g);
    variantSel.replaceChildren(...Object.entries(gd.variants).map(([key, vd]) => h("option", { value: key, selected: key === state.variant }, vd.label)));
    viewSel.replaceChildren(...views.map((n) => h("option", { value: n, selected: n === state.view }, viewLabel(n))));
    if (changedGraph) {
      /** @type {NodeIndex} */
      const index = {};
      for (const [n, info] of Object.entries(v.nodes || {})) index[n] = [info.op, info.target, info.value || null, info.piece || null, info.source || null];
      ex.setIndex(index);
      ex.setLedger(v.ledger);
      ex.setResults({ compile: v.compile || null, verify: v.verify || null });
      drawNotes(gd, v);
      drawCode(gd, v);
    }
    const entry = v.views.find(([n]) => n === state.view);
    const svg = entry ? data.svgs[entry[1]] : "";
    ex.setSvg(svg || "");
    const message = (v.messages || {})[state.view] || (svg === null && packing ? "unpacking this diagram…" : null);
    ex.setMessage(message);
    if (ex.selected && v.nodes && !v.nodes[ex.selected]) ex.select("");
    ex.setDetails(ex.selected ? detailsOf(ex.selected) : null);
  }

  /** @param {GraphData} gd @param {VariantData} v */
  function drawNotes(gd, v) {
    const items = [];
    for (const msg of data.unmatched || []) items.push(h("li", { className: "sv-note-error" }, msg));
    if (gd.break_reason) items.push(h("li", {}, `graph break: ${gd.break_reason}`));
    if (v.split_error) items.push(h("li", { className: "sv-note-error" }, h("pre", {}, `split failed: ${v.split_error}`)));
    const splitting = v.pieces.filter((p) => p.splitting).length;
    if (v.pieces.length) items.push(h("li", {}, `${v.pieces.length} pieces (${splitting} splitting), ${v.ledger.length} crossings, ${v.ledger.filter((r) => r.hazard).length} hazards`));
    if (v.rewrites) items.push(h("li", {}, `decomposition: ${v.rewrites}`));
    notes.replaceChildren(h("ul", {}, ...items));
  }

  /** @param {GraphData} gd @param {VariantData} v */
  function drawCode(gd, v) {
    const blocks = [];
    if (gd.original_code) blocks.push(h("details", {}, h("summary", {}, "graph code as captured (before the pass)"), h("pre", { className: "sv-code" }, gd.original_code)));
    if (v.code && v.decompose) blocks.push(h("details", {}, h("summary", {}, "graph code after decomposition"), h("pre", { className: "sv-code" }, v.code)));
    code.replaceChildren(...blocks);
  }

  graphSel.addEventListener("change", () => show(Number(graphSel.value), data.graphs[Number(graphSel.value)].default_variant, state.view));
  variantSel.addEventListener("change", () => show(state.g, variantSel.value, state.view));
  viewSel.addEventListener("change", () => show(state.g, state.variant, viewSel.value));
  if (data.graphs.length) {
    const first = data.graphs[0];
    const v0 = first.variants[first.default_variant];
    show(0, first.default_variant, v0.default_view || (v0.views.length ? v0.views[0][0] : ""));
  } else {
    ex.setMessage("no graph was captured", "error");
  }
  ex.root.setAttribute("data-sv-painted", "1");
  performance.mark?.("sv-painted"); // benchmarks/report.py reads these
  /** @type {Promise<void>} */
  let ready = Promise.resolve();
  if (packing && pack) {
    ready = unpack(pack).then((packed) => {
      mergePack(data, packed);
      packing = false;
      if (data.graphs.length) show(state.g, state.variant, state.view, true);
    }).catch((err) => {
      packing = false;
      ex.setMessage(`this report's packed data could not be read (${err}); a browser from 2023 or later is needed`, "error");
    });
  }
  ready.then(() => {
    ex.root.setAttribute("data-sv-ready", "1");
    performance.mark?.("sv-ready");
  });
  return { explorer: ex, show, ready };
}
