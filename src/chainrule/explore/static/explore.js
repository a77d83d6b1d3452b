// chainrule explore: the page. It draws what the server computes and sends every change
// back; no number shown here is computed here (the browser only formats and scales them).
"use strict";

const SVGNS = "http://www.w3.org/2000/svg";
const S = { state: null, options: null, steps: [], step: -1, selected: null, formula: null, fstep: -1 };
const $ = (id) => document.getElementById(id);

// ---- talking to the server ------------------------------------------------------------
async function api(path, body) {
  const opts = body === undefined ? { method: "GET" }
    : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  let res, data;
  try {
    res = await fetch("/api/" + path, opts);
    data = await res.json();
  } catch (err) {
    showError("the server did not answer (" + err + ")");
    throw err;
  }
  if (!res.ok || data.ok === false) {
    showError((data && data.message) || ("HTTP " + res.status));
    const err = new Error(data && data.message);
    err.data = data;
    throw err;
  }
  hideError();
  for (const key of ["weights", "grads"]) {
    if (data[key]) for (const name of Object.keys(data[key])) data[key][name] = unpack(data[key][name]);
  }
  return data;
}

// Parameter arrays come as float64 bytes in base64 (exact, and quick for big networks).
function unpack(p) {
  let bytes;
  if (Uint8Array.fromBase64) {
    bytes = Uint8Array.fromBase64(p.f64);
  } else {
    const text = atob(p.f64);
    bytes = new Uint8Array(text.length);
    for (let k = 0; k < text.length; k++) bytes[k] = text.charCodeAt(k);
  }
  return { shape: p.shape, data: new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8) };
}
function at(p, i, j) { return p.shape.length === 2 ? p.data[i * p.shape[1] + j] : p.data[i]; }
function maxAbs(p) {
  let m = 1e-12;
  for (const v of p.data) if (Math.abs(v) > m) m = Math.abs(v);
  return m;
}

function showError(message) {
  $("error-text").textContent = message;
  $("error").hidden = false;
}
function hideError() { $("error").hidden = true; }

// ---- formatting (display only) --------------------------------------------------------
function fmt(v) {
  if (v === undefined) return "";
  if (v === null) return "not finite";  // the server sends null for Infinity and NaN
  if (Array.isArray(v)) return "[" + v.map(fmt).join(", ") + "]";
  if (typeof v !== "number") return String(v);
  if (!Number.isFinite(v)) return "not finite";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-4) return v.toExponential(5).replace(/\.?0+e/, "e");
  return String(Number.parseFloat(v.toPrecision(6)));
}
function short(v) { return typeof v === "number" && Number.isFinite(v) ? String(Number.parseFloat(v.toPrecision(3))) : fmt(v); }
function setNumber(el, v) { el.textContent = fmt(v); el.dataset.value = String(v); }

function svgEl(tag, attrs, parent) {
  const el = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  if (parent) parent.appendChild(el);
  return el;
}

// ---- the network picture --------------------------------------------------------------
const VIEW = { w: 900, h: 460, pad: 46 };

function unitPositions(net) {
  const cols = net.columns;
  const dx = (VIEW.w - 2 * VIEW.pad) / Math.max(1, cols.length - 1);
  return cols.map((c, k) => {
    const n = c.width;
    const span = VIEW.h - 2 * VIEW.pad - 10;
    const dy = n > 1 ? Math.min(90, span / (n - 1)) : 0;
    const top = VIEW.h / 2 - (dy * (n - 1)) / 2;
    const r = Math.max(2, Math.min(22, dy / 2.4 || 22));
    const x = cols.length > 1 ? VIEW.pad + k * dx : VIEW.w / 2;
    const roomy = n === 1 || dy >= 2 * r + 16;  // space below each unit for its gradient
    return Array.from({ length: n }, (_, i) => ({ x, y: top + i * dy, r, roomy }));
  });
}

