// The drawing and arithmetic of every convlab parameter panel, in the browser.
//
// One ES module serves two hosts. In JupyterLab / Notebook 7 anywidget loads it as the
// widget's front end and `model` is the widget model synced with Python. In the static
// book the panel's text/html output inlines this same file with a small local model
// (convlab/widgets.py, _STATIC), so sliders redraw with no kernel and no network.
// Python holds only the settings (and, for FilterPanel, the sample images and named
// kernels); everything shown is computed here, so there is one source per picture.

const SVG = "http://www.w3.org/2000/svg";

// Okabe & Ito's colour-blind-safe palette, lightened for fills; roles differ in
// lightness and line style too, so the pictures also read in greyscale.
const STYLES = {
  input: ["#a6d3f2", "#0072b2", ""],
  padding: ["#ffffff", "#56b4e9", "3 2"],
  inserted: ["#eef5fb", "#7fb3d5", "1 1.5"],
  cropped: ["#eeeeee", "#aaaaaa", "3 2"],
  output: ["#f7d99a", "#b07800", ""],
  current: ["#e69f00", "#7a5200", ""],
  zero: ["#ffffff", "#cccccc", ""],
  muted: ["#e4e4e4", "#b0b0b0", ""],
};
const GROUP_COLORS = ["#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00",
  "#cc79a7", "#999999"];
const TAP = "rgba(0, 45, 110, 0.5)";
const INK = "#1b1b1b";
const CELL = 32; // pixels per diagram unit

// --- DOM helpers ---------------------------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

function s(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

// Numbers as Python's f"{v:g}" writes the small ones the diagrams show.
function num(value) {
  const v = value + 0; // -0 -> 0
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(6)));
}

function paren(value) {
  const text = num(value);
  return value + 0 < 0 ? `(${text})` : text;
}

// --- arithmetic (the same formulas as convlab._geometry; tests compare the two) --------

export function span(k, d) {
  return d * (k - 1) + 1;
}

export function convSize(n, k, stride, padding, d) {
  return Math.floor((n + 2 * padding - d * (k - 1) - 1) / stride) + 1;
}

export function transposedSize(n, k, stride, padding, outputPadding, d) {
  return (n - 1) * stride - 2 * padding + d * (k - 1) + outputPadding + 1;
}

function sizeFormula(n, k, stride, padding, d) {
  const result = convSize(n, k, stride, padding, d);
  let text = `o = ⌊(i + 2p − d(k−1) − 1)/s⌋ + 1 = ⌊(${n} + 2·${padding} − ${d}·${k - 1} − 1)/` +
    `${stride}⌋ + 1 = ${result}`;
  if (result < 1) text += " — the kernel does not fit: no output";
  return text;
}

// --- windowed convolutions as data: grids of cells, taps, window, links ---------------

function convAxis(n, k, stride, padding, d) {
  const width = span(k, d);
  if (width > n + 2 * padding) {
    throw new Error(`the dilated kernel spans ${width} cells but the padded input has only ` +
      `${n + 2 * padding} (${n} + padding ${2 * padding}): there is no output`);
  }
  const kinds = [], sources = [], starts = [];
  for (let c = -padding; c < n + padding; c++) {
    const inside = c >= 0 && c < n;
    kinds.push(inside ? "input" : "padding");
    sources.push(inside ? c : -1);
  }
  const count = Math.floor((n + 2 * padding - width) / stride) + 1;
  for (let o = 0; o < count; o++) starts.push(-padding + o * stride);
  return { first: -padding, kinds, sources, starts, k, d };
}

function transposedAxis(n, k, stride, padding, outputPadding, d) {
  // Zero insertion: s - 1 zeros between inputs, d(k-1) - p around (output_padding more
  // at the end), then a stride-1 convolution; negative padding crops (cells greyed).
  if (outputPadding >= stride && outputPadding >= d) {
    throw new Error(`output_padding must be smaller than stride or dilation, got ` +
      `output_padding=${outputPadding}, stride=${stride}, dilation=${d}`);
  }
  const spread = (n - 1) * stride + 1;
  const implicit = d * (k - 1) - padding;
  const lo = -implicit, hi = spread + implicit + outputPadding;
  const width = span(k, d);
  if (hi - lo < width) {
    throw new Error(`padding=${padding} crops the whole output of this transposed ` +
      `convolution (its size would be ${hi - lo - width + 1})`);
  }
  const kinds = [], sources = [], starts = [];
  for (let c = Math.min(0, lo); c < Math.max(spread, hi); c++) {
    let kind;
    if (c < lo || c >= hi) kind = "cropped";
    else if (c < 0 || c >= spread) kind = "padding";
    else kind = c % stride ? "inserted" : "input";
    kinds.push(kind);
    sources.push(kind === "input" ? c / stride : -1);
  }
  for (let c = lo; c <= hi - width; c++) starts.push(c);
  return { first: Math.min(0, lo), kinds, sources, starts, k, d };
}

