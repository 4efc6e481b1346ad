// The seat map: a canvas for the eyes and, for keyboards and screen readers, an ARIA
// grid on the same element using the virtualised-grid pattern — only the focused
// row's cells (a window around the focused seat) exist in the DOM, visually hidden,
// and aria-activedescendant points at the focused one.
import { html } from 'htm/preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { FREE, HELD, SOLD } from './seatfeed.js';
import { MapCanvas, MARK_MINE, MARK_PICKED } from '../shared/mapcanvas.js';
import { metrics } from './metrics.js';

const WINDOW = 20; // cells rendered on each side of the focused seat

/** What a seat is, for its accessible name and the test hook. */
export function seatStateName(feed, marks, index) {
  if (marks && marks[index] === MARK_MINE) return 'yours';
  const st = feed.stateOf(index);
  return st === HELD ? 'held' : st === SOLD ? 'sold' : 'free';
}


/**
 * @param {{feed: import('./seatfeed.js').SeatFeed, i18n: any, picked: string[], mine: string[],
 *          onToggle: (id: string) => void, priceOf?: (id: string) => string}} props
 */
export function SeatMap({ feed, i18n, picked, mine, onToggle, priceOf }) {
  const gridRef = useRef(null);
  const canvasRef = useRef(null);
  const mapRef = useRef(null);
  const marksRef = useRef(null);
  const focusRef = useRef(-1);
  const hasFocusRef = useRef(false);
  const [focus, setFocusState] = useState(-1);
  const [, setVersion] = useState(0);
  const [ready, setReady] = useState(!!feed.layout);
  const props = useRef({});
  props.current = { picked, mine, onToggle };

  const setFocus = (index) => {
    focusRef.current = index;
    setFocusState(index);
    mapRef.current?.schedule();
  };

  const rebuildMarks = () => {
    const layout = feed.layout;
    if (!layout) return;
    let marks = marksRef.current;
    if (!marks || marks.length !== layout.total) marks = marksRef.current = new Uint8Array(layout.total);
    else marks.fill(0);
    for (const id of props.current.picked) {
      const i = layout.indexOf(id);
      if (i >= 0) marks[i] = MARK_PICKED;
    }
    for (const id of props.current.mine) {
      const i = layout.indexOf(id);
      if (i >= 0) marks[i] = MARK_MINE;
    }
  };

  // The canvas, its size, and the live feed.
  useLayoutEffect(() => {
    const canvas = canvasRef.current;
    const map = new MapCanvas(canvas, feed, {
      marks: () => marksRef.current,
      focus: () => focusRef.current,
      focused: () => hasFocusRef.current,
      onFirstDraw: (ms) => {
        metrics().seatMapRenderMs = Math.round(ms * 10) / 10;
      },
    });
    mapRef.current = map;
    const measure = () => {
      const r = canvas.getBoundingClientRect();
      map.resize(r.width, r.height);
    };
    const ro = new ResizeObserver(measure);
    ro.observe(canvas);
    measure();
    const initFocus = () => {
      if (focusRef.current >= 0 && focusRef.current < feed.layout.total) return;
      const states = feed.states;
      let i = states ? states.indexOf(FREE) : 0;
      setFocus(i < 0 ? 0 : i);
    };
    if (feed.layout) {
      rebuildMarks();
      initFocus();
    }
    const unsubscribe = feed.subscribe((changed) => {
      if (!changed) {
        rebuildMarks();
        initFocus();
        setReady(true);
      }
      map.schedule();
      // The focused row's names may have changed.
      setVersion((v) => v + 1);
    });
    const wheel = (e) => {
      e.preventDefault();
      const r = canvas.getBoundingClientRect();
      map.zoom(Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.002)), e.clientX - r.left, e.clientY - r.top);
    };
    canvas.addEventListener('wheel', wheel, { passive: false });
    // Hooks for tests and benchmarks: a seat's state, and where it is on screen.
    window.__floodgateSeatState = (id) => {
      const i = feed.layout ? feed.layout.indexOf(id) : -1;
      return i < 0 ? undefined : seatStateName(feed, marksRef.current, i);
    };
    window.__floodgateSeatPoint = (id) => {
      const i = feed.layout ? feed.layout.indexOf(id) : -1;
      const p = i < 0 ? null : map.point(i);
      if (!p) return null;
      const r = canvas.getBoundingClientRect();
      return { x: r.left + p.x, y: r.top + p.y };
    };
    return () => {
      unsubscribe();
      ro.disconnect();
      canvas.removeEventListener('wheel', wheel);
      map.stop();
    };
  }, [feed]);

  // Marks follow the props in the same render, so the cells' names are never stale.
  const marksKey = useRef('');
  const key = `${picked.join()}|${mine.join()}|${feed.layout ? feed.layout.total : 0}`;
  if (key !== marksKey.current) {
    marksKey.current = key;
    rebuildMarks();
    mapRef.current?.schedule();
  }

  const layout = feed.layout;

  const move = (index) => {
    if (!layout) return;
    const i = Math.max(0, Math.min(layout.total - 1, index));
    setFocus(i);
    mapRef.current?.reveal(i);
  };

  const moveRows = (delta) => {
    const { sec, row, seat } = layout.position(focusRef.current);
    const g = Math.max(0, Math.min(layout.totalRows - 1, sec.rowOffset + row - 1 + delta));
    let target = sec;
    for (const s of layout.sections) if (s.rowOffset <= g) target = s;
    const r = g - target.rowOffset;
    move(target.offset + r * target.seats_per_row + Math.min(seat, target.seats_per_row) - 1);
  };

  const toggle = (index) => {
    if (index < 0) return;
    props.current.onToggle(layout.idOf(index));
  };

  const onKeyDown = (e) => {
    if (!layout) return;
    let i = focusRef.current;
    if (i < 0) i = 0;
    const { sec, row } = layout.position(i);
    const rowStart = sec.offset + (row - 1) * sec.seats_per_row;
    switch (e.key) {
      case 'ArrowRight':
        move(i + 1);
        break;
      case 'ArrowLeft':
        move(i - 1);
        break;
      case 'ArrowDown':
        moveRows(1);
        break;
      case 'ArrowUp':
        moveRows(-1);
        break;
      case 'Home':
        move(e.ctrlKey ? 0 : rowStart);
        break;
      case 'End':
        move(e.ctrlKey ? layout.total - 1 : rowStart + sec.seats_per_row - 1);
        break;
      case 'PageDown':
        moveRows(10);
        break;
      case 'PageUp':
        moveRows(-10);
        break;
      case 'Enter':
      case ' ':
        toggle(i);
        mapRef.current?.reveal(i);
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  // Pointer: drag pans, two fingers pinch, a tap picks a seat.
  const pointers = useRef(new Map());
  const gesture = useRef({ moved: false });
  const local = (e) => {
    const r = canvasRef.current.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };
  const onPointerDown = (e) => {
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    canvasRef.current.setPointerCapture?.(e.pointerId);
    const pt = local(e);
    pointers.current.set(e.pointerId, pt);
    gesture.current = { moved: pointers.current.size > 1, start: pt };
  };
  const onPointerMove = (e) => {
    const prev = pointers.current.get(e.pointerId);
    if (!prev) return;
    const pt = local(e);
    const map = mapRef.current;
    if (pointers.current.size === 1) {
      const g = gesture.current;
      if (!g.moved && Math.hypot(pt.x - g.start.x, pt.y - g.start.y) < 6) return;
      g.moved = true;
      map.pan(pt.x - prev.x, pt.y - prev.y);
    } else if (pointers.current.size === 2) {
      const [a, b] = [...pointers.current.entries()].map(([id, p]) => (id === e.pointerId ? pt : p));
      const [pa, pb] = [...pointers.current.values()];
      const before = Math.hypot(pa.x - pb.x, pa.y - pb.y) || 1;
      const after = Math.hypot(a.x - b.x, a.y - b.y) || 1;
      const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
      const pmid = { x: (pa.x + pb.x) / 2, y: (pa.y + pb.y) / 2 };
      map.pan(mid.x - pmid.x, mid.y - pmid.y);
      map.zoom(after / before, mid.x, mid.y);
    }
    pointers.current.set(e.pointerId, pt);
  };
  const onPointerUp = (e) => {
    if (!pointers.current.has(e.pointerId)) return;
    const single = pointers.current.size === 1;
    pointers.current.delete(e.pointerId);
    if (e.type === 'pointerup' && single && !gesture.current.moved) {
      const pt = local(e);
      const i = mapRef.current.hit(pt.x, pt.y);
      if (i >= 0) {
        setFocus(i);
        toggle(i);
      }
    }
  };

  const focusIndex = layout && focus >= 0 && focus < layout.total ? focus : -1;
  let row = null;
  let focusText = '';
  if (focusIndex >= 0) {
    const fid = layout.idOf(focusIndex);
    const seatName = i18n.t('seat.name', { id: fid, state: i18n.t(`seat.${seatStateName(feed, marksRef.current, focusIndex)}`) });
    focusText = i18n.t('map.focused', { seat: seatName, price: priceOf ? priceOf(fid) : '' });
    const { sec, row: r, seat } = layout.position(focusIndex);
    const start = Math.max(1, seat - WINDOW);
    const end = Math.min(sec.seats_per_row, seat + WINDOW);
    const rowBase = sec.offset + (r - 1) * sec.seats_per_row - 1;
    const pickedSet = new Set(picked);
    const cells = [];
    for (let c = start; c <= end; c++) {
      const i = rowBase + c;
      const id = `${sec.name}-${r}-${c}`;
      const state = seatStateName(feed, marksRef.current, i);
      cells.push(html`<div role="gridcell" id=${`seat-${i}`} aria-colindex=${c} aria-selected=${pickedSet.has(id) ? 'true' : 'false'}>${i18n.t('seat.name', { id, state: i18n.t(`seat.${state}`) })}</div>`);
    }
    row = html`<div role="row" class="visually-hidden" aria-rowindex=${sec.rowOffset + r}>${cells}</div>`;
  }

  const zoom = (f) => mapRef.current?.zoom(f);
  return html`
    <div class="map">
      <div class="map-tools">
        <button type="button" class="icon-button" onClick=${() => zoom(1.5)} aria-label=${i18n.t('map.zoomIn')} title=${i18n.t('map.zoomIn')}>+</button>
        <button type="button" class="icon-button" onClick=${() => zoom(1 / 1.5)} aria-label=${i18n.t('map.zoomOut')} title=${i18n.t('map.zoomOut')}>−</button>
        <button type="button" class="secondary" onClick=${() => mapRef.current?.fit()}>${i18n.t('map.fit')}</button>
      </div>
      <div
        ref=${gridRef}
        class="map-grid"
        role="grid"
        tabindex="0"
        aria-label=${i18n.t('map.label')}
        aria-describedby="map-help"
        aria-rowcount=${layout ? layout.totalRows : -1}
        aria-colcount=${layout ? layout.maxCols : -1}
        aria-busy=${ready ? undefined : 'true'}
        aria-activedescendant=${focusIndex >= 0 ? `seat-${focusIndex}` : undefined}
        aria-multiselectable="true"
        onKeyDown=${onKeyDown}
        onFocus=${() => {
          hasFocusRef.current = true;
          mapRef.current?.schedule();
        }}
        onBlur=${() => {
          hasFocusRef.current = false;
          mapRef.current?.schedule();
        }}
      >
        <canvas
          ref=${canvasRef}
          aria-hidden="true"
          onPointerDown=${onPointerDown}
          onPointerMove=${onPointerMove}
          onPointerUp=${onPointerUp}
          onPointerCancel=${onPointerUp}
        ></canvas>
        ${row}
      </div>
      <p class="map-focus" aria-hidden="true">${focusText}</p>
      <p id="map-help" class="hint">${i18n.t('map.help')}</p>
      ${Legend({ i18n })}
    </div>
  `;
}

/** The key to the map: the same shapes the canvas draws. */
function Legend({ i18n }) {
  const item = (key, shape) => html`<li><svg width="18" height="18" viewBox="0 0 20 20" aria-hidden="true" focusable="false">${shape}</svg>${i18n.t(key)}</li>`;
  return html`
    <ul class="legend" aria-label=${i18n.t('map.legend')}>
      ${item('legend.free', html`<circle cx="10" cy="10" r="8" class="lg-free" />`)}
      ${item('legend.held', html`<rect x="2" y="2" width="16" height="16" class="lg-held" /><path d="M5 15 L15 5" class="lg-glyph" />`)}
      ${item('legend.sold', html`<rect x="2" y="2" width="16" height="16" class="lg-sold" /><path d="M6 6 L14 14 M14 6 L6 14" class="lg-glyph" />`)}
      ${item('legend.picked', html`<circle cx="10" cy="10" r="9" class="lg-mine" /><path d="M5.5 10 L8.5 13.5 L14.5 6.5" class="lg-glyph" />`)}
      ${item('legend.mine', html`<path d="M10 1 L19 10 L10 19 L1 10 Z" class="lg-mine" /><path d="M6.5 10 L9 12.5 L13.5 7.5" class="lg-glyph" />`)}
    </ul>
  `;
}
