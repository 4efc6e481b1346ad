// Draws a seat map on a <canvas>: sections one after another (in as many columns as
// make seats largest), zoom and pan, redrawn only when something changed and at most
// once a frame. Zoomed out, seats are drawn as runs of one colour per row (50,000
// seats are a few thousand rectangles); zoomed in, each state has its own shape and
// glyph so free, held, sold, held back, picked and yours differ by more than colour.
// Used by the fan page's map and the admin console's (anything with `layout` and
// `states`, see seatlayout.js); the owner hands it the marks (picked, mine) and the
// focused seat, and the canvas draws them.
import { arrange, PITCH } from './mapplaces.js';
import { FREE, HELD, HELD_BACK, MARK_MINE, MARK_PICKED, SOLD } from './seatlayout.js';

const MIN_LABEL_PX = 20;

/** Colours from the palette in base.css (read once; the palette lives there only). */
function palette(el) {
  const css = getComputedStyle(el);
  const v = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  return {
    free: v('--seat-free', '#15803d'),
    held: v('--seat-held', '#a16207'),
    sold: v('--seat-sold', '#6b7280'),
    back: v('--seat-back', '#7e22ce'),
    mine: v('--seat-mine', '#1d4ed8'),
    text: v('--text', '#111827'),
    bg: v('--surface', '#f4f5f7'),
    focus: v('--focus', '#c2410c'),
  };
}

