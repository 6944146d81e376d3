/* golive Gantt chart: a virtualised grid and a canvas timeline, redrawn for the rows in view.
 *
 * Dates arrive as the project's wall-clock time in ms "as if UTC" (see golive/web/views/gantt.py),
 * so every calendar computation here uses the UTC methods of Date.
 */
(function () {
  "use strict";

  const ROW = 28;
  const HEAD = 44; // the time scale's height, as --gantt-head in gantt.css
  const BUFFER = 8; // rows drawn above and below the view
  const DAY = 86400000;
  const MILESTONE = 1, SUMMARY = 2, CRITICAL = 4;
  const NOT_STARTED = 0;
  // Zoom levels, finest first: the unit drives the scale, the grid lines and drag snapping.
  const LEVELS = [
    { unit: "day", px: 40 },
    { unit: "day", px: 24 },
    { unit: "week", px: 13 },
    { unit: "week", px: 8 },
    { unit: "month", px: 3.5 },
    { unit: "month", px: 1.8 },
  ];
  const UNIT_LEVEL = { day: 1, week: 3, month: 4 };
  const COLORS = {
    task: "#3f6fb5", taskDone: "#27497d",
    critical: "#c0392b", criticalDone: "#7f2118",
    summary: "#2b3440", milestone: "#6a3fb5",
    baseline: "#9aa4b2", today: "#e08a00",
    link: "#8c97a8", linkCritical: "#d4776c",
    line: "#eef0f4", lineStrong: "#d5dae2", band: "#f3f7fd", text: "#39424e", muted: "#6b7480",
    ghost: "rgba(29, 95, 168, 0.35)",
  };
  const FONT = "12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
  const fmtDate = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "2-digit", timeZone: "UTC" });
  const fmtLong = new Intl.DateTimeFormat("en-GB", { weekday: "short", day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  const fmtMonth = new Intl.DateTimeFormat("en-GB", { month: "short", timeZone: "UTC" });
  const fmtMonthYear = new Intl.DateTimeFormat("en-GB", { month: "long", year: "numeric", timeZone: "UTC" });
  const fmtDayMonth = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });

  function floorDay(t) { return Math.floor(t / DAY) * DAY; }
  function floorWeek(t) { return floorDay(t) - (((new Date(t).getUTCDay() + 6) % 7) * DAY); }
  function floorMonth(t) { const d = new Date(t); return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1); }
  function floorYear(t) { return Date.UTC(new Date(t).getUTCFullYear(), 0, 1); }
  function floorUnit(unit, t) {
    if (unit === "day") return floorDay(t);
    if (unit === "week") return floorWeek(t);
    if (unit === "month") return floorMonth(t);
    return floorYear(t);
  }
  function nextUnit(unit, t) {
    if (unit === "day") return t + DAY;
    if (unit === "week") return t + 7 * DAY;
    const d = new Date(t);
    if (unit === "month") return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    return Date.UTC(d.getUTCFullYear() + 1, 0, 1);
  }
  function snap(unit, t) {
    const lo = floorUnit(unit, t), hi = nextUnit(unit, lo);
    return t - lo < hi - t ? lo : hi;
  }
  function isoDate(t) { return new Date(t).toISOString().slice(0, 10); }
  function days(minutes) { return Math.round((minutes / 480) * 10) / 10; } // 8 h working days

  function Gantt(root) {
    this.root = root;
    this.canDrag = root.dataset.canDrag === "true";
    this.src = root.dataset.src;
    this.scroller = root.querySelector("[data-scroller]");
    this.spacer = root.querySelector("[data-spacer]");
    this.canvas = root.querySelector("[data-canvas]");
    this.scaleCanvas = root.querySelector("[data-scale-canvas]");
    this.grid = root.querySelector("[data-grid]");
    this.gridSpacer = root.querySelector("[data-grid-spacer]");
    this.statusEl = root.querySelector("[data-status]");
    this.baselineSelect = root.querySelector("[data-baseline]");
    this.level = UNIT_LEVEL.week;
    this.rows = [];
    this.links = [];
    this.rowEls = new Map();
    this.hover = -1;
    this.drag = null;
    this.busy = false;
    this.frame = 0;
    this.t0 = 0;
    this.t1 = 0;
    this.bind();
  }

  Gantt.prototype.px = function () { return LEVELS[this.level].px / DAY; };
  Gantt.prototype.x = function (t) { return (t - this.t0) * this.px(); };
  Gantt.prototype.timeAt = function (x) { return this.t0 + x / this.px(); };

  Gantt.prototype.bind = function () {
    const self = this;
    this.scroller.addEventListener("scroll", function () { self.schedule(); }, { passive: true });
    this.grid.addEventListener("wheel", function (ev) {
      if (ev.ctrlKey) return;
      ev.preventDefault();
      self.scroller.scrollTop += ev.deltaMode === 1 ? ev.deltaY * ROW : ev.deltaY;
    }, { passive: false });
    this.scroller.addEventListener("wheel", function (ev) {
      if (!ev.ctrlKey) return;
      ev.preventDefault();
      const rect = self.scroller.getBoundingClientRect();
      self.zoomTo(self.level + (ev.deltaY > 0 ? 1 : -1), ev.clientX - rect.left);
    }, { passive: false });
    this.root.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        self.zoomTo(self.level + (button.dataset.zoom === "in" ? -1 : 1));
      });
    });
    this.root.querySelectorAll("[data-scale]").forEach(function (button) {
      button.addEventListener("click", function () { self.zoomTo(UNIT_LEVEL[button.dataset.scale]); });
    });
    this.root.querySelector("[data-today]").addEventListener("click", function () {
      self.scroller.scrollLeft = self.x(self.today) - self.scroller.clientWidth / 2;
    });
    this.baselineSelect.addEventListener("change", function () {
      const url = new URL(window.location.href);
      if (self.baselineSelect.value) url.searchParams.set("baseline", self.baselineSelect.value);
      else url.searchParams.delete("baseline");
      window.history.replaceState(null, "", url);
      self.load();
    });
    this.scroller.addEventListener("pointerdown", function (ev) { self.pointerDown(ev); });
    this.scroller.addEventListener("pointermove", function (ev) { self.pointerMove(ev); });
    this.scroller.addEventListener("pointerup", function (ev) { self.pointerUp(ev); });
    this.scroller.addEventListener("pointercancel", function () { self.cancelDrag(); });
    this.scroller.addEventListener("pointerleave", function () {
      if (!self.drag) { self.hover = -1; self.schedule(); }
    });
    this.scroller.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape" && self.drag) self.cancelDrag();
    });
    new ResizeObserver(function () { self.layout(); }).observe(this.scroller);
  };

  Gantt.prototype.setStatus = function (text, kind) {
    this.statusEl.textContent = text;
    this.statusEl.classList.toggle("is-error", kind === "error");
    this.statusEl.classList.toggle("is-done", kind === "done");
  };

  Gantt.prototype.load = function () {
    const self = this;
    const url = new URL(this.src, window.location.href);
    if (this.baselineSelect.value) url.searchParams.set("baseline", this.baselineSelect.value);
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("The plan could not be loaded (HTTP " + response.status + ").");
        return response.json();
      })
      .then(function (data) {
        const first = !self.rows.length;
        self.setData(data);
        if (first) self.scroller.scrollLeft = Math.max(0, self.x(self.start) - 40);
        const n = self.rows.length;
        self.setStatus(n ? n.toLocaleString("en") + " work packages · " + self.links.length.toLocaleString("en") +
          " dependencies" + (self.canDrag ? " · drag a bar that has not started to reschedule it" : "") : "No work packages yet.");
      })
      .catch(function (error) { self.setStatus(error.message, "error"); });
  };

  // The data arrives column by column (one array per field, null for a field no row has a
  // value for, such as the baseline dates without a baseline); the chart works on rows.
  function transpose(columns, count) {
    const rows = new Array(count);
    for (let i = 0; i < count; i++) {
      const r = new Array(columns.length);
      for (let c = 0; c < columns.length; c++) r[c] = columns[c] === null ? null : columns[c][i];
      rows[i] = r;
    }
    return rows;
  }

  Gantt.prototype.setData = function (data) {
    const f = {};
    data.fields.forEach(function (name, i) { f[name] = i; });
    this.f = f;
    this.rows = transpose(data.columns, data.count);
    this.links = transpose(data.links, data.links.length ? data.links[0].length : 0);
    this.today = data.today;
    this.byId = new Map();
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < this.rows.length; i++) {
      const r = this.rows[i];
      this.byId.set(r[f.id], i);
      for (const key of [f.start, f.bl_start]) if (r[key] !== null && r[key] < lo) lo = r[key];
      for (const key of [f.finish, f.bl_finish]) if (r[key] !== null && r[key] > hi) hi = r[key];
    }
    if (lo === Infinity) { lo = this.today; hi = this.today; }
    this.start = lo;
    this.finish = hi;
    // Room around the plan (and today) to drag into.
    this.t0 = floorYear(Math.min(lo, this.today) - 62 * DAY);
    this.t1 = nextUnit("year", floorYear(Math.max(hi, this.today) + 62 * DAY));
    this.rowEls.forEach(function (el) { el.remove(); });
    this.rowEls.clear();
    this.layout();
    if (!this.rendered) {
      this.rendered = true;
      const self = this;
      window.requestAnimationFrame(function () {
        // From navigation start: page, data request and the first frame together.
        self.root.dataset.renderMs = String(Math.round(performance.now()));
      });
    }
  };

  Gantt.prototype.layout = function () {
    const height = this.rows.length * ROW;
    this.spacer.style.width = Math.ceil(this.x(this.t1)) + "px";
    this.spacer.style.height = height + "px";
    // The grid scrolls with the timeline, which loses its horizontal scrollbar's height.
    const bar = this.scroller.offsetHeight - this.scroller.clientHeight;
    this.gridSpacer.style.height = height + bar + "px";
    this.root.querySelectorAll("[data-scale]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.scale === LEVELS[this.level].unit));
    }, this);
    this.draw();
  };

  Gantt.prototype.zoomTo = function (level, anchorX) {
    level = Math.max(0, Math.min(LEVELS.length - 1, level));
    if (level === this.level) return;
    const ax = anchorX === undefined ? this.scroller.clientWidth / 2 : anchorX;
    const t = this.timeAt(this.scroller.scrollLeft + ax);
    this.level = level;
    this.layout();
    this.scroller.scrollLeft = this.x(t) - ax;
    this.draw();
  };

  Gantt.prototype.schedule = function () {
    const self = this;
    if (this.frame) return;
    this.frame = window.requestAnimationFrame(function () { self.frame = 0; self.draw(); });
  };

  Gantt.prototype.fitCanvas = function (canvas, w, h) {
    const ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
      canvas.width = Math.round(w * ratio);
      canvas.height = Math.round(h * ratio);
      canvas.style.width = w + "px";
      canvas.style.height = h + "px";
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.font = FONT;
    ctx.textBaseline = "middle";
    return ctx;
  };

  // Bar geometry of row i in content coordinates (before scrolling), or null if unscheduled.
  Gantt.prototype.bar = function (i, startOverride) {
    const f = this.f, r = this.rows[i];
    if (r[f.start] === null) return null;
    const start = startOverride === undefined ? r[f.start] : startOverride;
    const finish = startOverride === undefined ? r[f.finish] : startOverride + (r[f.finish] - r[f.start]);
    const x0 = this.x(floorDay(start));
    const milestone = (r[f.flags] & MILESTONE) !== 0;
    const x1 = milestone ? x0 : this.x(floorDay(finish) + DAY);
    return { x0: x0, x1: Math.max(x1, x0 + 2), y: i * ROW, milestone: milestone };
  };

  Gantt.prototype.draw = function () {
    if (!this.f) return;
    const w = this.scroller.clientWidth, h = this.scroller.clientHeight;
    const sl = this.scroller.scrollLeft, st = this.scroller.scrollTop;
    const n = this.rows.length;
    const first = Math.max(0, Math.floor(st / ROW) - BUFFER);
    const last = Math.min(n - 1, Math.ceil((st + h) / ROW) + BUFFER);
    this.grid.scrollTop = st;
    this.drawScale(sl, w);
    const ctx = this.fitCanvas(this.canvas, w, h);
    ctx.save();
    ctx.translate(-sl, -st);
    this.drawBackground(ctx, sl, st, w, h, first, last);
    this.drawLinks(ctx, first, last);
    for (let i = first; i <= last; i++) this.drawRow(ctx, i, sl, w);
    if (this.drag && this.drag.moved) this.drawGhost(ctx);
    ctx.restore();
    this.drawGrid(first, last);
  };

  Gantt.prototype.drawScale = function (sl, w) {
    const h = HEAD;
    const ctx = this.fitCanvas(this.scaleCanvas, w, h);
    ctx.fillStyle = "#f1f3f6";
    ctx.fillRect(0, 0, w, h);
    const unit = LEVELS[this.level].unit;
    const top = unit === "month" ? "year" : "month";
    const from = this.timeAt(sl), to = this.timeAt(sl + w);
    ctx.strokeStyle = COLORS.lineStrong;
    ctx.fillStyle = COLORS.text;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(0, h / 2 + 0.5); ctx.lineTo(w, h / 2 + 0.5);
    ctx.moveTo(0, h - 0.5); ctx.lineTo(w, h - 0.5);
    for (let t = floorUnit(top, from); t < to; t = nextUnit(top, t)) {
      const x = Math.round(this.x(t) - sl) + 0.5;
      const x2 = this.x(nextUnit(top, t)) - sl;
      ctx.moveTo(x, 0); ctx.lineTo(x, h);
      const label = top === "year" ? String(new Date(t).getUTCFullYear()) : fmtMonthYear.format(t);
      // Keep the label of a period that started off-screen readable at the left edge.
      const lx = Math.min(Math.max(x + 4, 4), x2 - ctx.measureText(label).width - 4);
      ctx.fillText(label, lx, h / 4);
    }
    ctx.fillStyle = COLORS.muted;
    for (let t = floorUnit(unit, from); t < to; t = nextUnit(unit, t)) {
      const x = Math.round(this.x(t) - sl) + 0.5;
      const width = this.x(nextUnit(unit, t)) - this.x(t);
      ctx.moveTo(x, h / 2); ctx.lineTo(x, h);
      let label;
      if (unit === "day") label = width >= 30 ? "MTWTFSS"[(new Date(t).getUTCDay() + 6) % 7] + " " + new Date(t).getUTCDate() : String(new Date(t).getUTCDate());
      else if (unit === "week") label = width >= 50 ? fmtDayMonth.format(t) : String(new Date(t).getUTCDate());
      else label = width >= 40 ? fmtMonth.format(t) : fmtMonth.format(t).charAt(0);
      ctx.fillText(label, x + 3, (h * 3) / 4, width - 4);
    }
    ctx.stroke();
    if (this.today >= from && this.today <= to) {
      ctx.fillStyle = COLORS.today;
      const x = this.x(this.today) - sl;
      ctx.beginPath();
      ctx.moveTo(x - 5, h - 6); ctx.lineTo(x + 5, h - 6); ctx.lineTo(x, h); ctx.closePath();
      ctx.fill();
    }
  };

  Gantt.prototype.drawBackground = function (ctx, sl, st, w, h, first, last) {
    const unit = LEVELS[this.level].unit;
    const top = unit === "month" ? "year" : "month";
    const from = this.timeAt(sl), to = this.timeAt(sl + w);
    if (this.hover >= first && this.hover <= last) {
      ctx.fillStyle = COLORS.band;
      ctx.fillRect(sl, this.hover * ROW, w, ROW);
    }
    ctx.lineWidth = 1;
    ctx.strokeStyle = COLORS.line;
    ctx.beginPath();
    for (let t = floorUnit(unit, from); t < to; t = nextUnit(unit, t)) {
      const x = Math.round(this.x(t)) + 0.5;
      ctx.moveTo(x, st); ctx.lineTo(x, st + h);
    }
    ctx.stroke();
    ctx.strokeStyle = COLORS.lineStrong;
    ctx.beginPath();
    for (let t = floorUnit(top, from); t < to; t = nextUnit(top, t)) {
      const x = Math.round(this.x(t)) + 0.5;
      ctx.moveTo(x, st); ctx.lineTo(x, st + h);
    }
    ctx.stroke();
    if (this.today >= from && this.today <= to) {
      const x = Math.round(this.x(this.today)) + 0.5;
      ctx.strokeStyle = COLORS.today;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(x, st); ctx.lineTo(x, st + h);
      ctx.stroke();
    }
  };

  Gantt.prototype.drawLinks = function (ctx, first, last) {
    const f = this.f, links = this.links, rows = this.rows;
    ctx.lineWidth = 1;
    for (let k = 0; k < links.length; k++) {
      const a = links[k][0], b = links[k][1], type = links[k][2];
      if (Math.min(a, b) > last || Math.max(a, b) < first) continue;
      const pa = this.bar(a), pb = this.bar(b);
      if (!pa || !pb) continue;
      // FS 0, SS 1, FF 2, SF 3: which end of each bar the link joins.
      const fromFinish = type === 0 || type === 2;
      const toStart = type === 0 || type === 1;
      const xs = fromFinish ? pa.x1 : pa.x0, ys = pa.y + ROW / 2;
      const xe = toStart ? pb.x0 : pb.x1, ye = pb.y + ROW / 2;
      const out = fromFinish ? 1 : -1, into = toStart ? 1 : -1;
      const x1 = xs + out * 6, x3 = xe - into * 8;
      const critical = (rows[a][f.flags] & CRITICAL) && (rows[b][f.flags] & CRITICAL);
      ctx.strokeStyle = critical ? COLORS.linkCritical : COLORS.link;
      ctx.fillStyle = ctx.strokeStyle;
      ctx.beginPath();
      ctx.moveTo(xs, ys);
      if ((into > 0 && x1 <= x3) || (into < 0 && x1 >= x3)) {
        ctx.lineTo(x1, ys); ctx.lineTo(x1, ye); ctx.lineTo(xe, ye);
      } else {
        const ym = b > a ? pb.y : pb.y + ROW;
        ctx.lineTo(x1, ys); ctx.lineTo(x1, ym); ctx.lineTo(x3, ym); ctx.lineTo(x3, ye); ctx.lineTo(xe, ye);
      }
      ctx.stroke();
      ctx.beginPath();
      ctx.moveTo(xe, ye);
      ctx.lineTo(xe - into * 5, ye - 3.5);
      ctx.lineTo(xe - into * 5, ye + 3.5);
      ctx.closePath();
      ctx.fill();
    }
  };

  Gantt.prototype.drawRow = function (ctx, i, sl, w) {
    const f = this.f, r = this.rows[i];
    const flags = r[f.flags];
    const withBaseline = this.baselineSelect.value !== "";
    const y = i * ROW;
    if (withBaseline && r[f.bl_start] !== null) {
      const b0 = this.x(floorDay(r[f.bl_start]));
      const b1 = (flags & MILESTONE) ? b0 : this.x(floorDay(r[f.bl_finish]) + DAY);
      ctx.fillStyle = COLORS.baseline;
      if (flags & MILESTONE) {
        ctx.beginPath();
        ctx.moveTo(b0, y + 19); ctx.lineTo(b0 + 4, y + 23); ctx.lineTo(b0, y + 27); ctx.lineTo(b0 - 4, y + 23);
        ctx.fill();
      } else {
        ctx.fillRect(b0, y + 21, Math.max(b1 - b0, 2), 4);
      }
    }
    const bar = this.bar(i);
    if (!bar) return;
    const top = withBaseline ? y + 4 : y + 7;
    const height = withBaseline ? 14 : 14;
    const critical = (flags & CRITICAL) !== 0;
    const dragged = this.drag && this.drag.moved && this.drag.row === i;
    ctx.globalAlpha = dragged ? 0.35 : 1;
    let right = bar.x1;
    if (bar.milestone) {
      const cy = top + height / 2;
      ctx.fillStyle = critical ? COLORS.critical : COLORS.milestone;
      ctx.beginPath();
      ctx.moveTo(bar.x0, cy - 7); ctx.lineTo(bar.x0 + 7, cy); ctx.lineTo(bar.x0, cy + 7); ctx.lineTo(bar.x0 - 7, cy);
      ctx.closePath();
      ctx.fill();
      right = bar.x0 + 7;
    } else if (flags & SUMMARY) {
      ctx.fillStyle = critical ? COLORS.criticalDone : COLORS.summary;
      const sy = top + 2;
      ctx.fillRect(bar.x0, sy, bar.x1 - bar.x0, 6);
      ctx.beginPath();
      ctx.moveTo(bar.x0, sy); ctx.lineTo(bar.x0 + 6, sy); ctx.lineTo(bar.x0, sy + 11); ctx.closePath();
      ctx.moveTo(bar.x1, sy); ctx.lineTo(bar.x1 - 6, sy); ctx.lineTo(bar.x1, sy + 11); ctx.closePath();
      ctx.fill();
    } else {
      const width = bar.x1 - bar.x0;
      ctx.fillStyle = critical ? COLORS.critical : COLORS.task;
      ctx.fillRect(bar.x0, top, width, height);
      const done = Math.round((width * (r[f.percent] || 0)) / 100);
      if (done > 0) {
        ctx.fillStyle = critical ? COLORS.criticalDone : COLORS.taskDone;
        ctx.fillRect(bar.x0, top + height - 5, done, 5);
      }
    }
    ctx.globalAlpha = 1;
    if (right + 4 < sl + w) {
      ctx.fillStyle = COLORS.text;
      ctx.fillText(r[f.name], Math.max(right + 6, sl + 4 < bar.x0 ? right + 6 : sl + 4), top + height / 2 + 0.5);
    }
  };

  Gantt.prototype.drawGhost = function (ctx) {
    const d = this.drag;
    const bar = this.bar(d.row, d.target);
    const top = bar.y + (this.baselineSelect.value !== "" ? 4 : 7);
    ctx.strokeStyle = COLORS.task;
    ctx.fillStyle = COLORS.ghost;
    ctx.lineWidth = 1.5;
    if (bar.milestone) {
      ctx.beginPath();
      ctx.moveTo(bar.x0, top); ctx.lineTo(bar.x0 + 7, top + 7); ctx.lineTo(bar.x0, top + 14); ctx.lineTo(bar.x0 - 7, top + 7);
      ctx.closePath();
      ctx.fill(); ctx.stroke();
    } else {
      ctx.fillRect(bar.x0, top, bar.x1 - bar.x0, 14);
      ctx.strokeRect(bar.x0 + 0.5, top + 0.5, bar.x1 - bar.x0 - 1, 13);
    }
    const label = "start ≥ " + fmtLong.format(d.target);
    // The date goes beside the ghost, on its own row, so it hides no other bar.
    const lw = ctx.measureText(label).width + 10;
    const lx = (bar.milestone ? bar.x0 + 7 : bar.x1) + 8, ly = bar.y + ROW / 2;
    ctx.fillStyle = "#1d2733";
    ctx.fillRect(lx, ly - 9, lw, 18);
    ctx.fillStyle = "#fff";
    ctx.fillText(label, lx + 5, ly + 0.5);
  };

  Gantt.prototype.drawGrid = function (first, last) {
    const f = this.f;
    const self = this;
    this.rowEls.forEach(function (el, i) {
      if (i < first || i > last) { el.remove(); self.rowEls.delete(i); }
    });
    for (let i = first; i <= last; i++) {
      let el = this.rowEls.get(i);
      if (!el) {
        const r = this.rows[i];
        el = document.createElement("div");
        el.className = "gantt-row" + (r[f.flags] & SUMMARY ? " is-summary" : "") + (r[f.flags] & CRITICAL ? " is-critical" : "");
        el.style.top = i * ROW + "px";
        el.dataset.id = r[f.id];
        const cells = [
          ["c-wbs", r[f.wbs]],
          ["c-name", r[f.name]],
          ["c-date", r[f.start] === null ? "" : fmtDate.format(r[f.start])],
          ["c-date", r[f.finish] === null ? "" : fmtDate.format(r[f.finish])],
        ];
        for (const [cls, text] of cells) {
          const span = document.createElement("span");
          span.className = cls;
          span.textContent = text;
          el.appendChild(span);
        }
        el.children[1].style.paddingLeft = 0.4 + r[f.level] * 0.9 + "rem";
        el.children[1].title = r[f.name];
        this.grid.appendChild(el);
        this.rowEls.set(i, el);
      }
      el.classList.toggle("is-hover", i === this.hover);
    }
  };

  // Pointer handling: hover shows the row and a tooltip, a drag on a movable bar reschedules it.
  Gantt.prototype.hit = function (ev) {
    const rect = this.scroller.getBoundingClientRect();
    const cx = ev.clientX - rect.left + this.scroller.scrollLeft;
    const cy = ev.clientY - rect.top + this.scroller.scrollTop;
    const i = Math.floor(cy / ROW);
    if (i < 0 || i >= this.rows.length) return { row: -1, onBar: false, cx: cx };
    const bar = this.bar(i);
    const pad = bar && bar.milestone ? 8 : 3;
    const onBar = !!bar && cx >= bar.x0 - pad && cx <= bar.x1 + pad;
    return { row: i, onBar: onBar, cx: cx };
  };

  Gantt.prototype.movable = function (i) {
    const f = this.f, r = this.rows[i];
    return this.canDrag && !(r[f.flags] & SUMMARY) && r[f.status] === NOT_STARTED && r[f.start] !== null;
  };

  Gantt.prototype.describe = function (i) {
    const f = this.f, r = this.rows[i];
    if (r[f.start] === null) return r[f.wbs] + " " + r[f.name] + " · not scheduled";
    const parts = [r[f.wbs] + " " + r[f.name], fmtLong.format(r[f.start]) + (r[f.flags] & MILESTONE ? "" : " – " + fmtLong.format(r[f.finish]))];
    if (r[f.float] !== null) parts.push("float " + days(r[f.float]) + " d" + (r[f.flags] & CRITICAL ? " (critical)" : ""));
    parts.push(r[f.percent] + "% done");
    if (r[f.bl_start] !== null) parts.push("baseline " + fmtDate.format(r[f.bl_start]) + " – " + fmtDate.format(r[f.bl_finish]));
    return parts.join(" · ");
  };

  Gantt.prototype.pointerDown = function (ev) {
    if (ev.button !== 0 || this.busy) return;
    const hit = this.hit(ev);
    if (hit.row < 0 || !hit.onBar || !this.movable(hit.row)) return;
    ev.preventDefault();
    this.scroller.setPointerCapture(ev.pointerId);
    const start = this.rows[hit.row][this.f.start];
    this.drag = { row: hit.row, x: hit.cx, origin: floorDay(start), target: floorDay(start), moved: false };
  };

  Gantt.prototype.pointerMove = function (ev) {
    const d = this.drag;
    const hit = this.hit(ev);
    if (d) {
      if (!d.moved && Math.abs(hit.cx - d.x) < 4) return;
      d.moved = true;
      this.scroller.classList.add("is-dragging");
      d.target = snap(LEVELS[this.level].unit, d.origin + (hit.cx - d.x) / this.px());
      this.schedule();
      return;
    }
    if (hit.row !== this.hover) {
      this.hover = hit.row;
      this.schedule();
    }
    this.scroller.classList.toggle("can-grab", hit.row >= 0 && hit.onBar && this.movable(hit.row));
    this.scroller.title = hit.row >= 0 && hit.onBar ? this.describe(hit.row) : "";
  };

  Gantt.prototype.cancelDrag = function () {
    this.drag = null;
    this.scroller.classList.remove("is-dragging");
    this.schedule();
  };

  Gantt.prototype.pointerUp = function (ev) {
    const d = this.drag;
    if (!d) return;
    this.scroller.releasePointerCapture(ev.pointerId);
    if (!d.moved || d.target === d.origin) { this.cancelDrag(); return; }
    this.move(d.row, d.target);
  };

  Gantt.prototype.move = function (i, target) {
    const self = this, f = this.f, r = this.rows[i];
    const id = r[f.id], label = r[f.wbs] + " " + r[f.name];
    const body = new FormData();
    body.append("id", id);
    body.append("version", r[f.version]);
    body.append("start", isoDate(target));
    if (this.baselineSelect.value) body.append("baseline", this.baselineSelect.value);
    this.busy = true;
    this.setStatus("Moving " + label + "…");
    return fetch(this.root.dataset.move, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": this.root.dataset.csrf, Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          return { ok: response.ok, status: response.status, data: data };
        });
      })
      .then(function (result) {
        self.drag = null;
        self.scroller.classList.remove("is-dragging");
        if (!result.ok) {
          const messages = result.data.messages || ["The move was refused (HTTP " + result.status + ")."];
          self.setStatus(messages.join(" "), "error");
          self.draw();
          return;
        }
        self.setData(result.data);
        const now = self.rows[self.byId.get(id)];
        let text = label + " starts no earlier than " + fmtLong.format(target) + "; scheduled " + fmtLong.format(now[f.start]) + ".";
        if (floorDay(now[f.start]) > target) text += " Its predecessors or the calendar keep it later.";
        self.setStatus(text, "done");
      })
      .catch(function () {
        self.drag = null;
        self.scroller.classList.remove("is-dragging");
        self.setStatus("The move could not be sent; check the connection and try again.", "error");
        self.draw();
      })
      .finally(function () { self.busy = false; });
  };

  // Where row `id`'s bar is on screen (scrolling it into view first); used by the browser tests.
  Gantt.prototype.barBox = function (id) {
    const i = this.byId.get(id);
    if (i === undefined) return null;
    const bar = this.bar(i);
    if (!bar) return null;
    const s = this.scroller;
    if (bar.y < s.scrollTop || bar.y + ROW > s.scrollTop + s.clientHeight) s.scrollTop = bar.y - s.clientHeight / 2;
    if (bar.x0 < s.scrollLeft || bar.x1 > s.scrollLeft + s.clientWidth) s.scrollLeft = bar.x0 - 80;
    this.draw();
    const rect = s.getBoundingClientRect();
    const top = bar.y + (this.baselineSelect.value !== "" ? 4 : 7);
    return { x: rect.left + bar.x0 - s.scrollLeft, y: rect.top + top - s.scrollTop, width: bar.x1 - bar.x0, height: 14 };
  };

  document.addEventListener("DOMContentLoaded", function () {
    const root = document.getElementById("gantt");
    if (!root) return;
    const chart = new Gantt(root);
    root.gantt = chart;
    chart.load();
  });
})();
