// The selected unit or weight: its value, gradient and formula; editing it.
"use strict";

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
    const k = +sel.name.slice(1);  // from unit j of column k - 1 to unit i of column k
    extra = `${nameHTML(unitKeys(k - 1), k === 1 ? "x" : `h${k - 1}`)} [${sel.j + 1}] → ` +
      `${nameHTML(unitKeys(k), `h${k}`)} [${sel.i + 1}]`;
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
  $("insp-extra").innerHTML = extra;  // names are the server's MathML, numbers plain
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