function paramsOfColumn(net, k) {
  const ps = net.parameters.filter((p) => p.column === k);
  return { W: ps.find((p) => p.name[0] === "W"), b: ps.find((p) => p.name[0] === "b") };
}

function drawNetwork() {
  const svg = $("net");
  const net = S.state.network;
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${VIEW.w} ${VIEW.h}`);
  svgEl("rect", { width: VIEW.w, height: VIEW.h, fill: "#ffffff" }, svg);
  const pos = unitPositions(net);
  S.pos = pos;
  const edges = svgEl("g", { class: "edges" }, svg);
  const nEdges = net.parameters.filter((p) => p.name[0] === "W").reduce((s, p) => s + p.shape[0] * p.shape[1], 0);
  S.weightLabels = nEdges <= 40;
  // Thousands of edges: paint them without anti-aliasing, which keeps a redraw quick.
  if (nEdges > 2000) edges.setAttribute("shape-rendering", "optimizeSpeed");
  S.thin = nEdges > 400 ? 0.35 : 1;  // many edges: thinner and fainter, so the units show
  for (let k = 1; k < pos.length; k++) {
    const { W } = paramsOfColumn(net, k);
    if (!W) continue;
    for (let i = 0; i < W.shape[0]; i++) {
      for (let j = 0; j < W.shape[1]; j++) {
        const a = pos[k - 1][j], b = pos[k][i];
        svgEl("line", { class: "edge", x1: a.x, y1: a.y, x2: b.x, y2: b.y,
          "data-param": W.name, "data-i": i, "data-j": j, "data-column": k }, edges);
        if (S.weightLabels) {
          const t = 0.72;
          svgEl("text", { class: "wlabel", x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y) - 4,
            "text-anchor": "middle", "data-param": W.name, "data-i": i, "data-j": j }, edges);
        }
      }
    }
  }
  const units = svgEl("g", { class: "units" }, svg);
  pos.forEach((col, k) => {
    const c = net.columns[k];
    const label = k === 0 ? "input x" : `layer ${k}` + (c.activations.length ? " · " + c.activations.join(", ") : "");
    svgEl("text", { class: "collabel", x: col.length ? col[0].x : 0, y: 18, "text-anchor": "middle" }, svg).textContent = label;
    col.forEach((p, i) => {
      const g = svgEl("g", { class: "unit", "data-column": k, "data-unit": i }, units);
      svgEl("circle", { cx: p.x, cy: p.y, r: p.r }, g);
      if (p.r >= 9) {
        svgEl("text", { class: "val", x: p.x, y: p.y + 4, "text-anchor": "middle" }, g);
        if (p.roomy) svgEl("text", { class: "grad", x: p.x, y: p.y + p.r + 12, "text-anchor": "middle" }, g);
      }
      svgEl("title", {}, g);
    });
  });
  S.edges = {};
  for (const e of svg.querySelectorAll("line.edge")) (S.edges[e.dataset.param] ||= []).push(e);
  restyle(Object.keys(S.edges));
  updatePicture();
}

// Colour and width of the edges of the weights ``names`` (width relative to the largest
// weight of the same matrix), and their labels on a small network.
function restyle(names) {
  const st = S.state;
  S.maxAbs = S.maxAbs || {};
  for (const name of names) {
    const p = st.weights[name], m = maxAbs(p);
    S.maxAbs[name] = m;
    for (const e of S.edges[name] || []) styleEdge(e, at(p, +e.dataset.i, +e.dataset.j), m);
  }
  for (const t of $("net").querySelectorAll("text.wlabel")) {
    const w = at(st.weights[t.dataset.param], +t.dataset.i, +t.dataset.j);
    t.textContent = fmt(w);
    t.setAttribute("fill", w >= 0 ? "#1d4ed8" : "#b91c1c");
  }
}

function styleEdge(e, w, m) {
  e.setAttribute("stroke", w >= 0 ? "#2563eb" : "#dc2626");
  e.setAttribute("stroke-width", (S.thin * (0.6 + 5 * Math.abs(w) / m)).toFixed(2));
}

// One weight changed: restyle its edge, or its whole matrix when the largest size changed.
function weightChanged(name, i, j, value) {
  const p = S.state.weights[name];
  p.data[p.shape.length === 2 ? i * p.shape[1] + j : i] = value;
  if (name[0] !== "W") return;
  const m = maxAbs(p);
  if (m !== S.maxAbs[name]) { restyle([name]); return; }
  const e = $("net").querySelector(`line.edge[data-param="${name}"][data-i="${i}"][data-j="${j}"]`);
  styleEdge(e, value, m);
  const t = $("net").querySelector(`text.wlabel[data-param="${name}"][data-i="${i}"][data-j="${j}"]`);
  if (t) { t.textContent = fmt(value); t.setAttribute("fill", value >= 0 ? "#1d4ed8" : "#b91c1c"); }
}

function updatePicture() {
  const st = S.state;
  const svg = $("net");
  for (const g of svg.querySelectorAll("g.unit")) {
    const k = +g.dataset.column, i = +g.dataset.unit;
    const u = st.units[k];
    const val = g.querySelector("text.val"), grad = g.querySelector("text.grad");
    if (val) val.textContent = S.pos[k][i].r >= 18 ? fmt(u.h[i]) : short(u.h[i]);
    if (grad) grad.textContent = "∂ " + fmt(u.dh[i]);
    g.querySelector("title").textContent = unitName(k, i) + ": value " + u.h[i] + ", gradient " + u.dh[i];
  }
  setNumber($("loss"), st.loss);
  $("net-title").textContent = st.network.title;
  $("net-params").textContent = st.network.n_parameters;
  $("example-label").textContent = `${st.example + 1} of ${st.n_examples}`;
  $("target").textContent = fmt(st.target);
  $("train-steps").textContent = st.train.steps;
  highlightStep();
  drawCurve();
  showSelected();
}

function unitName(k, i) { return k === 0 ? `x${i + 1}` : `h${k}[${i + 1}]`; }

// The name of an engine quantity in the chosen notation (MathML from the server), else plain.
function nameHTML(keys, plain) {
  const names = (S.derivation && S.derivation.names) || {};
  for (const k of keys) if (names[k]) return names[k];
  const span = document.createElement("span");
  span.textContent = plain;
  return span.outerHTML;
}
function unitKeys(k) { return k === 0 ? ["X"] : [`h${k}`, `z${k}`]; }

// ---- selecting and editing --------------------------------------------------------------
function onPictureClick(ev) {
  const edge = ev.target.closest("line.edge");
  const unit = ev.target.closest("g.unit");
  if (edge) S.selected = { kind: "weight", name: edge.dataset.param, i: +edge.dataset.i, j: +edge.dataset.j };
  else if (unit) S.selected = { kind: "unit", column: +unit.dataset.column, i: +unit.dataset.unit };
  else return;
  showSelected();
}

function formulaFor(symbols) {
  const f = (S.derivation && S.derivation.formulas) || {};
  for (const s of symbols) if (f[s]) return f[s];
  return "";
}

function showSelected() {
  const sel = S.selected, st = S.state;
  for (const el of $("net").querySelectorAll(".selected")) el.classList.remove("selected");
  if (!sel || !st) { $("insp-body").hidden = true; $("insp-empty").hidden = false; return; }
  $("insp-body").hidden = false; $("insp-empty").hidden = true;
  let name, key, value, grad, gradLabel, extraLabel = "", extra = "", editLabel, editable = true, symbols;
  if (sel.kind === "weight") {
    const q = `line.edge[data-param="${sel.name}"][data-i="${sel.i}"][data-j="${sel.j}"]`;
    const el = $("net").querySelector(q);
    if (el) el.classList.add("selected");
    name = nameHTML([sel.name], sel.name) + ` [${sel.i + 1}, ${sel.j + 1}]`;
    key = `${sel.name}[${sel.i},${sel.j}]`;
    value = at(st.weights[sel.name], sel.i, sel.j);
    grad = at(st.grads[sel.name], sel.i, sel.j);
    gradLabel = "gradient";
    extraLabel = "connects";  // plain text: no markup in it
    extra = `${unitName(+sel.name.slice(1) - 1, sel.j)} → ${unitName(+sel.name.slice(1), sel.i)}`;
    editLabel = "weight";
    symbols = [sel.name];
  } else {
    const k = sel.column, i = sel.i, u = st.units[k];
    const el = $("net").querySelector(`g.unit[data-column="${k}"][data-unit="${i}"]`);
    if (el) el.classList.add("selected");
    name = nameHTML(unitKeys(k), k === 0 ? "x" : `h${k}`) + ` [${i + 1}]`;
    key = `unit[${k},${i}]`;
    value = u.h[i];
    grad = u.dh[i];
    gradLabel = "gradient";
    if (k > 0) {
      if (st.network.columns[k].activations.length) {
        extraLabel = nameHTML([`z${k}`], `z${k}`) + " · gradient";
        extra = `${fmt(u.z[i])} · ${fmt(u.dz[i])}`;
      }
      const { b } = paramsOfColumn(st.network, k);
      editable = Boolean(b);
      editLabel = b ? `bias ${b.name}[${i + 1}] = ${fmt(at(st.weights[b.name], i))}` : "no bias";
      symbols = [`h${k}`, `z${k}`, b ? b.name : ""];
    } else {
      editLabel = "input";
      symbols = ["x"];
    }
  }
  $("insp-name").innerHTML = name;
  $("insp-name").dataset.key = key;
  setNumber($("insp-value"), value);
  setNumber($("insp-grad"), grad);
  $("insp-grad-label").textContent = gradLabel;
  $("insp-extra-label").innerHTML = extraLabel;
  $("insp-extra").textContent = extra;
  $("insp-extra-row").hidden = !extraLabel;
  $("insp-edit-label").textContent = editLabel;
  $("insp-edit").disabled = !editable;
  $("insp-set").disabled = !editable;
  $("insp-formula").innerHTML = formulaFor(symbols);
}

async function onEdit(ev) {
  ev.preventDefault();
  const sel = S.selected;
  const text = $("insp-edit").value.trim();
  const value = Number(text);
  if (!sel || text === "" || !Number.isFinite(value)) {
    showError(`"${text}" is not a number`);
    return;
  }
  if (sel.kind === "weight") {
    const r = await api("parameter", { name: sel.name, index: [sel.i, sel.j], value });
    weightChanged(sel.name, sel.i, sel.j, r.changed.value);
    merge(r);
  } else if (sel.column === 0) {
    merge(await api("input", { column: sel.i, value }));
  } else {
    const { b } = paramsOfColumn(S.state.network, sel.column);
    const r = await api("parameter", { name: b.name, index: [sel.i], value });
    weightChanged(b.name, sel.i, 0, r.changed.value);
    merge(r);
  }
  await loadSteps();
}

function merge(r) {
  const keep = S.state;
  S.state = Object.assign({}, keep, r);
  if (!r.weights) S.state.weights = keep.weights;
  if (!r.network) S.state.network = keep.network;
  updatePicture();
}

// ---- the stepper ------------------------------------------------------------------------
async function loadSteps() {
  try {
    S.derivation = await api("derivation", mathChoice());
  } catch (err) {
    S.derivation = { steps: [], formulas: {} };
  }
  S.steps = S.derivation.steps || [];
  if (S.step >= S.steps.length) S.step = S.steps.length - 1;
  highlightStep();
  showSelected();
}

function highlightStep() {
  const svg = $("net");
  for (const el of svg.querySelectorAll(".hl")) el.classList.remove("hl");
  const step = S.steps[S.step];
  $("step-count").textContent = S.steps.length ? `${S.step + 1} / ${S.steps.length}` : "";
  if (!step) {
    svg.classList.remove("stepping");
    $("step-title").textContent = "Press next to walk forward through the network, then back.";
    $("step-math").replaceChildren();
    return;
  }
  svg.classList.add("stepping");
  for (const k of step.columns) {
    for (const u of svg.querySelectorAll(`g.unit[data-column="${k}"]`)) u.classList.add("hl");
  }
  for (const p of step.params) {
    for (const e of svg.querySelectorAll(`line.edge[data-param="${p}"]`)) e.classList.add("hl");
  }
  $("step-title").textContent = step.title;
  $("step-math").innerHTML = step.html;
}

function move(delta) {
  if (!S.steps.length) return;
  S.step = Math.max(-1, Math.min(S.steps.length - 1, S.step + delta));
  highlightStep();
}

// ---- training ---------------------------------------------------------------------------
async function train(total) {
  const optimizer = $("optimizer").value, lr = Number($("lr").value);
  const chunk = Math.max(1, Math.min(1000, Math.ceil(total / 40)));
  let left = total;
  $("train-many").disabled = true;
  try {
    while (left > 0) {
      const n = Math.min(chunk, left);
      const r = await api("train", { steps: n, optimizer, lr });
      S.state = r;
      restyle(Object.keys(S.edges));
      updatePicture();
      left -= n;
      if (r.note) showError(r.note);
      if (r.losses.length < n) break;  // the loss stopped being finite
    }
  } finally {
    $("train-many").disabled = false;
  }
  if (S.state.network.columns.length !== $("net").querySelectorAll("text.collabel").length) drawNetwork();
  await loadSteps();
}

function drawCurve() {
  const svg = $("curve"), hist = S.state.train.history, start = S.state.train.history_start;
  svg.replaceChildren();
  const W = 320, H = 140, L = 42, B = 18;
  svgEl("line", { x1: L, y1: H - B, x2: W - 4, y2: H - B }, svg);
  svgEl("line", { x1: L, y1: 4, x2: L, y2: H - B }, svg);
  const finite = hist.filter(Number.isFinite);
  if (!finite.length) {
    svgEl("text", { x: L + 8, y: H / 2 }, svg).textContent = "train to see the loss curve";
    return;
  }
  const lo = Math.min(...finite), hi = Math.max(...finite);
  const span = hi - lo || 1;
  const pts = hist.map((v, i) => {
    const x = L + ((W - L - 6) * i) / Math.max(1, hist.length - 1);
    const y = 4 + (H - B - 8) * (1 - ((Number.isFinite(v) ? v : hi) - lo) / span);
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  svgEl("polyline", { points: pts.join(" ") }, svg);
  svgEl("text", { x: 2, y: 12 }, svg).textContent = fmt(hi);
  svgEl("text", { x: 2, y: H - B }, svg).textContent = fmt(lo);
  svgEl("text", { x: L, y: H - 4 }, svg).textContent = `step ${start}`;
  svgEl("text", { x: W - 4, y: H - 4, "text-anchor": "end" }, svg).textContent = `${start + hist.length}`;
}

// ---- export -----------------------------------------------------------------------------
function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url; a.download = name;
  document.body.appendChild(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// The notation and layout chosen on the page (none while derive offers none).
function mathChoice() {
  return { notation: $("notation").value, layout: $("layout").value };
}

async function exportDerivation(format) {
  const r = await api("export", Object.assign({ format }, mathChoice()));
  download(r.filename, r.text, format === "latex" ? "application/x-tex" : "text/markdown");
}

function exportPicture() {
  const svg = $("net").cloneNode(true);
  svg.setAttribute("xmlns", SVGNS);
  svg.setAttribute("width", VIEW.w); svg.setAttribute("height", VIEW.h);
  for (const t of svg.querySelectorAll("text")) t.setAttribute("font-family", "DejaVu Sans, sans-serif");
  for (const c of svg.querySelectorAll("circle")) { c.setAttribute("fill", "#fff"); c.setAttribute("stroke", "#374151"); }
  download("network.svg", new XMLSerializer().serializeToString(svg), "image/svg+xml");
}

// ---- formula mode -----------------------------------------------------------------------
async function drawFormula(ev) {
  if (ev) ev.preventDefault();
  const ticket = (S.formulaTicket = (S.formulaTicket || 0) + 1);
  const r = await api("scalar", { formula: $("formula-text").value, at: $("formula-at").value });
  if (ticket !== S.formulaTicket) return;  // a newer formula was asked for meanwhile
  S.formula = r; S.fstep = -1;
  const doc = new DOMParser().parseFromString(r.svg, "image/svg+xml");
  const box = $("formula-graph");
  box.replaceChildren(document.importNode(doc.documentElement, true));
  box.dataset.formula = r.formula;
  showFormulaStep();
}

function showFormulaStep() {
  const f = S.formula, box = $("formula-graph");
  if (!f) return;
  for (const el of box.querySelectorAll(".hl, .done")) el.classList.remove("hl", "done");
  const n = f.forward.length, total = 2 * n;
  $("fstep-count").textContent = `${S.fstep + 1} / ${total}`;
  if (S.fstep < 0) {
    box.classList.remove("stepping");
    $("fstep-text").textContent = `${f.output} = ${fmt(f.value)}: step forward node by node, then backward.`;
    return;
  }
  box.classList.add("stepping");
  const byLabel = Object.fromEntries(f.nodes.map((x) => [x.label, x]));
  const backward = S.fstep >= n;
  const label = backward ? f.backward[S.fstep - n] : f.forward[S.fstep];
  const node = byLabel[label];
  const order = backward ? f.backward : f.forward;
  const upto = backward ? S.fstep - n : S.fstep;
  for (let i = 0; i < upto; i++) mark(box, order[i], "done");
  mark(box, label, "hl");
  if (backward) {
    for (const e of box.querySelectorAll(`g.edge[data-to="${CSS.escape(label)}"]`)) e.classList.add("hl");
    const flows = node.inputs.map((a, i) => `${a}: ${fmt(node.grad)} × ${fmt(node.local_grads[i])}`).join("; ");
    $("fstep-text").textContent = node.op === "leaf"
      ? `${label}: ${node.flow_words}; ∂${f.output}/∂${label} = ${fmt(node.grad)}`
      : `${label} (${node.flow}): ${node.flow_words}; grad ${fmt(node.grad)} → ${flows}`;
  } else {
    for (const e of box.querySelectorAll(`g.edge[data-from]`)) {
      if (e.dataset.to === label) e.classList.add("hl");
    }
    $("fstep-text").textContent = node.op === "leaf"
      ? `${label} = ${fmt(node.value)} (input)`
      : `${label} = ${node.operation} = ${fmt(node.value)}`;
  }
}

function mark(box, label, cls) {
  for (const g of box.querySelectorAll(`g.node[data-label="${CSS.escape(label)}"]`)) g.classList.add(cls);
}

function fmove(delta) {
  if (!S.formula) return;
  const total = 2 * S.formula.forward.length;
  S.fstep = Math.max(-1, Math.min(total - 1, S.fstep + delta));
  showFormulaStep();
}

function setMode(formula) {
  $("network-mode").hidden = formula; $("formula-mode").hidden = !formula;
  $("mode-network").classList.toggle("active", !formula);
  $("mode-formula").classList.toggle("active", formula);
  if (formula && !S.formula) drawFormula().catch(() => {});
}

// ---- building networks ------------------------------------------------------------------
async function rebuild(body) {
  S.state = await api("network", body);
  S.selected = null; S.step = -1;
  if (S.state.notation) { $("notation").value = S.state.notation; $("layout").value = ""; }
  drawNetwork();
  $("net-description").textContent = S.state.network.description;
  await loadSteps();
}

function fillSelect(el, items, value) {
  el.replaceChildren(...items.map(([v, label]) => {
    const o = document.createElement("option");
    o.value = v; o.textContent = label;
    return o;
  }));
  if (value !== undefined) el.value = value;
}

async function start() {
  const [options, state] = await Promise.all([api("options"), api("state")]);
  S.options = options; S.state = state;
  fillSelect($("optimizer"), options.optimizers.map((o) => [o.id, o.label]), state.train.optimizer);
  $("lr").value = state.train.lr;
  $("opt-rule").innerHTML = options.optimizers.find((o) => o.id === $("optimizer").value).mathml || "";
  fillSelect($("notation"), options.notations.map((n) => [n, n]), options.default_notation);
  fillSelect($("layout"), [["", "the notation's"], ...options.layouts.map((n) => [n, n])], options.default_layout);
  fillSelect($("net-model"), options.zoo.map((z) => [z.name, z.name]), state.network.zoo || undefined);
  fillSelect($("net-loss"), options.losses.map((l) => [l, l]), "half-squared-error");
  $("net-description").textContent = state.network.description;
  drawNetwork();
  wire();
  await loadSteps();
  document.body.dataset.ready = "1";
}

function wire() {
  $("net").addEventListener("click", onPictureClick);
  $("insp-form").addEventListener("submit", (ev) => onEdit(ev).catch(() => {}));
  $("step-next").addEventListener("click", () => move(1));
  $("step-prev").addEventListener("click", () => move(-1));
  $("step-first").addEventListener("click", () => { S.step = -1; highlightStep(); });
  $("notation").addEventListener("change", () => loadSteps());
  $("layout").addEventListener("change", () => loadSteps());
  $("example-prev").addEventListener("click", () => pickExample(-1));
  $("example-next").addEventListener("click", () => pickExample(1));
  $("optimizer").addEventListener("change", () => {
    const o = S.options.optimizers.find((x) => x.id === $("optimizer").value);
    $("lr").value = o.lr;
    $("opt-rule").innerHTML = o.mathml || "";
  });
  $("train-one").addEventListener("click", () => train(1).catch(() => {}));
  $("train-many").addEventListener("click", () => train(Number($("train-n").value) || 1).catch(() => {}));
  $("reset").addEventListener("click", async () => {
    S.state = await api("reset", {});
    restyle(Object.keys(S.edges));
    updatePicture();
    await loadSteps();
  });
  $("net-model-build").addEventListener("click", () => rebuild({ model: $("net-model").value }).catch(() => {}));
  $("net-layers-build").addEventListener("click", () =>
    rebuild({ layers: $("net-layers").value, loss: $("net-loss").value }).catch(() => {}));
  $("export-latex").addEventListener("click", () => exportDerivation("latex").catch(() => {}));
  $("export-markdown").addEventListener("click", () => exportDerivation("markdown").catch(() => {}));
  $("export-svg").addEventListener("click", exportPicture);
  $("error-close").addEventListener("click", hideError);
  $("mode-network").addEventListener("click", () => setMode(false));
  $("mode-formula").addEventListener("click", () => setMode(true));
  $("formula-form").addEventListener("submit", (ev) => drawFormula(ev).catch(() => {}));
  $("fstep-next").addEventListener("click", () => fmove(1));
  $("fstep-prev").addEventListener("click", () => fmove(-1));
  document.addEventListener("keydown", (ev) => {
    if (ev.target.tagName === "INPUT" || ev.target.tagName === "SELECT") return;
    if (ev.key === "ArrowRight") ($("formula-mode").hidden ? move : fmove)(1);
    if (ev.key === "ArrowLeft") ($("formula-mode").hidden ? move : fmove)(-1);
  });
}

async function pickExample(delta) {
  const n = S.state.n_examples;
  const r = await api("example", { example: (S.state.example + delta + n) % n });
  merge(r);
}

document.addEventListener("DOMContentLoaded", () => start().catch((err) => showError(String(err.message || err))));
