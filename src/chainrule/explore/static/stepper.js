// The stepper: forward layer by layer, then backward, with derive's steps for each.
"use strict";

async function loadSteps() {
  document.body.dataset.steps = "loading";  // tests and benchmarks wait for "ready"
  try {
    S.derivation = await api("derivation", mathChoice());
  } catch (err) {
    S.derivation = { steps: [], formulas: {} };
  }
  S.steps = S.derivation.steps || [];
  if (S.step >= S.steps.length) S.step = S.steps.length - 1;
  highlightStep();
  showSelected();
  document.body.dataset.steps = "ready";
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
  const note = S.derivation && S.derivation.note;
  if (note) {  // why there are no formulas (a network derive does not take): plain text
    const p = document.createElement("p");
    p.className = "small";
    p.textContent = note;
    $("step-math").prepend(p);
  }
}

function move(delta) {
  if (!S.steps.length) return;
  S.step = Math.max(-1, Math.min(S.steps.length - 1, S.step + delta));
  highlightStep();
}
