// chainrule explore, shared by every script of the page: the state, the requests, the
// number formatting. No number shown on the page is computed in the browser: it only
// formats and scales what the server sends.
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
