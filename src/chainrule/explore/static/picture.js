// The network picture: columns of units, edges coloured and sized by the weights.
"use strict";

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

// Two stacked SVG layers, edges behind and units in front: a change of the units' numbers
// then repaints only the front layer, not thousands of edges.
function drawNetwork() {
  const box = $("net");
  const net = S.state.network;
  const viewBox = `0 0 ${VIEW.w} ${VIEW.h}`;
  box.replaceChildren();
  const back = svgEl("svg", { class: "layer edges-layer", viewBox }, box);
  const svg = svgEl("svg", { class: "layer units-layer", viewBox }, box);
  svgEl("rect", { width: VIEW.w, height: VIEW.h, fill: "#ffffff" }, back);
  const pos = unitPositions(net);
  S.pos = pos;
  const edges = svgEl("g", { class: "edges" }, back);
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
  for (const e of back.querySelectorAll("line.edge")) (S.edges[e.dataset.param] ||= []).push(e);
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