export class MapCanvas {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{layout: import('./seatlayout.js').Layout|null, states: Uint8Array|null}} feed
   * @param {{onFirstDraw?: (ms: number) => void}} [options]
   */
  constructor(canvas, feed, { onFirstDraw } = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.feed = feed;
    this.onFirstDraw = onFirstDraw;
    /** @type {Uint8Array|null} a mark per seat (MARK_PICKED, MARK_MINE), or none */
    this.marks = null;
    /** The seat with the keyboard focus ring, or -1. */
    this.focus = -1;
    this.colors = palette(canvas);
    this.cssW = 0;
    this.cssH = 0;
    this.dpr = 1;
    this.places = null; // per section {x, y, labelH}
    this.layoutFor = null;
    this.s = 1;
    this.tx = 0;
    this.ty = 0;
    this.fitScale = 1;
    this.frame = 0;
    this.drawnOnce = false;
  }

  /** Seats to draw as picked or mine (a mark per seat), or null. */
  setMarks(marks) {
    this.marks = marks;
    this.schedule();
  }

  /** The seat to draw the focus ring on, or -1 for none. */
  setFocus(index) {
    if (index === this.focus) return;
    this.focus = index;
    this.schedule();
  }

  /** Canvas size changed (CSS px). */
  resize(width, height) {
    const dpr = window.devicePixelRatio || 1;
    if (width === this.cssW && height === this.cssH && dpr === this.dpr) return;
    const relayout = Math.abs(width - this.cssW) > 1 || Math.abs(height - this.cssH) > 1;
    this.cssW = width;
    this.cssH = height;
    this.dpr = dpr;
    this.canvas.width = Math.max(1, Math.round(width * dpr));
    this.canvas.height = Math.max(1, Math.round(height * dpr));
    if (relayout) this.places = null;
    this.ensureLayout();
    this.schedule();
  }

  /** Places the sections for the current canvas size and fits the view. */
  ensureLayout() {
    const layout = this.feed.layout;
    if (!layout || !this.cssW || !this.cssH) return false;
    if (this.places && this.layoutFor === layout) return true;
    // Label height in world units depends on the scale it is shown at: two passes.
    let best = arrange(layout.sections, this.cssW, this.cssH, 20);
    best = arrange(layout.sections, this.cssW, this.cssH, Math.max(20, MIN_LABEL_PX / best.scale));
    this.places = best.places;
    this.world = { w: best.w, h: best.h };
    this.layoutFor = layout;
    this.fit();
    return true;
  }

  fit() {
    if (!this.world) return;
    // Small maps are not blown up past 32 px a seat.
    const s = Math.min(3.2, Math.min(this.cssW / this.world.w, this.cssH / this.world.h) * 0.97);
    this.fitScale = s;
    this.s = s;
    this.tx = (this.cssW - this.world.w * s) / 2;
    this.ty = (this.cssH - this.world.h * s) / 2;
    this.schedule();
  }

  /** Zooms by `factor` around the canvas point (cx, cy) (default: the centre). */
  zoom(factor, cx = this.cssW / 2, cy = this.cssH / 2) {
    const min = this.fitScale * 0.5;
    const max = 48 / PITCH; // a seat at most 48 px
    const s = Math.min(max, Math.max(min, this.s * factor));
    this.tx = cx - ((cx - this.tx) * s) / this.s;
    this.ty = cy - ((cy - this.ty) * s) / this.s;
    this.s = s;
    this.schedule();
  }

  pan(dx, dy) {
    this.tx += dx;
    this.ty += dy;
    this.schedule();
  }

  /** World box of seat `index`: {x, y} of its cell's top-left. */
  cell(index) {
    const layout = this.feed.layout;
    const { sec, row, seat } = layout.position(index);
    const p = this.places[sec.index];
    return { x: p.x + (seat - 1) * PITCH, y: p.y + p.labelH + (row - 1) * PITCH };
  }

  /** Brings seat `index` into view, zooming in enough that a seat can be told apart. */
  reveal(index) {
    if (!this.ensureLayout() || index < 0) return;
    const { x, y } = this.cell(index);
    const cx = x + PITCH / 2;
    const cy = y + PITCH / 2;
    if (this.s * PITCH < 14) {
      this.s = Math.min(48 / PITCH, Math.max(this.s, 20 / PITCH));
      this.tx = this.cssW / 2 - cx * this.s;
      this.ty = this.cssH / 2 - cy * this.s;
    } else {
      // Pan just enough that the seat and its focus ring are inside the canvas.
      const sx = cx * this.s + this.tx;
      const sy = cy * this.s + this.ty;
      const m = (PITCH * this.s) / 2 + 8;
      if (sx < m) this.tx += m - sx;
      else if (sx > this.cssW - m) this.tx -= sx - (this.cssW - m);
      if (sy < m) this.ty += m - sy;
      else if (sy > this.cssH - m) this.ty -= sy - (this.cssH - m);
    }
    this.schedule();
  }

  /** Canvas point (CSS px) of the centre of seat `index`. */
  point(index) {
    if (!this.ensureLayout()) return null;
    const { x, y } = this.cell(index);
    return { x: (x + PITCH / 2) * this.s + this.tx, y: (y + PITCH / 2) * this.s + this.ty };
  }

  /** The seat under canvas point (px, py), or -1. */
  hit(px, py) {
    if (!this.places) return -1;
    const wx = (px - this.tx) / this.s;
    const wy = (py - this.ty) / this.s;
    const layout = this.feed.layout;
    for (const sec of layout.sections) {
      const p = this.places[sec.index];
      const col = Math.floor((wx - p.x) / PITCH);
      const row = Math.floor((wy - p.y - p.labelH) / PITCH);
      if (col >= 0 && col < sec.seats_per_row && row >= 0 && row < sec.rows) return layout.indexAt(sec, row + 1, col + 1);
    }
    return -1;
  }

  /** Asks for a redraw on the next animation frame (many changes, one draw). */
  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  stop() {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
  }

  draw() {
    const { ctx, feed, colors } = this;
    if (!this.cssW) return;
    const t0 = performance.now();
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.fillStyle = colors.bg;
    ctx.fillRect(0, 0, this.cssW, this.cssH);
    if (!feed.states || !this.ensureLayout()) return;
    const marks = this.marks && this.marks.length === feed.layout.total ? this.marks : null;
    const s = this.s;
    const p = PITCH * s;
    const fontPx = Math.round(Math.min(18, Math.max(12, this.places[0].labelH * s * 0.6)));
    ctx.font = `600 ${fontPx}px system-ui, sans-serif`;
    ctx.textBaseline = 'bottom';
    const labels = [];
    for (const sec of feed.layout.sections) {
      const place = this.places[sec.index];
      const sx = place.x * s + this.tx;
      const sy = (place.y + place.labelH) * s + this.ty;
      const w = sec.seats_per_row * p;
      const h = sec.rows * p;
      if (sx > this.cssW || sy - fontPx - 4 > this.cssH || sx + w < 0 || sy + h < 0) continue;
      // The name sits above the section, and sticks to the top while the section
      // fills the view, so a zoomed-in fan still knows where the seats are.
      const sticky = sy - 3 < fontPx + 4 && sy + h > fontPx + 8;
      labels.push([sec.name, Math.max(sx, 4), sticky ? fontPx + 6 : sy - 3, sticky]);
      const c0 = Math.max(0, Math.floor(-sx / p));
      const c1 = Math.min(sec.seats_per_row, Math.ceil((this.cssW - sx) / p));
      const r0 = Math.max(0, Math.floor(-sy / p));
      const r1 = Math.min(sec.rows, Math.ceil((this.cssH - sy) / p));
      if (p < 6) this.drawRuns(sec, sx, sy, p, c0, c1, r0, r1, marks);
      else this.drawShapes(sec, sx, sy, p, c0, c1, r0, r1, marks);
    }
    for (const [name, x, y, sticky] of labels) {
      if (sticky) {
        const tw = ctx.measureText(name).width;
        ctx.fillStyle = colors.bg;
        ctx.fillRect(x - 4, 2, tw + 8, fontPx + 6);
        ctx.strokeStyle = colors.text;
        ctx.lineWidth = 1;
        ctx.strokeRect(x - 3.5, 2.5, tw + 7, fontPx + 5);
      }
      ctx.fillStyle = colors.text;
      ctx.fillText(name, x, y);
    }
    this.drawFocus();
    if (!this.drawnOnce) {
      this.drawnOnce = true;
      this.onFirstDraw?.(performance.now() - t0);
    }
  }

  /** Zoomed out: one rectangle per run of equal seats in a row. */
  drawRuns(sec, sx, sy, p, c0, c1, r0, r1, marks) {
    const { ctx, colors } = this;
    const states = this.feed.states;
    const fills = [colors.free, colors.held, colors.sold, colors.back, colors.mine];
    const MARKED = fills.length - 1;
    const gap = p > 3 ? 0.2 * p : 0;
    const mineSeats = [];
    for (let r = r0; r < r1; r++) {
      const base = sec.offset + r * sec.seats_per_row;
      const y = sy + r * p;
      let runStart = c0;
      let runKind = -1;
      for (let c = c0; c <= c1; c++) {
        let kind = -1;
        if (c < c1) {
          const m = marks ? marks[base + c] : 0;
          kind = m ? MARKED : states[base + c];
          if (m) mineSeats.push(base + c);
        }
        if (kind !== runKind) {
          if (runKind >= 0) {
            ctx.fillStyle = fills[runKind];
            ctx.fillRect(sx + runStart * p, y, (c - runStart) * p - gap, p - gap);
          }
          runStart = c;
          runKind = kind;
        }
      }
    }
    // The fan's own seats stay visible even when a seat is under a pixel.
    if (p < 4) {
      ctx.fillStyle = colors.mine;
      for (const i of mineSeats) {
        const { x, y } = this.cell(i);
        const cx = (x + PITCH / 2) * this.s + this.tx;
        const cy = (y + PITCH / 2) * this.s + this.ty;
        ctx.fillRect(cx - 3, cy - 3, 6, 6);
      }
    }
  }

  /** Zoomed in: a shape and a glyph per state, batched into one path per kind. */
  drawShapes(sec, sx, sy, p, c0, c1, r0, r1, marks) {
    const { ctx, colors } = this;
    const states = this.feed.states;
    const paths = { free: new Path2D(), held: new Path2D(), sold: new Path2D(), back: new Path2D(), picked: new Path2D(), mine: new Path2D() };
    const glyphs = new Path2D();
    const half = p / 2;
    const r = p * 0.4;
    const sq = p * 0.78;
    for (let row = r0; row < r1; row++) {
      const base = sec.offset + row * sec.seats_per_row;
      const cy = sy + row * p + half;
      for (let c = c0; c < c1; c++) {
        const i = base + c;
        const cx = sx + c * p + half;
        const m = marks ? marks[i] : 0;
        if (m === MARK_MINE) {
          const d = p * 0.46;
          paths.mine.moveTo(cx, cy - d);
          paths.mine.lineTo(cx + d, cy);
          paths.mine.lineTo(cx, cy + d);
          paths.mine.lineTo(cx - d, cy);
          paths.mine.closePath();
          check(glyphs, cx, cy, r * 0.55);
        } else if (m === MARK_PICKED) {
          paths.picked.moveTo(cx + r * 1.05, cy);
          paths.picked.arc(cx, cy, r * 1.05, 0, Math.PI * 2);
          check(glyphs, cx, cy, r * 0.6);
        } else if (states[i] === FREE) {
          paths.free.moveTo(cx + r, cy);
          paths.free.arc(cx, cy, r, 0, Math.PI * 2);
        } else if (states[i] === HELD) {
          paths.held.rect(cx - sq / 2, cy - sq / 2, sq, sq);
          glyphs.moveTo(cx - sq * 0.3, cy + sq * 0.3);
          glyphs.lineTo(cx + sq * 0.3, cy - sq * 0.3);
        } else if (states[i] === SOLD) {
          paths.sold.rect(cx - sq / 2, cy - sq / 2, sq, sq);
          const k = sq * 0.28;
          glyphs.moveTo(cx - k, cy - k);
          glyphs.lineTo(cx + k, cy + k);
          glyphs.moveTo(cx + k, cy - k);
          glyphs.lineTo(cx - k, cy + k);
        } else if (states[i] === HELD_BACK) {
          // A square with a bar: kept off sale.
          paths.back.rect(cx - sq / 2, cy - sq / 2, sq, sq);
          glyphs.moveTo(cx - sq * 0.3, cy);
          glyphs.lineTo(cx + sq * 0.3, cy);
        }
      }
    }
    ctx.fillStyle = colors.free;
    ctx.fill(paths.free);
    ctx.fillStyle = colors.held;
    ctx.fill(paths.held);
    ctx.fillStyle = colors.sold;
    ctx.fill(paths.sold);
    ctx.fillStyle = colors.back;
    ctx.fill(paths.back);
    ctx.fillStyle = colors.mine;
    ctx.fill(paths.picked);
    ctx.fill(paths.mine);
    if (p >= 9) {
      ctx.strokeStyle = '#ffffff';
      ctx.lineWidth = Math.max(1, p * 0.1);
      ctx.lineCap = 'round';
      ctx.stroke(glyphs);
    }
  }

  drawFocus() {
    const index = this.focus;
    if (index < 0 || index >= this.feed.layout.total) return;
    const { ctx } = this;
    const { x, y } = this.cell(index);
    const size = Math.max(10, PITCH * this.s + 4);
    const cx = (x + PITCH / 2) * this.s + this.tx;
    const cy = (y + PITCH / 2) * this.s + this.ty;
    ctx.lineWidth = 5;
    ctx.strokeStyle = '#ffffff';
    ctx.strokeRect(cx - size / 2, cy - size / 2, size, size);
    ctx.lineWidth = 3;
    ctx.strokeStyle = this.colors.focus;
    ctx.strokeRect(cx - size / 2, cy - size / 2, size, size);
  }
}

function check(path, cx, cy, k) {
  path.moveTo(cx - k, cy);
  path.lineTo(cx - k * 0.3, cy + k * 0.7);
  path.lineTo(cx + k, cy - k * 0.6);
}
