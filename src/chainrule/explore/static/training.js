// Training steps with the live loss curve, and the exports.
"use strict";

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
  // One SVG from the two layers: the edges, then the units over them.
  const [back, front] = $("net").querySelectorAll("svg.layer");
  const svg = back.cloneNode(true);
  for (const child of front.children) svg.appendChild(child.cloneNode(true));
  svg.removeAttribute("class");
  svg.setAttribute("xmlns", SVGNS);
  svg.setAttribute("width", VIEW.w); svg.setAttribute("height", VIEW.h);
  for (const t of svg.querySelectorAll("text")) t.setAttribute("font-family", "DejaVu Sans, sans-serif");
  for (const c of svg.querySelectorAll("circle")) { c.setAttribute("fill", "#fff"); c.setAttribute("stroke", "#374151"); }
  download("network.svg", new XMLSerializer().serializeToString(svg), "image/svg+xml");
}
