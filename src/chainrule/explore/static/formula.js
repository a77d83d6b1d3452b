// The formula mode: a scalar graph drawn by chainrule, stepped node by node.
"use strict";

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