const PRIORITY = { input: 0, inserted: 1, padding: 2, cropped: 3 };

function taps(axis, index) {
  const start = axis.starts[index] - axis.first;
  return Array.from({ length: axis.k }, (_, a) => start + a * axis.d);
}

// d2l's hand example: arange as the input (mod 10), arange as the kernel (mod 4).
function defaultValues(n, k) {
  const x = Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => (r * n + c) % 10));
  const w = Array.from({ length: k }, (_, r) => Array.from({ length: k }, (_, c) => (r * k + c) % 4));
  return [x, w];
}

function windowFrame(axis, position, n, values, flip) {
  const size = axis.kinds.length;
  const kinds = axis.kinds.map((kr) => axis.kinds.map((kc) =>
    PRIORITY[kr] >= PRIORITY[kc] ? kr : kc));
  const count = axis.starts.length;
  const r = Math.floor(position / count), c = position % count;
  const tr = taps(axis, r), tc = taps(axis, c);
  const outKinds = Array.from({ length: count }, (_, i) => Array.from({ length: count },
    (_, j) => (i === r && j === c ? "current" : "output")));
  let inValues = null, outValues = null, weights = null, caption = `output[${r}, ${c}]`;
  if (values) {
    const [x, w] = defaultValues(n, axis.k);
    weights = flip ? w.map((row) => row.slice().reverse()).reverse() : w;
    inValues = axis.sources.map((sr) => axis.sources.map((sc) =>
      sr >= 0 && sc >= 0 ? x[sr][sc] : null));
    const at = (i, j) => {
      let sum = 0;
      taps(axis, i).forEach((yr, a) => taps(axis, j).forEach((xc, b) => {
        sum += (inValues[yr][xc] ?? 0) * weights[a][b];
      }));
      return sum;
    };
    outValues = outKinds.map((row, i) => row.map((_, j) =>
      i * count + j <= r * count + c ? at(i, j) : null));
    const terms = [];
    tr.forEach((yr, a) => tc.forEach((xc, b) => {
      if (inValues[yr][xc] !== null) terms.push(`${paren(inValues[yr][xc])}×${paren(weights[a][b])}`);
    }));
    caption += " = " + (terms.length ? terms.join(" + ") + " = " : "only zeros under the kernel = ") +
      paren(outValues[r][c]);
  }
  const outX = size + 2.5, outY = (size - count) / 2;
  const width = span(axis.k, axis.d);
  const window = [tc[0], tr[0], width, width];
  const [wx, wy, ww, wh] = window;
  const tapList = [];
  tr.forEach((yr, a) => tc.forEach((xc, b) => tapList.push([xc, yr, weights ? weights[a][b] : null])));
  return {
    grids: [{ x: 0, y: 0, kinds, values: inValues }, { x: outX, y: outY, kinds: outKinds, values: outValues }],
    taps: tapList, window,
    links: [[wx + ww, wy, outX + c, outY + r], [wx + ww, wy + wh, outX + c, outY + r + 1]],
    caption, count,
  };
}

function errorFrame(message, n, padding) {
  const size = n + 2 * padding;
  const kinds = Array.from({ length: size }, (_, r) => Array.from({ length: size }, (_, c) =>
    r < padding || c < padding || r >= n + padding || c >= n + padding ? "padding" : "input"));
  return { grids: [{ x: 0, y: 0, kinds, values: null }], taps: [], window: null, links: [],
    caption: `No output: ${message}.`, count: 1 };
}

// --- drawing a frame as SVG ----------------------------------------------------------

function cellStyle(kind) {
  if (STYLES[kind]) return STYLES[kind];
  return [GROUP_COLORS[Number(kind.slice(1)) % GROUP_COLORS.length], "#444444", ""];
}

