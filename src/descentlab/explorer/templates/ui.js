/* descentlab explorer: the page (controls, drawing, the URL fragment). All numbers come from
 * window.descentlab (core.js); user text reaches the page only through textContent and value. */
"use strict";
(function () {
  const DL = window.descentlab;
  const CONFIG = window.DESCENTLAB_CONFIG;
  const OPTS = DL.optimizers;
  const COLORS = CONFIG.colors;
  const PROBLEMS = new Map(CONFIG.problems.map((p) => [p.name, p]));
  const SPEEDS = [1, 2, 5, 10, 20, 50, 100];
  const $ = (id) => document.getElementById(id);
  const defaultLr = (name) => CONFIG.optimizers[name].lr;

  // ---------------------------------------------------------------------------------------
  // State: everything here is in the URL fragment.

  const S = {
    problem: null, formula: "", view: null, start: null,
    on: Object.fromEntries(OPTS.map((o) => [o, CONFIG.racing.includes(o)])),
    lr: Object.fromEntries(OPTS.map((o) => [o, defaultLr(o)])),
    link: false,
    rule: "adam", // the rule whose options are shown
    opts: Object.fromEntries(OPTS.map((o) => [o, {}])), // options that differ from the defaults
    sched: null, // null, or {name, parameters} (parameters that differ from the defaults)
    maxIter: 1000,
    tol: CONFIG.stop.grad_tol,
    field: false,
    speed: 2,
  };
  let obj = null; // the current objective (core.js)
  let results = {}; // optimizer -> run() result, or {error}
  let frame = 0;
  let playing = false;
  let contour = null; // cached background {key, canvas}
  const stats = { recomputes: 0, contours: 0, lastRecomputeMs: 0 };

  function currentFormula() {
    return S.problem ? PROBLEMS.get(S.problem).formula : S.formula;
  }

  function defaultView(dim) {
    if (S.problem) {
      const d = PROBLEMS.get(S.problem).domain;
      return dim === 1 ? [d[0][0], d[0][1]] : [d[0][0], d[0][1], d[1][0], d[1][1]];
    }
    return dim === 1 ? [-3, 3] : [-3, 3, -3, 3];
  }

  function defaultStart(dim) {
    if (S.problem) return PROBLEMS.get(S.problem).starts[0].slice();
    const v = defaultView(dim);
    return dim === 1 ? [v[0] + 0.8 * (v[1] - v[0])] : [v[0] + 0.8 * (v[1] - v[0]),
      v[2] + 0.75 * (v[3] - v[2])];
  }

  /** Load a function (catalogue name or formula); false with a shown error if it is refused. */
  function setTarget(problem, formula, keepView) {
    const text = problem ? PROBLEMS.get(problem).formula : formula;
    const checked = DL.check(text);
    if (!checked.ok) return showError(text, checked.message, checked.column);
    if (checked.variables.length < 1 || checked.variables.length > 2) {
      return showError(text, "the explorer draws functions of one or two variables (this one " +
        `has ${checked.variables.length})`, null);
    }
    const refused = DL.refusal(text); // a linear formula: minimize refuses it too
    if (refused !== null) return showError(text, refused, null);
    showError(null);
    S.problem = problem;
    S.formula = problem ? "" : formula;
    obj = DL._internal.objective(text);
    if (!keepView || !S.view || S.view.length !== 2 * obj.dim) S.view = defaultView(obj.dim);
    if (!keepView || !S.start || S.start.length !== obj.dim) S.start = defaultStart(obj.dim);
    contour = null;
    $("formula").value = text;
    $("fn").value = problem || "";
    renderMath(obj.tree);
    return true;
  }

  function showError(text, message, column) {
    const box = $("formula-error");
    if (text === null) {
      box.hidden = true;
      box.textContent = "";
      return true;
    }
    let shownText = message;
    if (column !== null) {
      const chars = Array.from(text);
      const start = Math.max(0, column - 40);
      const snippet = chars.slice(start, column + 40).map((c) => (c === "\n" || c === "\t" ? " " : c));
      shownText = `${message} at column ${column + 1}\n${start > 0 ? "..." : ""}${snippet.join("")}` +
        `\n${" ".repeat((start > 0 ? 3 : 0) + column - start)}^`;
    }
    box.textContent = shownText;
    box.hidden = false;
    return false;
  }

  // ---------------------------------------------------------------------------------------
  // Runs.

  function hyper(name) {
    return Object.assign({ lr: S.lr[name] }, S.opts[name]);
  }

  function recompute() {
    const t0 = performance.now();
    results = {};
    for (const name of OPTS) {
      if (!S.on[name]) continue;
      try {
        results[name] = DL.run({ objective: obj, start: S.start, optimizer: name,
          hyperparameters: hyper(name), steps: S.maxIter, grad_tol: S.tol, scheduler: S.sched });
      } catch (err) {
        results[name] = { error: String(err.message || err) };
      }
    }
    stats.recomputes += 1;
    stats.lastRecomputeMs = performance.now() - t0;
    // A still picture of the whole race until Play animates it from the start.
    frame = playing ? Math.min(frame, longest()) : longest();
    updateControls();
    writeHash();
    draw();
  }

  function longest() {
    let n = 0;
    for (const r of Object.values(results)) if (r.xs) n = Math.max(n, r.xs.length - 1);
    return n;
  }

  // ---------------------------------------------------------------------------------------
  // Drawing.

  const plot = $("plot");
  let W = 0, H = 0, dpr = 1, yRange = [0, 1];

  function resize(canvas) {
    const r = canvas.getBoundingClientRect();
    const w = Math.max(50, Math.round(r.width * dpr)), h = Math.max(50, Math.round(r.height * dpr));
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
    return [w, h];
  }

  function toPx(x, y) {
    const v = S.view;
    const px = ((x - v[0]) / (v[1] - v[0])) * W;
    const [y0, y1] = obj.dim === 1 ? yRange : [v[2], v[3]];
    return [px, H - ((y - y0) / (y1 - y0)) * H];
  }

  function fromPx(px, py) {
    const v = S.view;
    const x = v[0] + (px / W) * (v[1] - v[0]);
    const [y0, y1] = obj.dim === 1 ? yRange : [v[2], v[3]];
    return [x, y0 + ((H - py) / H) * (y1 - y0)];
  }

  // A perceptual ramp (light to dark) for the filled contours.
  const RAMP = [[253, 231, 37], [160, 218, 57], [74, 193, 109], [31, 161, 135], [39, 127, 142],
    [54, 92, 141], [70, 51, 127], [68, 1, 84]];
  function ramp(t) {
    const s = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
    const i = Math.min(RAMP.length - 2, Math.floor(s)), f = s - i;
    return RAMP[i].map((c, k) => Math.round((c + (RAMP[i + 1][k] - c) * f) * 0.55 + 255 * 0.45));
  }

  function quantile(sorted, q) {
    return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))];
  }

  function contourImage() {
    const key = [currentFormula(), S.view.join(","), W, H].join("|");
    if (contour && contour.key === key) return contour.canvas;
    stats.contours += 1;
    const step = 2;
    const gw = Math.ceil(W / step), gh = Math.ceil(H / step);
    const values = new Float64Array(gw * gh);
    const finite = [];
    const v = S.view;
    for (let j = 0; j < gh; j += 1) {
      const y = v[3] - ((j + 0.5) / gh) * (v[3] - v[2]);
      for (let i = 0; i < gw; i += 1) {
        const x = v[0] + ((i + 0.5) / gw) * (v[1] - v[0]);
        const f = obj.value([x, y]);
        values[j * gw + i] = f;
        if (Number.isFinite(f)) finite.push(f);
      }
    }
    finite.sort((a, b) => a - b);
    const lo = finite.length ? finite[0] : 0;
    const hi = finite.length ? quantile(finite, 0.99) : 1;
    const mid = finite.length ? quantile(finite, 0.5) : 0.5;
    const span = hi - lo || 1;
    // Log-spaced levels where most of the picture sits far below the top (Rosenbrock).
    const logLevels = (mid - lo) / span < 0.15;
    const d = span * 1e-4;
    const levels = 18;
    const band = new Int16Array(gw * gh);
    for (let k = 0; k < values.length; k += 1) {
      const f = values[k];
      if (!Number.isFinite(f)) { band[k] = -1; continue; }
      const z = Math.min(Math.max(f - lo, 0), span);
      const t = logLevels ? Math.log((z + d) / d) / Math.log((span + d) / d) : z / span;
      band[k] = Math.min(levels - 1, Math.floor(t * levels));
    }
    const canvas = document.createElement("canvas");
    canvas.width = gw; canvas.height = gh;
    const ctx = canvas.getContext("2d");
    const img = ctx.createImageData(gw, gh);
    for (let j = 0; j < gh; j += 1) {
      for (let i = 0; i < gw; i += 1) {
        const k = j * gw + i, b = band[k];
        let c = b < 0 ? [235, 235, 235] : ramp(b / (levels - 1));
        const edge = b >= 0 && ((i + 1 < gw && band[k + 1] !== b) || (j + 1 < gh && band[k + gw] !== b));
        if (edge) c = c.map((x) => x * 0.78);
        img.data.set([c[0], c[1], c[2], 255], 4 * k);
      }
    }
    ctx.putImageData(img, 0, 0);
    contour = { key, canvas, logLevels };
    return canvas;
  }

  function arrow(ctx, x0, y0, x1, y1, head) {
    const a = Math.atan2(y1 - y0, x1 - x0);
    ctx.beginPath();
    ctx.moveTo(x0, y0);
    ctx.lineTo(x1, y1);
    ctx.moveTo(x1, y1);
    ctx.lineTo(x1 - head * Math.cos(a - 0.45), y1 - head * Math.sin(a - 0.45));
    ctx.moveTo(x1, y1);
    ctx.lineTo(x1 - head * Math.cos(a + 0.45), y1 - head * Math.sin(a + 0.45));
    ctx.stroke();
  }

  function draw() {
    if (!obj) return;
    dpr = window.devicePixelRatio || 1;
    [W, H] = resize(plot);
    const ctx = plot.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, W, H);
    if (obj.dim === 2) draw2d(ctx); else draw1d(ctx);
    drawCharts();
    $("iter").max = String(Math.max(1, longest()));
    $("iter").value = String(frame);
    $("iter-out").textContent = `${frame} / ${longest()}`;
    if (S.sched) updateControls();
    document.body.dataset.frame = String(frame);
  }

  function pathAt(r) {
    return Math.min(frame, r.xs.length - 1);
  }

  function draw2d(ctx) {
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(contourImage(), 0, 0, W, H);
    const lw = 1.6 * dpr;
    if (S.field) {
      ctx.strokeStyle = "rgba(40,40,40,0.55)";
      ctx.lineWidth = 1 * dpr;
      const nx = 18, ny = Math.max(6, Math.round((18 * H) / W));
      for (let j = 0; j < ny; j += 1) {
        for (let i = 0; i < nx; i += 1) {
          const px = ((i + 0.5) / nx) * W, py = ((j + 0.5) / ny) * H;
          const [x, y] = fromPx(px, py);
          const g = obj.valueAndGrad([x, y])[1];
          const gx = (g[0] * W) / (S.view[1] - S.view[0]), gy = (-g[1] * H) / (S.view[3] - S.view[2]);
          const n = Math.hypot(gx, gy);
          if (!(n > 0) || !Number.isFinite(n)) continue;
          const len = 0.35 * (W / nx);
          arrow(ctx, px, py, px - (gx / n) * len, py - (gy / n) * len, 4 * dpr);
        }
      }
    }
    const p = CONFIG.problems.find((q) => q.name === S.problem);
    if (p) {
      for (const m of p.minima) {
        const [mx, my] = toPx(m.x[0], m.x[1]);
        ctx.fillStyle = m.kind === "global" ? "#111" : "#555";
        ctx.font = `${14 * dpr}px sans-serif`;
        ctx.textAlign = "center";
        ctx.textBaseline = "middle";
        ctx.fillText("\u2605", mx, my);
      }
    }
    OPTS.forEach((name, k) => {
      const r = results[name];
      if (!r || !r.xs) return;
      const upto = pathAt(r);
      ctx.strokeStyle = COLORS[k];
      ctx.lineWidth = lw;
      ctx.beginPath();
      for (let t = 0; t <= upto; t += 1) {
        const [px, py] = toPx(r.xs[t][0], r.xs[t][1]);
        if (t === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
      }
      ctx.stroke();
      const x = r.xs[upto];
      const [px, py] = toPx(x[0], x[1]);
      const g = obj.valueAndGrad(x)[1];
      const gx = (g[0] * W) / (S.view[1] - S.view[0]), gy = (-g[1] * H) / (S.view[3] - S.view[2]);
      const n = Math.hypot(gx, gy);
      if (n > 0 && Number.isFinite(n)) {
        ctx.lineWidth = 1.2 * dpr;
        arrow(ctx, px, py, px - (gx / n) * 28 * dpr, py - (gy / n) * 28 * dpr, 6 * dpr);
      }
      ctx.fillStyle = COLORS[k];
      ctx.beginPath();
      ctx.arc(px, py, 4.5 * dpr, 0, 2 * Math.PI);
      ctx.fill();
    });
    startMarker(ctx, ...toPx(S.start[0], S.start[1]));
    axes(ctx);
  }

  /** The start: a white dot ringed in black. */
  function startMarker(ctx, px, py) {
    ctx.fillStyle = "#fff";
    ctx.strokeStyle = "#000";
    ctx.lineWidth = 1.5 * dpr;
    ctx.beginPath();
    ctx.arc(px, py, 5.5 * dpr, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
  }

  function draw1d(ctx) {
    const v = S.view;
    const n = Math.max(200, Math.round(W / 2));
    const xs = [], fs = [];
    for (let i = 0; i <= n; i += 1) {
      const x = v[0] + (i / n) * (v[1] - v[0]);
      xs.push(x);
      fs.push(obj.value([x]));
    }
    const finite = fs.filter(Number.isFinite).sort((a, b) => a - b);
    const lo = finite.length ? finite[0] : -1, hi = finite.length ? finite[finite.length - 1] : 1;
    const pad = (hi - lo || 1) * 0.08;
    yRange = [lo - pad, hi + pad];
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, W, H);
    ctx.strokeStyle = "#3b6ea5";
    ctx.lineWidth = 2 * dpr;
    ctx.beginPath();
    let pen = false;
    xs.forEach((x, i) => {
      if (!Number.isFinite(fs[i])) { pen = false; return; }
      const [px, py] = toPx(x, fs[i]);
      if (pen) ctx.lineTo(px, py); else ctx.moveTo(px, py);
      pen = true;
    });
    ctx.stroke();
    OPTS.forEach((name, k) => {
      const r = results[name];
      if (!r || !r.xs) return;
      const upto = pathAt(r);
      ctx.strokeStyle = COLORS[k];
      ctx.fillStyle = COLORS[k];
      ctx.lineWidth = 1.3 * dpr;
      for (let t = Math.max(1, upto - 15); t <= upto; t += 1) {
        const [ax, ay] = toPx(r.xs[t - 1][0], r.fs[t - 1]);
        const [bx, by] = toPx(r.xs[t][0], r.fs[t]);
        if (Math.hypot(bx - ax, by - ay) > 3 * dpr) arrow(ctx, ax, ay, bx, by, 5 * dpr);
      }
      const x = r.xs[upto][0], f = r.fs[upto];
      const slope = obj.valueAndGrad([x])[1][0];
      const half = (v[1] - v[0]) * 0.12;
      const [t0x, t0y] = toPx(x - half, f - slope * half);
      const [t1x, t1y] = toPx(x + half, f + slope * half);
      ctx.setLineDash([5 * dpr, 4 * dpr]);
      ctx.beginPath();
      ctx.moveTo(t0x, t0y);
      ctx.lineTo(t1x, t1y);
      ctx.stroke();
      ctx.setLineDash([]);
      const [px, py] = toPx(x, f);
      ctx.beginPath();
      ctx.arc(px, py, 4.5 * dpr, 0, 2 * Math.PI);
      ctx.fill();
    });
    const f0 = obj.value(S.start);
    if (Number.isFinite(f0)) startMarker(ctx, ...toPx(S.start[0], f0));
    axes(ctx);
  }

  function fmt(v) {
    if (v === 0) return "0";
    const a = Math.abs(v);
    return a >= 1e4 || a < 1e-3 ? v.toExponential(1) : String(Number(v.toPrecision(3)));
  }

  function ticks(a, b, count) {
    const raw = (b - a) / count;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
    const out = [];
    for (let t = Math.ceil(a / step) * step; t <= b; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    return out;
  }

  function axes(ctx) {
    const v = S.view;
    ctx.fillStyle = "#333";
    ctx.font = `${11 * dpr}px sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    for (const t of ticks(v[0], v[1], 8)) {
      const [px] = toPx(t, 0);
      ctx.fillRect(px, H - 4 * dpr, 1, 4 * dpr);
      ctx.fillText(fmt(t), px, H - 5 * dpr);
    }
    const [y0, y1] = obj.dim === 1 ? yRange : [v[2], v[3]];
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    for (const t of ticks(y0, y1, 6)) {
      const py = H - ((t - y0) / (y1 - y0)) * H;
      ctx.fillRect(0, py, 4 * dpr, 1);
      ctx.fillText(fmt(t), 6 * dpr, py);
    }
    const names = obj.variables;
    ctx.font = `italic ${13 * dpr}px serif`;
    ctx.textAlign = "right";
    ctx.textBaseline = "bottom";
    ctx.fillText(names[0], W - 6 * dpr, H - 16 * dpr);
    ctx.textAlign = "left";
    ctx.textBaseline = "top";
    ctx.fillText(obj.dim === 1 ? "f" : names[1], 26 * dpr, 4 * dpr);
  }

  function drawCharts() {
    let fmin = Infinity;
    for (const r of Object.values(results)) if (r.fs) for (const f of r.fs) if (f < fmin) fmin = f;
    const p = CONFIG.problems.find((q) => q.name === S.problem);
    if (p) for (const m of p.minima) fmin = Math.min(fmin, m.f);
    chart($("chart-f"), "f \u2212 min f", (r) => r.fs.map((f) => f - fmin));
    chart($("chart-g"), "|\u2207f|", (r) => r.grads);
    $("chart-lr").hidden = !S.sched;
    // the lr of iteration t, drawn at t (and the first one at 0)
    if (S.sched) chart($("chart-lr"), "lr", (r) => (r.lrs.length ? [r.lrs[0], ...r.lrs] : []));
  }

  function chart(canvas, title, series) {
    const [w, h] = resize(canvas);
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, w, h);
    const n = Math.max(1, longest());
    const lines = [];
    let lo = Infinity, hi = -Infinity, top = -Infinity;
    OPTS.forEach((name, k) => {
      const r = results[name];
      if (!r || !r.fs) return;
      const ys = series(r).map((y) => (y > 0 && Number.isFinite(y) ? Math.log10(y) : null));
      for (const y of ys) if (y !== null) lo = Math.min(lo, y);
      if (ys[0] !== null) top = Math.max(top, ys[0]);
      lines.push([k, ys]);
    });
    // The top: a few decades above the starts, so a diverging path does not flatten the rest.
    for (const [, ys] of lines) for (const y of ys) if (y !== null && y <= top + 3) hi = Math.max(hi, y);
    if (!(hi >= lo)) { lo = -1; hi = 1; }
    if (hi - lo < 1) { hi += 0.5; lo -= 0.5; }
    const m = 4 * dpr, left = 34 * dpr;
    const X = (t) => left + (t / n) * (w - left - m);
    const Y = (y) => h - m - ((y - lo) / (hi - lo)) * (h - 2 * m - 14 * dpr);
    ctx.font = `${10 * dpr}px sans-serif`;
    ctx.fillStyle = "#555";
    ctx.textBaseline = "middle";
    ctx.textAlign = "right";
    for (let e = Math.ceil(lo); e <= Math.floor(hi); e += Math.max(1, Math.ceil((hi - lo) / 5))) {
      ctx.fillRect(left - 3 * dpr, Y(e), 3 * dpr, 1);
      ctx.fillText(`1e${e}`, left - 4 * dpr, Y(e));
    }
    ctx.textAlign = "left";
    ctx.textBaseline = "top";
    ctx.font = `${11 * dpr}px sans-serif`;
    ctx.fillText(`${title} (log) vs iteration`, left + 4 * dpr, 2 * dpr);
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, 0, w - left, h);
    ctx.clip();
    for (const [k, ys] of lines) {
      ctx.strokeStyle = COLORS[k];
      ctx.lineWidth = 1.3 * dpr;
      ctx.beginPath();
      let pen = false;
      ys.forEach((y, t) => {
        if (y === null) { pen = false; return; }
        if (pen) ctx.lineTo(X(t), Y(y)); else ctx.moveTo(X(t), Y(y));
        pen = true;
      });
      ctx.stroke();
    }
    ctx.restore();
    ctx.strokeStyle = "rgba(0,0,0,0.35)";
    ctx.beginPath();
    ctx.moveTo(X(frame), m);
    ctx.lineTo(X(frame), h - m);
    ctx.stroke();
  }

  // ---------------------------------------------------------------------------------------
  // Readable math: the formula's tree as HTML elements (text only, never markup from the user).

  const MATH_FUNCS = { asin: "arcsin", acos: "arccos", atan: "arctan", log: "ln" };
  function renderMath(tree) {
    const box = $("math");
    box.replaceChildren();
    const prefix = document.createElement("span");
    prefix.textContent = `f(${obj.variables.join(", ")}) = `;
    box.append(prefix);
    try {
      box.append(mathNode(tree, 0));
    } catch (err) {
      box.append(document.createTextNode(currentFormula()));
    }
  }

  function prec(node) {
    if (node.t === "bin") return { "+": 1, "-": 1, "*": 2, "/": 2, "^": 4 }[node.op];
    if (node.t === "neg") return 3;
    return 5;
  }

  function mathNode(node, outer) {
    const span = document.createElement("span");
    const wrap = prec(node) < outer;
    if (wrap) span.append("(");
    if (node.t === "num") span.append(DL._internal.formatNumber(node.v));
    else if (node.t === "const") span.append(node.name === "pi" ? "\u03c0" : node.name);
    else if (node.t === "var") {
      const v = document.createElement("var");
      const m = /^([A-Za-z])([0-9]+)$/.exec(node.name);
      if (m) {
        v.textContent = m[1];
        const sub = document.createElement("sub");
        sub.textContent = m[2];
        v.append(sub);
      } else v.textContent = node.name;
      span.append(v);
    } else if (node.t === "neg") {
      span.append("\u2212", mathNode(node.a, 3));
    } else if (node.t === "call") {
      const name = document.createElement("span");
      name.className = "fn";
      if (node.f === "sqrt") {
        name.textContent = "\u221a";
        span.append(name, "(", mathNode(node.a, 0), ")");
      } else if (node.f === "abs") {
        span.append("|", mathNode(node.a, 0), "|");
      } else {
        name.textContent = MATH_FUNCS[node.f] || node.f;
        span.append(name, "(", mathNode(node.a, 0), ")");
      }
    } else if (node.op === "^") {
      const sup = document.createElement("sup");
      sup.append(mathNode(node.b, 0));
      span.append(mathNode(node.a, 5), sup);
    } else {
      const p = prec(node);
      const right = mathNode(node.b, p + 1);
      const left = mathNode(node.a, p);
      const sym = { "+": " + ", "-": " \u2212 ", "/": "/", "*": "\u00b7" }[node.op];
      const factor = (b) => ["var", "const", "call"].includes(b.t) || (b.t === "bin" && b.op === "^" && factor(b.a));
      const implicit = node.op === "*" && node.a.t === "num" && factor(node.b);
      span.append(left, implicit ? "" : sym, right);
    }
    if (wrap) span.append(")");
    return span;
  }

  // ---------------------------------------------------------------------------------------
  // The URL fragment.

  function writeHash() {
    const q = new URLSearchParams();
    if (S.problem) q.set("fn", S.problem); else q.set("formula", S.formula);
    q.set("view", S.view.join(","));
    q.set("start", S.start.join(","));
    q.set("on", OPTS.filter((o) => S.on[o]).join(","));
    q.set("lr", OPTS.map((o) => S.lr[o]).join(","));
    if (S.link) q.set("link", "1");
    q.set("rule", S.rule);
    for (const o of OPTS) if (Object.keys(S.opts[o]).length) q.set(`opt.${o}`, JSON.stringify(S.opts[o]));
    if (S.sched) q.set("schedule", JSON.stringify(S.sched));
    q.set("iter", String(S.maxIter));
    q.set("tol", String(S.tol));
    if (S.field) q.set("field", "1");
    q.set("speed", String(S.speed));
    const hash = "#" + q.toString();
    if (location.hash === hash) return;
    try {
      history.replaceState(null, "", hash);
    } catch (err) {
      // A sandboxed frame (the notebook's srcdoc iframe) has no address of its own to keep.
    }
  }

  const nums = (text, n) => {
    if (typeof text !== "string") return null;
    const v = text.split(",").map(Number);
    return v.length === n && v.every(Number.isFinite) ? v : null;
  };
  /** A plain JSON object from the fragment (data only, never run), or null. */
  const parsed = (text) => {
    if (typeof text !== "string") return null;
    try {
      const v = JSON.parse(text);
      return v !== null && typeof v === "object" && !Array.isArray(v) ? v : null;
    } catch (err) {
      return null;
    }
  };
  const num = (text, lo, hi) => {
    const v = Number(text);
    return text !== null && text !== "" && Number.isFinite(v) && v >= lo && v <= hi ? v : null;
  };

  /** Apply the fragment; anything missing or malformed keeps its current value. */
  function readHash() {
    const q = new URLSearchParams(location.hash.slice(1));
    let ok = false;
    if (q.has("fn") && PROBLEMS.has(q.get("fn"))) ok = setTarget(q.get("fn"), "", false);
    else if (q.has("formula")) ok = setTarget(null, q.get("formula"), false);
    if (!ok && !obj) { // a refused link: open on the page's own target, and say why
      const box = $("formula-error");
      const refused = box.hidden ? null : box.textContent;
      const init = CONFIG.initial;
      setTarget(init.problem || null, init.formula || "", false);
      if (refused !== null) { box.textContent = refused; box.hidden = false; }
    }
    const view = nums(q.get("view"), 2 * obj.dim);
    if (view && view[0] < view[1] && (obj.dim === 1 || view[2] < view[3])) { S.view = view; contour = null; }
    const start = nums(q.get("start"), obj.dim);
    if (start) S.start = start;
    if (q.has("on")) {
      const on = q.get("on").split(",");
      for (const o of OPTS) S.on[o] = on.includes(o);
    }
    const lrs = nums(q.get("lr"), OPTS.length);
    if (lrs && lrs.every((v) => v > 0)) OPTS.forEach((o, k) => { S.lr[o] = lrs[k]; });
    S.link = q.get("link") === "1";
    if (OPTS.includes(q.get("rule"))) S.rule = q.get("rule");
    const it = num(q.get("iter"), 0, 100000);
    if (it !== null && Number.isInteger(it)) S.maxIter = it;
    // Options and the schedule are kept only if the library's checks accept them.
    for (const o of OPTS) {
      const given = parsed(q.get(`opt.${o}`));
      if (given) delete given.lr; // the lr has its own slider (and place in the link)
      S.opts[o] = given && DL.checkSettings({ optimizer: o, hyperparameters: given }) === null ? given : {};
    }
    const sched = parsed(q.get("schedule"));
    S.sched = sched && DL.schedules.includes(sched.name) && scheduleError(sched) === null
      ? { name: sched.name, parameters: sched.parameters || {} } : null;
    const tol = num(q.get("tol"), 0, 1e10);
    if (tol !== null) S.tol = tol;
    S.field = q.get("field") === "1";
    const speed = num(q.get("speed"), 0, SPEEDS.length - 1);
    if (speed !== null && Number.isInteger(speed)) S.speed = speed;
  }

  // ---------------------------------------------------------------------------------------
  // Controls.

  const LR_MIN = -5, LR_MAX = 1;

  function buildControls() {
    const select = $("fn");
    const custom = document.createElement("option");
    custom.value = "";
    custom.textContent = "(your formula)";
    select.append(custom);
    for (const p of CONFIG.problems) {
      const o = document.createElement("option");
      o.value = p.name;
      o.textContent = `${p.title} (${p.dim}-D)`;
      select.append(o);
    }
    const body = document.querySelector("#optimizers tbody");
    OPTS.forEach((name, k) => {
      const tr = document.createElement("tr");
      const td1 = document.createElement("td");
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.id = `on-${name}`;
      const sw = document.createElement("span");
      sw.className = "swatch";
      sw.style.background = COLORS[k];
      label.append(box, " ", sw, name);
      td1.append(label);
      const td2 = document.createElement("td");
      const lr = document.createElement("input");
      lr.type = "range";
      lr.id = `lr-${name}`;
      lr.min = String(LR_MIN); lr.max = String(LR_MAX); lr.step = "0.05";
      lr.setAttribute("aria-label", `${name} learning rate (log scale)`);
      const out = document.createElement("output");
      out.id = `lr-${name}-out`;
      td2.append(lr, out);
      const now = document.createElement("td");
      now.className = "now";
      now.id = `lr-${name}-now`;
      const td3 = document.createElement("td");
      td3.className = "status";
      td3.id = `status-${name}`;
      tr.append(td1, td2, now, td3);
      body.append(tr);
      box.addEventListener("change", () => { S.on[name] = box.checked; recompute(); });
      lr.addEventListener("input", () => {
        const value = +Math.pow(10, Number(lr.value)).toPrecision(3);
        if (S.link) for (const o of OPTS) S.lr[o] = value; else S.lr[name] = value;
        recompute();
      });
    });
    select.addEventListener("change", () => {
      if (select.value && setTarget(select.value, "", false)) { frame = 0; recompute(); }
    });
    const submit = () => {
      const text = $("formula").value;
      const match = CONFIG.problems.find((p) => p.formula === text);
      if (setTarget(match ? match.name : null, text, false)) { frame = 0; recompute(); }
    };
    $("draw").addEventListener("click", submit);
    $("formula").addEventListener("keydown", (e) => { if (e.key === "Enter") submit(); });
    $("link").addEventListener("change", () => {
      S.link = $("link").checked;
      if (S.link) { const v = S.lr.gd; for (const o of OPTS) S.lr[o] = v; }
      recompute();
    });
    $("field").addEventListener("change", () => { S.field = $("field").checked; writeHash(); draw(); });
    const slider = (id, set) => $(id).addEventListener("input", () => { set(Number($(id).value)); recompute(); });
    for (const name of OPTS) $("rule").append(new Option(name, name));
    $("rule").addEventListener("change", () => { S.rule = $("rule").value; buildRuleOptions(); writeHash(); });
    $("rule-defaults").addEventListener("click", () => { S.opts[S.rule] = {}; buildRuleOptions(); recompute(); });
    $("schedule").append(new Option("none (constant lr)", ""));
    for (const name of DL.schedules) $("schedule").append(new Option(name, name));
    $("schedule").addEventListener("change", () => {
      const name = $("schedule").value;
      const sched = name ? { name, parameters: {} } : null;
      const error = sched && scheduleError(sched);
      showSettingsError("schedule-error", error);
      if (!error) S.sched = sched;
      buildScheduleOptions();
      recompute();
    });
    slider("maxiter", (v) => { S.maxIter = v; });
    slider("tol", (v) => { S.tol = +Math.pow(10, v).toPrecision(3); });
    $("speed").addEventListener("input", () => { S.speed = Number($("speed").value); updateControls(); writeHash(); });
    $("iter").addEventListener("input", () => { frame = Number($("iter").value); pause(); draw(); });
    $("play").addEventListener("click", () => (playing ? pause() : play()));
    $("step").addEventListener("click", () => { pause(); frame = Math.min(longest(), frame + 1); draw(); });
    $("reset").addEventListener("click", () => { pause(); frame = 0; draw(); });
    $("view-reset").addEventListener("click", () => { S.view = defaultView(obj.dim); contour = null; writeHash(); draw(); });
  }

  // ---------------------------------------------------------------------------------------
  // Options of the chosen rule and of the schedule: one input per parameter, built from the
  // library's defaults and kinds (CONFIG); a value the library would refuse is refused here with
  // its message, and nothing is recomputed with it.

  const KINDS = CONFIG.kinds;

  /** The text an input shows for a value. */
  function shownText(kind, v) {
    if (v === null || v === undefined) return "";
    return kind === "ints" ? v.join(",") : String(v);
  }

  /** The value typed into a text input, or an Error whose message says what is wrong. */
  function readValue(name, kind, text) {
    const t = text.trim();
    if (kind === "int?" && t === "") return null;
    if (kind === "ints") {
      const parts = t.split(",").map((p) => p.trim());
      const v = parts.map(Number);
      if (t === "" || parts.some((p) => p === "") || !v.every(Number.isFinite)) {
        return new Error(`${name}: ${JSON.stringify(text)} is not a list of numbers (write 100,300)`);
      }
      return v;
    }
    const v = Number(t);
    if (t === "" || !Number.isFinite(v)) return new Error(`${name}: ${JSON.stringify(text)} is not a number`);
    return v;
  }

  function showSettingsError(id, message) {
    $(id).textContent = message || "";
    $(id).hidden = !message;
  }

  /** A schedule's parameters refused on their own, or null. What depends on the rule (a cycled
   * momentum, a table with an lr of 0 for this many iterations) stops that rule's run, and its
   * message shows under the table. */
  function scheduleError(sched) {
    return DL.checkSettings({ scheduler: sched });
  }

  /**
   * Inputs for the parameters `names` of `kinds`, showing `values`; `accept(key, value)` returns
   * an error message or null (then the value is kept); text that is no number is refused in the
   * element `errorId`.
   */
  function paramInputs(box, prefix, names, kinds, values, help, errorId, accept) {
    box.replaceChildren();
    for (const key of names) {
      const kind = kinds[key];
      const row = document.createElement("div");
      row.className = "row param";
      const label = document.createElement("label");
      label.textContent = key;
      if (help[key]) label.title = help[key];
      const id = `${prefix}-${key}`;
      const fields = [];
      if (kind === "flag") {
        const box2 = document.createElement("input");
        box2.type = "checkbox";
        box2.id = id;
        box2.checked = values[key];
        box2.addEventListener("change", () => { if (accept(key, box2.checked)) box2.checked = values[key]; });
        label.prepend(box2, " ");
        row.append(label);
      } else if (kind === "choice") {
        const select = document.createElement("select");
        select.id = id;
        for (const c of CONFIG.choices[key]) select.append(new Option(c, c));
        select.value = values[key];
        select.addEventListener("change", () => accept(key, select.value));
        label.htmlFor = id;
        row.append(label, select);
      } else {
        const parts = kind === "pair" ? [0, 1] : [null];
        label.htmlFor = kind === "pair" ? `${id}-0` : id;
        row.append(label);
        for (const part of parts) {
          const input = document.createElement("input");
          input.type = "text";
          input.inputMode = "decimal";
          input.spellcheck = false;
          input.id = part === null ? id : `${id}-${part}`;
          input.value = part === null ? shownText(kind, values[key]) : String(values[key][part]);
          if (kind === "int?") input.placeholder = "max iterations";
          if (part !== null) input.setAttribute("aria-label", `${key} ${part === 0 ? "first" : "second"}`);
          fields.push(input);
          row.append(input);
        }
        const onInput = () => {
          const read = fields.map((f) => readValue(key, kind === "pair" ? "float" : kind, f.value));
          const bad = read.find((v) => v instanceof Error);
          if (bad) showSettingsError(errorId, bad.message);
          const message = bad ? bad.message : accept(key, kind === "pair" ? read : read[0]);
          for (const f of fields) f.setAttribute("aria-invalid", message ? "true" : "false");
        };
        for (const f of fields) f.addEventListener("input", onInput);
      }
      box.append(row);
    }
  }

  function buildRuleOptions() {
    const name = S.rule;
    const defaults = CONFIG.optimizers[name];
    const values = Object.assign({}, defaults, S.opts[name]);
    const keys = Object.keys(defaults).filter((k) => k !== "lr");
    showSettingsError("rule-error", null);
    paramInputs($("rule-params"), "opt", keys, KINDS[name], values, CONFIG.help, "rule-error", (key, value) => {
      const opts = Object.assign({}, S.opts[name], { [key]: value });
      const error = DL.checkSettings({ optimizer: name, hyperparameters: Object.assign({ lr: S.lr[name] }, opts) });
      showSettingsError("rule-error", error);
      if (error) return error;
      values[key] = value;
      if (JSON.stringify(value) === JSON.stringify(defaults[key])) delete opts[key];
      S.opts[name] = opts;
      recompute();
      return null;
    });
  }

  function buildScheduleOptions() {
    const box = $("schedule-params");
    if (!S.sched) { box.replaceChildren(); return; }
    const name = S.sched.name;
    const defaults = CONFIG.schedules[name];
    const values = Object.assign({}, defaults, S.sched.parameters);
    paramInputs(box, "sched", Object.keys(defaults), KINDS[name], values, CONFIG.scheduleHelp, "schedule-error", (key, value) => {
      const parameters = Object.assign({}, S.sched.parameters, { [key]: value });
      const sched = { name, parameters };
      const error = scheduleError(sched);
      showSettingsError("schedule-error", error);
      if (error) return error;
      values[key] = value;
      if (JSON.stringify(value) === JSON.stringify(defaults[key])) delete parameters[key];
      S.sched = sched;
      recompute();
      return null;
    });
  }

  function updateControls() {
    OPTS.forEach((name) => {
      $(`on-${name}`).checked = S.on[name];
      $(`lr-${name}`).value = String(Math.log10(S.lr[name]));
      const cell = $(`status-${name}`);
      const r = results[name];
      $(`lr-${name}-out`).textContent = fmt(S.lr[name]);
      // With a schedule: the lr of the iteration shown (of the first one at the start).
      const now = S.sched && r && r.lrs && r.lrs.length ? r.lrs[Math.max(0, Math.min(frame, r.lrs.length) - 1)] : null;
      $(`lr-${name}-now`).textContent = now === null ? "" : fmt(now);
      cell.className = "status";
      cell.title = "";
      if (!S.on[name] || !r) cell.textContent = "off";
      else if (r.error) { cell.textContent = "error"; cell.title = r.error; cell.classList.add("diverged"); }
      else {
        cell.textContent = `${r.status} ${r.nit}`;
        cell.classList.add(r.status);
        cell.title = `f = ${r.fs[r.fs.length - 1]}`;
      }
    });
    $("link").checked = S.link;
    $("field").checked = S.field;
    const set = (id, value, text) => { $(id).value = String(value); $(`${id}-out`).textContent = text; };
    $("optimizers").classList.toggle("scheduled", Boolean(S.sched));
    // A rule that refuses these settings (onecyclelr's momentum on gd): its message, in full.
    const refused = OPTS.filter((o) => S.on[o] && results[o] && results[o].error);
    $("run-errors").textContent = refused.map((o) => `${o}: ${results[o].error}`).join("\n");
    $("run-errors").hidden = !refused.length;
    $("rule").value = S.rule;
    $("schedule").value = S.sched ? S.sched.name : "";
    set("maxiter", S.maxIter, String(S.maxIter));
    set("tol", Math.log10(S.tol || 1e-14), fmt(S.tol));
    set("speed", S.speed, `${SPEEDS[S.speed]} iterations per frame`);
    $("play").textContent = playing ? "Pause" : "Play";
  }

  function play() {
    if (frame >= longest()) frame = 0;
    playing = true;
    updateControls();
    requestAnimationFrame(tick);
  }
  function pause() { playing = false; updateControls(); }
  function tick() {
    if (!playing) return;
    frame = Math.min(longest(), frame + SPEEDS[S.speed]);
    draw();
    if (frame >= longest()) pause(); else requestAnimationFrame(tick);
  }

  // ---------------------------------------------------------------------------------------
  // Pointer, wheel and keyboard on the plot.

  function eventPx(e) {
    const r = plot.getBoundingClientRect();
    return [(e.clientX - r.left) * dpr, (e.clientY - r.top) * dpr];
  }
  let drag = null;
  plot.addEventListener("pointerdown", (e) => {
    plot.focus();
    const [px, py] = eventPx(e);
    if (e.shiftKey || e.altKey || e.button === 1) {
      drag = { pan: true, px, py, view: S.view.slice() };
    } else {
      drag = { pan: false };
      moveStart(px, py);
    }
    plot.setPointerCapture(e.pointerId);
  });
  plot.addEventListener("pointermove", (e) => {
    const [px, py] = eventPx(e);
    const [x, y] = fromPx(px, py);
    $("coords").textContent = obj.dim === 2 ? `(${fmt(x)}, ${fmt(y)})` : `x = ${fmt(x)}`;
    if (!drag) return;
    if (drag.pan) {
      const v = drag.view;
      const dx = ((px - drag.px) / W) * (v[1] - v[0]);
      S.view = obj.dim === 2
        ? [v[0] - dx, v[1] - dx, v[2] + ((py - drag.py) / H) * (v[3] - v[2]), v[3] + ((py - drag.py) / H) * (v[3] - v[2])]
        : [v[0] - dx, v[1] - dx];
      writeHash();
      draw();
    } else moveStart(px, py);
  });
  const endDrag = () => { drag = null; };
  plot.addEventListener("pointerup", endDrag);
  plot.addEventListener("pointercancel", endDrag);
  plot.addEventListener("wheel", (e) => {
    e.preventDefault();
    const [px, py] = eventPx(e);
    const [x, y] = fromPx(px, py);
    const k = Math.pow(1.0015, e.deltaY);
    const v = S.view;
    S.view = obj.dim === 2
      ? [x + (v[0] - x) * k, x + (v[1] - x) * k, y + (v[2] - y) * k, y + (v[3] - y) * k]
      : [x + (v[0] - x) * k, x + (v[1] - x) * k];
    writeHash();
    draw();
  }, { passive: false });
  plot.addEventListener("keydown", (e) => {
    const v = S.view;
    const dx = (v[1] - v[0]) / 100, dy = obj.dim === 2 ? (v[3] - v[2]) / 100 : 0;
    const moves = { ArrowLeft: [-dx, 0], ArrowRight: [dx, 0], ArrowUp: [0, dy], ArrowDown: [0, -dy] };
    if (!moves[e.key]) return;
    e.preventDefault();
    S.start = S.start.map((s, i) => s + moves[e.key][i]);
    recompute();
  });

  function moveStart(px, py) {
    const [x, y] = fromPx(px, py);
    S.start = obj.dim === 2 ? [x, y] : [x];
    recompute();
  }

  window.addEventListener("resize", () => { contour = null; draw(); });
  window.addEventListener("hashchange", () => {
    readHash();
    buildRuleOptions();
    buildScheduleOptions();
    recompute();
  });

  buildControls();
  readHash();
  buildRuleOptions();
  buildScheduleOptions();
  recompute();

  DL.ui = {
    state: () => JSON.parse(JSON.stringify(S)),
    results: () => Object.fromEntries(Object.entries(results).map(([k, r]) =>
      [k, r.error ? { error: r.error } : { status: r.status, nit: r.nit, last: r.xs[r.xs.length - 1] }])),
    stats: () => Object.assign({ frame, playing }, stats),
    toPx: (x, y) => { const [px, py] = toPx(x, y); return [px / dpr, py / dpr]; },
  };
})();
