// notaverage explorer: plain JS, no libraries. Every server call goes through `api`; live views
// (drawing, slider, map hover) go through `latest`, which keeps one request in flight and sends only
// the newest arguments when it returns.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const PATHS = ["vae", "pixel", "linear"];
const state = { a: null, b: null, drawing: null, curves: null, t: 0.5, mode: "lerp", map: null };

function setStatus(text, isError = false) {
  const el = $("#status");
  el.textContent = text;
  el.classList.toggle("error", isError);
}

async function api(path, body, options = {}) {
  const init = body === undefined ? {} : body instanceof FormData
    ? { method: "POST", body } : { method: "POST", headers: { "content-type": "application/json" },
                                   body: JSON.stringify(body) };
  const response = await fetch(path, init);
  let data = null;
  try { data = await response.json(); } catch (_) { /* not JSON: handled below */ }
  if (!response.ok) {
    const message = (data && data.error) || `request failed (${response.status})`;
    if (!options.quiet) setStatus(message, true);
    throw new Error(message);
  }
  return data;
}

// One request in flight; while it runs, keep only the newest arguments and send them next.
function latest(fn) {
  let busy = false, pending = null;
  async function run(args) {
    busy = true;
    try { await fn(...args); } catch (err) { /* shown in the status line by api() */ }
    busy = false;
    if (pending) { const next = pending; pending = null; run(next); }
  }
  return (...args) => { if (busy) pending = args; else run(args); };
}

const pct = (p) => `${Math.round(p * 100)}%`;
const an = (digit) => `${Number(digit) === 8 ? "an" : "a"} ${digit}`;  // "an 8", "a 9"
function img(src, alt, title) {
  const el = document.createElement("img");
  el.src = src; el.alt = alt; if (title) el.title = title;
  return el;
}
function randomSeed() { return Math.floor(Math.random() * 2147483647); }
function fillClasses(select, value) {
  for (let d = 0; d < 10; d++) select.add(new Option(String(d), String(d), false, d === value));
}

// ------------------------------------------------------------------------------------------ draw
const pad = $("#pad");
const ctx = pad.getContext("2d");
let drawing = false, hasInk = false, last = null;

function clearPad() {
  ctx.fillStyle = "#000"; ctx.fillRect(0, 0, pad.width, pad.height);
  hasInk = false; state.drawing = null;
  $("#prediction").textContent = "Draw a digit.";
  $("#bars").replaceChildren(); $("#neighbours").replaceChildren();
  $("#draw-digit").removeAttribute("src"); $("#draw-recon").removeAttribute("src");
  for (const el of document.querySelectorAll("#draw-as-a, #draw-as-b, .use-drawing")) el.disabled = true;
}

function padPoint(e) {
  const r = pad.getBoundingClientRect();
  return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height];
}

function stroke(from, to) {
  ctx.strokeStyle = "#fff"; ctx.lineWidth = 20; ctx.lineCap = "round"; ctx.lineJoin = "round";
  ctx.beginPath(); ctx.moveTo(...from); ctx.lineTo(...to); ctx.stroke();
  ctx.fillStyle = "#fff"; ctx.beginPath(); ctx.arc(...to, ctx.lineWidth / 2, 0, 2 * Math.PI); ctx.fill();
  hasInk = true; // a zero-length line draws nothing in some browsers: the disc makes a dot visible
}

const recognize = latest(async () => {
  if (!hasInk) return;
  const out = await api("/api/recognize", { image: pad.toDataURL("image/png") });
  if (!hasInk) return; // cleared meanwhile
  state.drawing = out.digit;
  const p = out.probs[out.label];
  $("#prediction").textContent = `Looks like ${an(out.label)} (${pct(p)} sure)`;
  const bars = out.probs.map((q, d) => {
    const bar = document.createElement("div");
    bar.className = "bar" + (d === out.label ? " top" : "");
    bar.title = `p(${d}) = ${q.toFixed(3)}`;
    const fill = document.createElement("div");
    fill.style.height = `${Math.max(1, q * 70)}px`;
    const lab = document.createElement("span"); lab.textContent = d;
    bar.append(fill, lab);
    return bar;
  });
  $("#bars").replaceChildren(...bars);
  $("#bars").setAttribute("aria-label", "class probabilities: " +
    out.probs.map((q, d) => `${d}: ${pct(q)}`).join(", "));
  $("#draw-digit").src = out.digit.png;
  $("#draw-recon").src = out.reconstruction;
  $("#neighbours").replaceChildren(...out.neighbours.map((n) =>
    img(n.png, `training digit ${n.label}, distance ${n.distance.toFixed(2)}`,
        `a ${n.label}, pixel distance ${n.distance.toFixed(2)}`)));
  for (const el of document.querySelectorAll("#draw-as-a, #draw-as-b, .use-drawing")) el.disabled = false;
  setStatus("Ready.");
});