function esc(text) {
  return String(text).replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

// SVG markup of one element: a redraw writes the picture as one string (innerHTML), far
// quicker than creating each of its hundreds of nodes.
function tag(name, attrs, text) {
  const list = Object.entries(attrs).map(([key, value]) => `${key}="${esc(value)}"`).join(" ");
  return text === undefined ? `<${name} ${list}/>` : `<${name} ${list}>${esc(text)}</${name}>`;
}

const DASHES = {}; // a style's dash pattern in cell units

function drawFrame(frame, labels, title) {
  let x1 = 0, y1 = 0;
  for (const g of frame.grids) {
    x1 = Math.max(x1, g.x + (g.kinds[0]?.length ?? 0));
    y1 = Math.max(y1, g.y + g.kinds.length);
  }
  const top = -1.2, width = Math.max(x1, 12) + 0.4, height = y1 - top + 0.3;
  const svg = s("svg", {
    width: Math.round((width + 0.4) * CELL), height: Math.round(height * CELL),
    viewBox: `-0.2 ${top} ${width + 0.4} ${height}`, role: "img",
    "aria-label": `${title}. ${frame.caption}`, "font-family": "sans-serif",
  });
  const shapes = [], texts = []; // texts drawn last, over the taps' shading
  frame.grids.forEach((g, index) => {
    g.kinds.forEach((row, r) => row.forEach((kind, c) => {
      const [face, edge, dash] = cellStyle(kind);
      DASHES[dash] ??= dash ? dash.split(" ").map((v) => v / 20).join(" ") : "none";
      shapes.push(tag("rect", { x: g.x + c + 0.03, y: g.y + r + 0.03, width: 0.94, height: 0.94,
        fill: face, stroke: edge, "stroke-width": 0.05, "stroke-dasharray": DASHES[dash] }));
      const value = g.values?.[r]?.[c];
      if (value !== null && value !== undefined) {
        texts.push(tag("text", { x: g.x + c + 0.5, y: g.y + r + 0.5, "font-size": 0.4,
          "text-anchor": "middle", "dominant-baseline": "central", fill: INK }, num(value)));
      }
    }));
    if (labels[index]) {
      shapes.push(tag("text", { x: g.x, y: g.y - 0.2, "font-size": 0.34, fill: "#444" }, labels[index]));
    }
  });
  for (const [x, y, w] of frame.taps) {
    shapes.push(tag("rect", { x, y, width: 1, height: 1, fill: TAP }));
    if (w !== null) {
      texts.push(tag("text", { x: x + 0.93, y: y + 0.93, "font-size": 0.32, "text-anchor": "end",
        fill: "#fff", "font-weight": "bold" }, num(w)));
    }
  }
  shapes.push(...texts);
  if (frame.window) {
    const [x, y, w, hh] = frame.window;
    shapes.push(tag("rect", { x, y, width: w, height: hh, fill: "none", stroke: "#12356b", "stroke-width": 0.08 }));
  }
  for (const [ax, ay, bx, by] of frame.links) {
    shapes.push(tag("line", { x1: ax, y1: ay, x2: bx, y2: by, stroke: "#12356b", "stroke-width": 0.04, opacity: 0.5 }));
  }
  svg.innerHTML = shapes.join("");
  return svg;
}

// --- controls ------------------------------------------------------------------------

// A labelled native range input: keyboard-operable (arrows, Home/End, Page keys) with
// its name as the accessible label and the value read out next to it.
function slider(name, label, min, max, onInput) {
  const input = h("input", { type: "range", min, max, step: 1, "aria-label": label, name });
  const readout = h("output", { class: "convlab-readout", "aria-hidden": "true" });
  input.addEventListener("input", () => onInput(Number(input.value)));
  // The keys are handled here, not left to the browser: in JupyterLab the notebook cancels
  // a range input's default arrow-key action.
  input.addEventListener("keydown", (event) => {
    const low = Number(input.min), high = Number(input.max), value = Number(input.value);
    const page = Math.max(1, Math.round((high - low) / 10));
    const steps = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageUp: page,
      PageDown: -page, Home: low - value, End: high - value };
    if (!(event.key in steps) || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    event.stopPropagation();
    const next = Math.min(high, Math.max(low, value + steps[event.key]));
    if (next !== value) {
      input.value = next;
      onInput(next);
    }
  });
  const wrap = h("label", { class: "convlab-control" }, h("span", {}, label), input, readout);
  return { wrap, set(value, low = min, high = max) {
    input.min = low; input.max = high; input.value = value; readout.textContent = value;
    input.setAttribute("aria-valuetext", `${label} ${value}`);
  } };
}

function menu(name, label, onInput) {
  const select = h("select", { "aria-label": label, name });
  select.addEventListener("change", () => onInput(select.value));
  const wrap = h("label", { class: "convlab-control" }, h("span", {}, label), select);
  return { wrap, set(value, options) {
    const keys = options.map(([v]) => String(v));
    if ([...select.options].map((o) => o.value).join("\u0000") !== keys.join("\u0000")) {
      select.replaceChildren(...options.map(([v, text]) => h("option", { value: v }, String(text))));
    }
    select.value = String(value);
  } };
}

function checkbox(name, label, onInput) {
  const input = h("input", { type: "checkbox", name });
  input.addEventListener("change", () => onInput(input.checked));
  const wrap = h("label", { class: "convlab-control" }, input, h("span", {}, label));
  return { wrap, set(value) { input.checked = Boolean(value); } };
}

// A picture is never scaled down: its smallest text (a third of a cell, CELL px) stays at least
// 10 px on a phone, and a picture wider than the page scrolls inside .convlab-picture.
const CSS = `
.convlab-panel{font:14px/1.4 sans-serif;color:${INK};margin:6px 0}
.convlab-controls{display:flex;flex-wrap:wrap;gap:4px 16px;align-items:center;margin-bottom:6px}
.convlab-control{display:inline-flex;gap:6px;align-items:center;white-space:nowrap}
.convlab-control input[type=range]{width:120px}
.convlab-readout{min-width:2.2em;font-variant-numeric:tabular-nums}
.convlab-control input:focus-visible,.convlab-control select:focus-visible,.convlab-panel button:focus-visible{outline:3px solid #0072b2;outline-offset:2px}
.convlab-picture{overflow-x:auto;max-width:100%}
.convlab-picture svg{display:block}
.convlab-formula{padding:2px 0;overflow-wrap:anywhere}
.convlab-filter{display:flex;gap:18px;align-items:flex-start;flex-wrap:wrap}
.convlab-filter figure{margin:0;text-align:center;font-size:13px}
.convlab-filter canvas{width:224px;height:224px;image-rendering:pixelated;display:block;border:1px solid #999}
.convlab-pad{position:absolute;border:2px dashed #d55e00;box-sizing:border-box;pointer-events:none}
`;

// --- the panels ----------------------------------------------------------------------

// Common skeleton: controls, picture, formula. `setup(model, ui)` returns the controls
// keyed by the model attribute they set, and `draw()` which redraws picture and formula.
function panel(model, el, title, build) {
  // data-lm-suppress-shortcuts: in JupyterLab, keys pressed in the panel move its sliders
  // instead of running notebook shortcuts (arrows would move between cells).
  const root = h("div", { class: "convlab-panel", role: "group", "aria-label": title,
    "data-lm-suppress-shortcuts": "true" });
  const controls = h("div", { class: "convlab-controls" });
  // focusable, so a picture wider than a phone can be scrolled from the keyboard too
  const picture = h("div", { class: "convlab-picture", tabindex: "0" });
  const formula = h("div", { class: "convlab-formula", "aria-live": "polite" });
  root.append(h("style", {}, CSS), controls, picture, formula);
  el.replaceChildren(root);
  const change = (name, value) => {
    model.set(name, value);
    model.save_changes();
  };
  const { parts, draw } = build({ root, controls, picture, formula, change });
  controls.append(...parts.map((p) => p.wrap));
  let busy = false;
  const redraw = () => {
    if (busy) return; // a control adjusted by the draw itself must not redraw again
    busy = true;
    try {
      draw();
    } finally {
      busy = false;
    }
  };
  const names = new Set(build.names);
  const listener = (event) => redraw(event);
  for (const name of names) model.on(`change:${name}`, listener);
  redraw();
  return () => { for (const name of names) model.off(`change:${name}`, listener); };
}

function windowPanel(kind) {
  const conv = kind === "conv";
  const limits = conv
    ? { input_size: [1, 9], kernel_size: [1, 5], stride: [1, 3], padding: [0, 3], dilation: [1, 3] }
    : { input_size: [1, 5], kernel_size: [1, 4], stride: [1, 3], padding: [0, 3], output_padding: [0, 2], dilation: [1, 2] };
  const labels = { input_size: "input size" };
  const build = (model) => ({ picture, formula, root, change }) => {
    const parts = {};
    for (const [name, [lo, hi]] of Object.entries(limits)) {
      parts[name] = slider(name, labels[name] ?? name, lo, hi, (v) => change(name, v));
    }
    parts.position = slider("position", "output cell", 0, 0, (v) => change("position", v));
    parts.values = checkbox("values", "numbers", (v) => change("values", v));
    const play = h("button", { type: "button", "aria-label": "play the window across the output" }, "▶ play");
    let timer = null;
    play.addEventListener("click", () => {
      if (timer) { clearInterval(timer); timer = null; play.textContent = "▶ play"; return; }
      play.textContent = "❚❚ pause";
      timer = setInterval(() => {
        if (!root.isConnected) { clearInterval(timer); return; }
        change("position", (model.get("position") + 1) % Number(root.dataset.cells || 1));
      }, 700);
    });
    const draw = () => {
      const v = Object.fromEntries(Object.keys(limits).map((name) => [name, model.get(name)]));
      for (const [name, [lo, hi]] of Object.entries(limits)) parts[name].set(v[name], lo, Math.max(hi, v[name]));
      parts.values.set(model.get("values"));
      let frame, text, size, inputLabel, title;
      if (conv) {
        size = convSize(v.input_size, v.kernel_size, v.stride, v.padding, v.dilation);
        text = sizeFormula(v.input_size, v.kernel_size, v.stride, v.padding, v.dilation);
        title = `kernel ${v.kernel_size}×${v.kernel_size} · stride ${v.stride} · padding ${v.padding} · dilation ${v.dilation}`;
        inputLabel = `input ${v.input_size}×${v.input_size}`;
        root.dataset.padding = v.padding;
      } else {
        size = transposedSize(v.input_size, v.kernel_size, v.stride, v.padding, v.output_padding, v.dilation);
        const around = v.dilation * (v.kernel_size - 1) - v.padding;
        text = `o = (i − 1)s − 2p + d(k−1) + output_padding + 1 = (${v.input_size} − 1)·${v.stride} − ` +
          `2·${v.padding} + ${v.dilation}·${v.kernel_size - 1} + ${v.output_padding} + 1 = ${size}<br>` +
          `zeros between inputs s − 1 = ${v.stride - 1}; zeros around d(k−1) − p = ${around}` +
          (v.output_padding ? ` (+${v.output_padding} at the bottom/right)` : "");
        title = `transposed · kernel ${v.kernel_size}×${v.kernel_size} · stride ${v.stride} · padding ${v.padding}` +
          (v.output_padding ? ` · output_padding ${v.output_padding}` : "") +
          (v.dilation !== 1 ? ` · dilation ${v.dilation}` : "");
        inputLabel = `input ${v.input_size}×${v.input_size} spread: zeros between and around`;
        root.dataset.padding = around;
        root.dataset.between = v.stride - 1;
      }
      root.dataset.outputSize = size;
      try {
        const axis = conv
          ? convAxis(v.input_size, v.kernel_size, v.stride, v.padding, v.dilation)
          : transposedAxis(v.input_size, v.kernel_size, v.stride, v.padding, v.output_padding, v.dilation);
        const cells = axis.starts.length ** 2;
        const position = Math.min(model.get("position"), cells - 1);
        parts.position.set(position, 0, cells - 1);
        root.dataset.cells = cells;
        frame = windowFrame(axis, position, v.input_size, model.get("values"), !conv);
        if (!conv && model.get("values")) frame.caption = "kernel rotated 180°: " + frame.caption;
        if (position !== model.get("position")) change("position", position);
      } catch (error) {
        frame = errorFrame(error.message, v.input_size, conv ? v.padding : 0);
        parts.position.set(0, 0, 0);
        root.dataset.cells = 1;
      }
      const count = frame.grids[1]?.kinds.length ?? 0;
      const svg = drawFrame(frame, [inputLabel, `output ${count}×${count}`], title);
      svg.insertBefore(s("text", { x: 0, y: -0.75, "font-size": 0.36, "font-weight": "bold", fill: INK }, title), svg.firstChild);
      picture.replaceChildren(svg, h("div", { class: "convlab-caption" }, frame.caption));
      formula.innerHTML = text;
    };
    return { parts: [...Object.values(parts), { wrap: play }], draw };
  };
  return { names: [...Object.keys(limits), "position", "values"], build };
}

function divisors(a, b) {
  const out = [];
  for (let g = 1; g <= Math.min(a, b); g++) if (a % g === 0 && b % g === 0) out.push(g);
  return out;
}

function groupsFrame(cIn, cOut, groups, highlight) {
  const perIn = cIn / groups, perOut = cOut / groups;
  const role = (g) => (highlight === null || highlight === g ? `g${g}` : "muted");
  const tall = Math.max(cIn, cOut), inY = (tall - cIn) / 2, outY = (tall - cOut) / 2;
  const column = (n, per) => Array.from({ length: n }, (_, i) => [role(Math.floor(i / per))]);
  const weight = Array.from({ length: cOut }, (_, o) => Array.from({ length: cIn }, (_, i) =>
    Math.floor(o / perOut) === Math.floor(i / perIn) ? role(Math.floor(o / perOut)) : "zero"));
  const links = [];
  for (let o = 0; o < cOut; o++) for (let i = 0; i < cIn; i++) {
    const g = Math.floor(o / perOut);
    if (g === Math.floor(i / perIn) && (highlight === null || highlight === g)) links.push([1, inY + i + 0.5, 5, outY + o + 0.5]);
  }
  return { grids: [{ x: 0, y: inY, kinds: column(cIn, perIn) }, { x: 5, y: outY, kinds: column(cOut, perOut) },
    { x: 9.5, y: outY, kinds: weight }], taps: [], window: null, links,
  caption: `weight shape (${cOut}, ${perIn}, k, k): 1/${groups} of the dense (${cOut}, ${cIn}, k, k)` };
}

const GROUPS = {
  names: ["in_channels", "out_channels", "groups", "highlight"],
  build: (model) => ({ picture, formula, root, change }) => {
    const parts = {
      in_channels: slider("in_channels", "in_channels", 1, 12, (v) => change("in_channels", v)),
      out_channels: slider("out_channels", "out_channels", 1, 12, (v) => change("out_channels", v)),
      groups: menu("groups", "groups", (v) => change("groups", Number(v))),
      highlight: menu("highlight", "show group", (v) => change("highlight", v === "all" ? null : Number(v))),
    };
    const draw = () => {
      const cIn = model.get("in_channels"), cOut = model.get("out_channels");
      parts.in_channels.set(cIn, 1, Math.max(12, cIn));
      parts.out_channels.set(cOut, 1, Math.max(12, cOut));
      const options = divisors(cIn, cOut);
      let g = model.get("groups");
      if (!options.includes(g)) g = Math.max(...options.filter((o) => o <= g));
      let light = model.get("highlight");
      if (light !== null && light >= g) light = null;
      parts.groups.set(g, options.map((o) => [o, o]));
      parts.highlight.set(light === null ? "all" : light,
        [["all", "all"], ...Array.from({ length: g }, (_, i) => [i, i])]);
      if (g !== model.get("groups")) change("groups", g);
      if (light !== model.get("highlight")) change("highlight", light);
      const frame = groupsFrame(cIn, cOut, g, light);
      const title = `groups=${g}${g === cIn ? " (depthwise)" : ""}: each output channel reads ` +
        `${cIn / g} of ${cIn} input channels`;
      const svg = drawFrame(frame, ["input channels", "output channels", "weight (a cell = one k×k filter)"], title);
      svg.insertBefore(s("text", { x: 0, y: -0.75, "font-size": 0.36, "font-weight": "bold", fill: INK }, title), svg.firstChild);
      picture.replaceChildren(svg);
      root.dataset.perGroup = cIn / g;
      root.dataset.groups = g;
      formula.textContent = `weight shape (C_out, C_in/g, k, k) = (${cOut}, ${cIn}/${g}, k, k) = ` +
        `(${cOut}, ${cIn / g}, k, k): 1/${g} of the weights and multiply-adds of a dense layer`;
    };
    return { parts: Object.values(parts), draw };
  },
};

// --- separable cost bars -------------------------------------------------------------

export function separableCosts(cIn, cOut, k, size) {
  const k2 = k * k, hw = size * size;
  return { standard: [k2 * cIn * cOut, k2 * cIn * cOut * hw], depthwise: [k2 * cIn, k2 * cIn * hw],
    pointwise: [cIn * cOut, cIn * cOut * hw] };
}

const BAR = { standard: "#56b4e9", depthwise: "#e69f00", pointwise: "#009e73" };

const COST = {
  names: ["in_channels", "out_channels", "kernel_size", "size"],
  build: (model) => ({ picture, formula, root, change }) => {
    const spec = [["in_channels", "C_in", 512], ["out_channels", "C_out", 1024],
      ["kernel_size", "kernel_size k", 9], ["size", "output size H = W", 224]];
    const parts = spec.map(([name, label, hi]) => [name, slider(name, label, 1, hi, (v) => change(name, v)), hi]);
    const draw = () => {
      for (const [name, part, hi] of parts) part.set(model.get(name), 1, Math.max(hi, model.get(name)));
      const [cIn, cOut, k, size] = COST.names.map((n) => model.get(n));
      const costs = separableCosts(cIn, cOut, k, size);
      const svg = s("svg", { width: 620, height: 150, viewBox: "0 0 620 150", role: "img", "font-family": "sans-serif",
        "aria-label": `Bars: standard ${costs.standard[0].toLocaleString("en")} weights and ` +
          `${costs.standard[1].toLocaleString("en")} MACs; separable ` +
          `${(costs.depthwise[0] + costs.pointwise[0]).toLocaleString("en")} weights and ` +
          `${(costs.depthwise[1] + costs.pointwise[1]).toLocaleString("en")} MACs` });
      ["weights", "multiply-accumulates per image"].forEach((heading, index) => {
        const x0 = 80 + index * 280, length = 170;
        const standard = costs.standard[index], dw = costs.depthwise[index], pw = costs.pointwise[index];
        const scale = length / Math.max(standard, dw + pw);
        svg.append(s("text", { x: x0, y: 18, "font-size": 13 }, heading));
        if (index === 0) {
          svg.append(s("text", { x: x0 - 6, y: 52, "font-size": 12, "text-anchor": "end" }, "standard"));
          svg.append(s("text", { x: x0 - 6, y: 92, "font-size": 12, "text-anchor": "end" }, "separable"));
        }
        svg.append(s("rect", { x: x0, y: 38, width: standard * scale, height: 22, fill: BAR.standard, stroke: "#0072b2" }));
        svg.append(s("rect", { x: x0, y: 78, width: dw * scale, height: 22, fill: BAR.depthwise, stroke: "#7a5200" }));
        svg.append(s("rect", { x: x0 + dw * scale, y: 78, width: pw * scale, height: 22, fill: BAR.pointwise,
          stroke: "#005a40", "stroke-dasharray": "4 2" }));
        svg.append(s("text", { x: x0 + standard * scale + 4, y: 54, "font-size": 11 }, standard.toLocaleString("en")));
        svg.append(s("text", { x: x0 + (dw + pw) * scale + 4, y: 94, "font-size": 11 }, (dw + pw).toLocaleString("en")));
      });
      svg.append(s("rect", { x: 80, y: 122, width: 14, height: 12, fill: BAR.depthwise }));
      svg.append(s("text", { x: 98, y: 132, "font-size": 11 }, "depthwise k×k"));
      svg.append(s("rect", { x: 200, y: 122, width: 14, height: 12, fill: BAR.pointwise }));
      svg.append(s("text", { x: 218, y: 132, "font-size": 11 }, "pointwise 1×1"));
      picture.replaceChildren(svg);
      const exact = (costs.depthwise[1] + costs.pointwise[1]) / costs.standard[1];
      Object.assign(root.dataset, { standardParams: costs.standard[0], standardMacs: costs.standard[1],
        separableParams: costs.depthwise[0] + costs.pointwise[0], separableMacs: costs.depthwise[1] + costs.pointwise[1],
        ratio: exact });
      formula.innerHTML = `MACs ratio = (k²C<sub>in</sub> + C<sub>in</sub>C<sub>out</sub>)HW / ` +
        `(k²C<sub>in</sub>C<sub>out</sub>HW) = 1/C<sub>out</sub> + 1/k² = 1/${cOut} + 1/${k * k} = ` +
        `${exact.toFixed(4)}: ${(1 / exact).toFixed(1)}× fewer multiply-accumulates (and weights)`;
    };
    return { parts: parts.map(([, part]) => part), draw };
  },
};

// --- the image filter ----------------------------------------------------------------

// Python ships each sample image as a palette of exact float values plus one index per
// pixel (base64, uint8 or little-endian uint16), so the pixels here equal Python's.
function decodeImage({ size, palette, index, bytes }) {
  const raw = Uint8Array.from(atob(index), (ch) => ch.charCodeAt(0));
  const ids = bytes === 2 ? new Uint16Array(raw.buffer) : raw;
  return { size, pixels: Float64Array.from(ids, (i) => palette[i]) };
}

// Cross-correlation with torch's argument meanings (zero padding, stride, dilation).
export function correlate(image, n, kernel, stride, padding, dilation) {
  const k = kernel.length, padded = n + 2 * padding, reach = dilation * (k - 1) + 1;
  if (reach > padded) {
    throw new Error(`the dilated kernel (${reach}, ${reach}) is larger than the padded image ` +
      `(${padded}, ${padded}): there is no output`);
  }
  const out = Math.floor((padded - reach) / stride) + 1;
  const result = new Float64Array(out * out);
  const flat = kernel.flat();
  for (let i = 0; i < out; i++) {
    for (let j = 0; j < out; j++) {
      let sum = 0;
      for (let a = 0; a < k; a++) {
        const y = i * stride + a * dilation - padding;
        if (y < 0 || y >= n) continue;
        const row = y * n;
        for (let b = 0; b < k; b++) {
          const x = j * stride + b * dilation - padding;
          if (x >= 0 && x < n) sum += image[row + x] * flat[a * k + b];
        }
      }
      result[i * out + j] = sum;
    }
  }
  return { out, data: result };
}

// Paint a greyscale picture: `level(p)` in [0, 1] for pixel p (row-major), NaN for black.
function paintGrey(canvas, width, height, level) {
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const ctx = canvas.getContext("2d");
  const data = ctx.createImageData(width, height);
  const px = data.data;
  for (let p = 0, q = 0; p < width * height; p++, q += 4) {
    const v = level(p);
    const c = v > 0 ? (v < 1 ? Math.round(255 * v) : 255) : 0; // NaN -> 0
    px[q] = px[q + 1] = px[q + 2] = c;
    px[q + 3] = 255;
  }
  ctx.putImageData(data, 0, 0);
}

// blue (negative) - white - orange (positive): Okabe & Ito's pair, safe for colour-blind readers
function diverging(t) {
  const u = Math.min(1, Math.max(-1, t));
  const [r, g, b] = u < 0 ? [0, 114, 178] : [230, 159, 0];
  const a = Math.abs(u);
  return [Math.round(255 + (r - 255) * a), Math.round(255 + (g - 255) * a), Math.round(255 + (b - 255) * a)];
}

function kernelSvg(kernel, name) {
  const k = kernel.length, limit = 2 * Math.max(...kernel.flat().map(Math.abs)) || 1;
  const size = 120 / k;
  const svg = s("svg", { width: 120, height: 120, viewBox: "0 0 120 120", role: "img", "font-family": "sans-serif",
    "aria-label": `${name} kernel ${k}×${k}: ${kernel.map((row) => row.map(num).join(" ")).join("; ")}` });
  kernel.forEach((row, r) => row.forEach((w, c) => {
    const [cr, cg, cb] = diverging(w / limit);
    svg.append(s("rect", { x: c * size, y: r * size, width: size, height: size, fill: `rgb(${cr},${cg},${cb})`, stroke: "#888", "stroke-width": 0.5 }));
    if (k <= 3) {
      svg.append(s("text", { x: (c + 0.5) * size, y: (r + 0.5) * size, "font-size": 13, "text-anchor": "middle",
        "dominant-baseline": "central", fill: INK }, String(Number(w.toPrecision(2)))));
    }
  }));
  return svg;
}

const FILTER = {
  names: ["image", "kernel", "kernel_size", "stride", "padding", "dilation"],
  build: (model) => ({ picture, formula, root, change }) => {
    const images = {};
    for (const [name, encoded] of Object.entries(model.get("_images"))) images[name] = decodeImage(encoded);
    const kernels = model.get("_kernels");
    const parts = {
      image: menu("image", "image", (v) => change("image", v)),
      kernel: menu("kernel", "kernel", (v) => change("kernel", v)),
      kernel_size: slider("kernel_size", "kernel_size", 1, 7, (v) => change("kernel_size", v)),
      stride: slider("stride", "stride", 1, 4, (v) => change("stride", v)),
      padding: slider("padding", "padding", 0, 8, (v) => change("padding", v)),
      dilation: slider("dilation", "dilation", 1, 4, (v) => change("dilation", v)),
    };
    const input = h("canvas", { role: "img" }), output = h("canvas", { role: "img" });
    const pad = h("div", { class: "convlab-pad" });
    const captions = [h("figcaption"), h("figcaption"), h("figcaption")];
    const kernelBox = h("div");
    const layout = h("div", { class: "convlab-filter" },
      h("figure", {}, captions[0], h("div", { style: "position:relative" }, input, pad)),
      h("figure", { style: "margin-top:50px" }, captions[1], kernelBox),
      h("figure", {}, captions[2], output));
    picture.replaceChildren(layout);
    const draw = () => {
      const v = Object.fromEntries(FILTER.names.map((name) => [name, model.get(name)]));
      parts.image.set(v.image, Object.keys(images).map((n) => [n, n]));
      parts.kernel.set(v.kernel, Object.keys(kernels).map((n) => [n, n]));
      for (const [name, hi] of [["kernel_size", 7], ["stride", 4], ["padding", 8], ["dilation", 4]]) {
        parts[name].set(v[name], name === "padding" ? 0 : 1, Math.max(hi, v[name]));
      }
      const { size, pixels } = images[v.image];
      const n = size, p = v.padding, k = v.kernel_size;
      const side = n + 2 * p;
      paintGrey(input, side, side, (q) => {
        const y = Math.floor(q / side) - p, x = (q % side) - p;
        return y >= 0 && y < n && x >= 0 && x < n ? pixels[y * n + x] : 0;
      });
      Object.assign(pad.style, { left: `${(100 * p) / side}%`, top: `${(100 * p) / side}%`,
        width: `${(100 * n) / side}%`, height: `${(100 * n) / side}%` });
      input.setAttribute("aria-label", `${v.image}, ${n}×${n} pixels, padded with ${p} zeros on each side`);
      let text = sizeFormula(n, k, v.stride, p, v.dilation);
      const entry = kernels[v.kernel]?.[k - 1];
      let result = null;
      try {
        if (typeof entry === "string" || !entry) throw new Error(entry || `no kernel ${v.kernel}`);
        result = correlate(pixels, n, entry, v.stride, p, v.dilation);
      } catch (error) {
        text += `<br>${error.message.replace(/[<>&]/g, (ch) => `&#${ch.charCodeAt(0)};`)}`;
      }
      const kernel = Array.isArray(entry) ? entry : [[0]];
      kernelBox.replaceChildren(kernelSvg(kernel, v.kernel));
      captions[0].textContent = `input ${n}×${n}, padding ${p}`;
      captions[1].textContent = `kernel ${k}×${k}`;
      if (result) {
        const signed = Math.abs(kernel.flat().reduce((a, b) => a + b, 0)) < 1e-9;
        let reach = 0;
        for (const x of result.data) reach = Math.max(reach, Math.abs(x));
        reach = reach || 1;
        const data = result.data;
        paintGrey(output, result.out, result.out, signed ? (q) => (data[q] / reach + 1) / 2 : (q) => data[q]);
        captions[2].textContent = `output ${result.out}×${result.out}`;
        output.setAttribute("aria-label", `${v.image} filtered with ${v.kernel} ${k}×${k}, stride ${v.stride}, ` +
          `padding ${p}, dilation ${v.dilation}: ${result.out}×${result.out} pixels` + (signed ? ", grey is zero" : ""));
        root.dataset.outputSize = result.out;
      } else {
        paintGrey(output, 1, 1, () => 1);
        captions[2].textContent = "no output";
        output.setAttribute("aria-label", "no output");
        root.dataset.outputSize = 0;
      }
      root.convlabOutput = result; // the numbers on show, for tests next to the panel
      formula.innerHTML = text;
    };
    return { parts: Object.values(parts), draw };
  },
};

const PANELS = {
  ConvPanel: ["convolution sliders", windowPanel("conv")],
  TransposedPanel: ["transposed convolution sliders", windowPanel("transposed")],
  GroupsPanel: ["grouped convolution sliders", GROUPS],
  FilterPanel: ["image filter sliders", FILTER],
  SeparableCostPanel: ["depthwise-separable cost sliders", COST],
};

function render({ model, el }) {
  const [title, spec] = PANELS[model.get("_panel")];
  const build = spec.build(model);
  build.names = spec.names;
  return panel(model, el, title, build);
}

const widget = { render };
export default widget;
