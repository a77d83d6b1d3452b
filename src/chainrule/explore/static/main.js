// Building networks, loading the page, wiring the controls.
"use strict";

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