pad.addEventListener("pointerdown", (e) => {
  e.preventDefault(); pad.setPointerCapture(e.pointerId);
  drawing = true; last = padPoint(e); stroke(last, last); recognize();
});
pad.addEventListener("pointermove", (e) => {
  if (!drawing) return;
  const p = padPoint(e); stroke(last, p); last = p; recognize();
});
for (const type of ["pointerup", "pointercancel"]) {
  pad.addEventListener(type, () => { if (drawing) { drawing = false; recognize(); } });
}
$("#clear").addEventListener("click", clearPad);
pad.addEventListener("keydown", (e) => { if (e.key === "Escape" || e.key === "Delete") clearPad(); });

// ----------------------------------------------------------------------------------------- blend
function setDigit(side, digit) {
  state[side] = digit;
  const box = $(`#pick-${side}`);
  box.querySelector(".thumb").src = digit.png;
  box.querySelector(".name").textContent = `${digit.name}, class ${digit.label}`;
  const same = state.a && state.b && state.a.label === state.b.label;
  $("#hybrid").disabled = !state.a || !state.b || same;
  $("#hybrid-note").textContent = same ? "A and B are the same class: pick two different digits for a hybrid." : "";
  $("#hybrids").replaceChildren();
  refreshBlend();
}

async function pickRandom(side) {
  const digit = Number($(`#pick-${side} .cls`).value);
  setDigit(side, await api("/api/encode", { source: "test", digit, seed: randomSeed() }));
}

function useDrawing(side) { if (state.drawing) setDigit(side, state.drawing); }

async function upload(side, input) {
  const file = input.files[0];
  if (!file) return;
  const form = new FormData(); form.append("file", file);
  try { setDigit(side, await api("/api/upload", form)); setStatus("Ready."); } catch (_) { /* shown */ }
  input.value = "";
}

for (const side of ["a", "b"]) {
  const box = $(`#pick-${side}`);
  fillClasses(box.querySelector(".cls"), side === "a" ? 9 : 2);
  box.querySelector(".random").addEventListener("click", () => pickRandom(side).catch(() => {}));
  box.querySelector(".cls").addEventListener("change", () => pickRandom(side).catch(() => {}));
  box.querySelector(".use-drawing").addEventListener("click", () => useDrawing(side));
  box.querySelector(".upload").addEventListener("change", (e) => upload(side, e.target));
}
$("#draw-as-a").addEventListener("click", () => useDrawing("a"));
$("#draw-as-b").addEventListener("click", () => useDrawing("b"));

const frame = latest(async () => {
  if (!state.a || !state.b) return;
  const started = performance.now();
  const out = await api("/api/blend", { a: state.a.id, b: state.b.id, t: state.t, mode: state.mode });
  window.lastFrameMs = performance.now() - started; // read by the latency benchmark
  for (const name of PATHS) {
    const f = out.frames[name];
    $(`#f-${name}`).src = f.png;
    $(`#p-${name}`).textContent = `p(${out.class_a}) ${pct(f.p_a)} · p(${out.class_b}) ${pct(f.p_b)}`;
  }
  document.body.dataset.frameT = String(out.t);
});

const curves = latest(async () => {
  if (!state.a || !state.b) return;
  state.curves = await api("/api/blend/curves", { a: state.a.id, b: state.b.id, mode: state.mode, steps: 41 });
  drawPlots();
});

function refreshBlend() { frame(); curves(); }

function drawPlots() {
  const c = state.curves;
  if (!c) return;
  for (const name of PATHS) plot($(`#c-${name}`), c.ts, c.curves[name], c.class_a, c.class_b, name);
}

function plot(canvas, ts, curve, classA, classB, title) {
  const g = canvas.getContext("2d"), w = canvas.width, h = canvas.height;
  const L = 28, R = 8, T = 16, B = 18;
  const x = (t) => L + t * (w - L - R), y = (p) => T + (1 - p) * (h - T - B);
  g.clearRect(0, 0, w, h);
  g.font = "11px system-ui, sans-serif"; g.fillStyle = "#5f6368"; g.strokeStyle = "#d5d5d0"; g.lineWidth = 1;
  for (const p of [0, 0.5, 1]) {
    g.beginPath(); g.moveTo(L, y(p)); g.lineTo(w - R, y(p)); g.stroke();
    g.fillText(p.toFixed(1), 4, y(p) + 4);
  }
  g.fillText("t=0 (A)", L, h - 4); g.fillText("1 (B)", w - R - 30, h - 4);
  g.fillStyle = "#1d1d1f"; g.fillText(title, L + 4, 11);
  const line = (values, color, dash) => {
    g.strokeStyle = color; g.lineWidth = 2; g.setLineDash(dash); g.beginPath();
    values.forEach((p, i) => (i ? g.lineTo(x(ts[i]), y(p)) : g.moveTo(x(ts[i]), y(p))));
    g.stroke(); g.setLineDash([]);
  };
  line(curve.p_a, "#1f5fbf", []);
  line(curve.p_b, "#c2410c", [5, 3]);
  g.fillStyle = "#1f5fbf"; g.fillText(`p(${classA})`, w - R - 80, 11);
  g.fillStyle = "#c2410c"; g.fillText(`p(${classB})`, w - R - 40, 11);
  const tx = x(state.t);
  g.strokeStyle = "#1d1d1f"; g.lineWidth = 1; g.beginPath(); g.moveTo(tx, T); g.lineTo(tx, h - B); g.stroke();
  const at = (values) => { // linear interpolation at the current t
    const f = state.t * (ts.length - 1), i = Math.min(Math.floor(f), ts.length - 2), u = f - i;
    return values[i] * (1 - u) + values[i + 1] * u;
  };
  for (const [values, color] of [[curve.p_a, "#1f5fbf"], [curve.p_b, "#c2410c"]]) {
    g.fillStyle = color; g.beginPath(); g.arc(tx, y(at(values)), 3.5, 0, 2 * Math.PI); g.fill();
  }
}

$("#t").addEventListener("input", (e) => {
  state.t = Number(e.target.value);
  $("#t-out").textContent = state.t.toFixed(2);
  frame(); drawPlots();
});
for (const radio of document.querySelectorAll("input[name=mode]")) {
  radio.addEventListener("change", (e) => { state.mode = e.target.value; refreshBlend(); });
}

$("#hybrid").addEventListener("click", async () => {
  if (!state.a || !state.b) return;
  $("#hybrid").disabled = true; $("#hybrid-note").textContent = "Searching…";
  try {
    const out = await api("/api/hybrid", { a: state.a.id, b: state.b.id });
    $("#hybrid-note").textContent = `${out.method}: the judge's p(${out.class_a}) and p(${out.class_b}) under each`;
    $("#hybrids").replaceChildren(...out.results.map((r) => {
      const fig = document.createElement("figure");
      const cap = document.createElement("figcaption");
      cap.textContent = `${pct(r.p_a)} · ${pct(r.p_b)}` + (r.t == null ? "" : ` (t=${r.t.toFixed(2)})`);
      fig.append(img(r.png, `hybrid of ${out.class_a} and ${out.class_b}`), cap);
      return fig;
    }));
  } catch (_) { $("#hybrid-note").textContent = ""; }
  $("#hybrid").disabled = false;
});

// ------------------------------------------------------------------------------------ latent map
const mapCanvas = $("#latent");
const mapCtx = mapCanvas.getContext("2d");
const base = document.createElement("canvas");
let cursor = null; // [x, y] in map (data) coordinates

function mapTransform() {
  const [x0, y0, x1, y1] = state.map.bounds, pad = 12, w = mapCanvas.width, h = mapCanvas.height;
  const sx = (w - 2 * pad) / (x1 - x0 || 1), sy = (h - 2 * pad) / (y1 - y0 || 1);
  return {
    toPx: ([x, y]) => [pad + (x - x0) * sx, h - pad - (y - y0) * sy],
    toData: ([px, py]) => [x0 + (px - pad) / sx, y0 + (h - pad - py) / sy],
  };
}

function drawMap() {
  mapCtx.drawImage(base, 0, 0);
  if (!cursor) return;
  const [px, py] = mapTransform().toPx(cursor);
  mapCtx.strokeStyle = "#000"; mapCtx.lineWidth = 2;
  mapCtx.beginPath(); mapCtx.arc(px, py, 7, 0, 2 * Math.PI); mapCtx.stroke();
}

async function loadMap() {
  state.map = await api("/api/map?n=2500", undefined);
  base.width = mapCanvas.width; base.height = mapCanvas.height;
  const g = base.getContext("2d"), tr = mapTransform();
  g.fillStyle = "#fff"; g.fillRect(0, 0, base.width, base.height);
  g.globalAlpha = 0.7;
  state.map.points.forEach((p, i) => {
    const [px, py] = tr.toPx(p);
    g.fillStyle = COLORS[state.map.labels[i]]; g.fillRect(px - 1.5, py - 1.5, 3, 3);
  });
  g.globalAlpha = 1;
  $("#legend").replaceChildren(...COLORS.map((c, d) => {
    const span = document.createElement("span"), dot = document.createElement("i");
    dot.style.background = c; span.append(dot, String(d));
    return span;
  }));
  drawMap();
}

const decodePoint = latest(async (x, y) => {
  const out = await api("/api/decode", { x, y });
  $("#map-img").src = out.png;
  $("#map-cap").textContent = `decoded (${x.toFixed(2)}, ${y.toFixed(2)}): looks like ${an(out.label)}`;
});

function nearestDigit(px, py) {
  const tr = mapTransform();
  let best = -1, bestD = 64; // within 8 px
  state.map.points.forEach((p, i) => {
    const [qx, qy] = tr.toPx(p), d = (qx - px) ** 2 + (qy - py) ** 2;
    if (d < bestD) { bestD = d; best = i; }
  });
  return best;
}

function mapEventPx(e) {
  const r = mapCanvas.getBoundingClientRect();
  return [(e.clientX - r.left) * mapCanvas.width / r.width, (e.clientY - r.top) * mapCanvas.height / r.height];
}

function moveCursor(px, py) {
  if (!state.map) return;
  cursor = mapTransform().toData([px, py]);
  drawMap();
  decodePoint(cursor[0], cursor[1]);
}

async function pickFromMap(px, py) {
  const i = nearestDigit(px, py);
  if (i < 0) return false;
  const side = $("#map-target").value;
  setDigit(side, await api("/api/encode", { source: "test", index: state.map.indices[i] }));
  setStatus(`Test digit ${state.map.indices[i]} (a ${state.map.labels[i]}) is now ${side.toUpperCase()}.`);
  return true;
}

mapCanvas.addEventListener("pointermove", (e) => moveCursor(...mapEventPx(e)));
mapCanvas.addEventListener("click", (e) => {
  const p = mapEventPx(e);
  moveCursor(...p);
  pickFromMap(...p).catch(() => {});
});
mapCanvas.addEventListener("keydown", (e) => {
  if (!state.map) return;
  const step = e.shiftKey ? 20 : 6;
  const tr = mapTransform();
  let [px, py] = cursor ? tr.toPx(cursor) : [mapCanvas.width / 2, mapCanvas.height / 2];
  const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
  if (moves[e.key]) {
    e.preventDefault();
    px = Math.min(mapCanvas.width, Math.max(0, px + moves[e.key][0]));
    py = Math.min(mapCanvas.height, Math.max(0, py + moves[e.key][1]));
    moveCursor(px, py);
  } else if (e.key === "Enter" || e.key === " ") {
    e.preventDefault();
    pickFromMap(px, py).then((ok) => { if (!ok) setStatus("No digit under the cursor; move closer to a dot."); })
      .catch(() => {});
  }
});

// ---------------------------------------------------------------------------------------- sample
fillClasses($("#sample-class"), 9);
$("#sample-go").addEventListener("click", async () => {
  const n = Math.min(16, Math.max(1, Math.round(Number($("#sample-n").value) || 8)));
  $("#sample-n").value = n;
  const digit = Number($("#sample-class").value);
  $("#sample-go").disabled = true;
  try {
    const out = await api("/api/sample", { digit, n, seed: randomSeed() });
    $("#samples").replaceChildren(...out.samples.map((s) => {
      const pair = document.createElement("figure"); pair.className = "pair";
      const imgs = document.createElement("div");
      imgs.append(img(s.png, `new ${digit}`), img(s.neighbour.png, `nearest training digit, a ${s.neighbour.label}`));
      const cap = document.createElement("figcaption"); cap.textContent = `d = ${s.neighbour.distance.toFixed(2)}`;
      pair.append(imgs, cap);
      return pair;
    }));
    setStatus("Ready.");
  } catch (_) { /* shown */ }
  $("#sample-go").disabled = false;
});

// ------------------------------------------------------------------------------------------ start
async function start() {
  clearPad();
  try {
    const info = await api("/api/info", undefined);
    await Promise.all([pickRandom("a"), pickRandom("b"), loadMap()]);
    setStatus(`Ready. ${info.data}`);
    document.body.dataset.ready = "1";
  } catch (err) { setStatus(`Could not start: ${err.message}`, true); }
}
start();
