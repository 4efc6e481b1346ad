// The seat map: a canvas for the eyes and, for keyboards and screen readers, an ARIA
// grid on the same element using the virtualised-grid pattern — only the focused
// row's cells (a window around the focused seat) exist in the DOM, visually hidden,
// and aria-activedescendant points at the focused one. The behaviour is in hooks over
// `Layout` (seatmap-hooks.js, ../shared/map-hooks.js); this file renders.
import { html } from 'htm/preact';
import { useLayoutEffect, useMemo, useRef } from 'preact/hooks';
import { useMapCanvas, useMapMarks } from '../shared/map-hooks.js';
import { HELD, MARK_MINE, marksOf, SOLD } from '../shared/seatlayout.js';
import { metrics } from './metrics.js';
import { useMapGestures, useSeatFeed, useSeatFocus } from './seatmap-hooks.js';

const WINDOW = 20; // cells rendered on each side of the focused seat

/** What a seat is, for its accessible name and the test hook. */
export function seatStateName(feed, marks, index) {
  if (marks && marks[index] === MARK_MINE) return 'yours';
  const st = feed.stateOf(index);
  return st === HELD ? 'held' : st === SOLD ? 'sold' : 'free';
}

const recordFirstDraw = (ms) => {
  metrics().seatMapRenderMs = Math.round(ms * 10) / 10;
};

/**
 * @param {{feed: import('./seatfeed.js').SeatFeed, i18n: any, picked: string[], mine: string[],
 *          onToggle: (id: string) => void, priceOf?: (id: string) => string}} props
 */
export function SeatMap({ feed, i18n, picked, mine, onToggle, priceOf }) {
  const { canvasRef, mapRef } = useMapCanvas(feed, { onFirstDraw: recordFirstDraw, wheelZoom: true });
  const ready = useSeatFeed(feed, mapRef);
  const layout = feed.layout;
  // Marks follow the props in the same render, so the cells' names are never stale.
  const marks = useMemo(() => (layout ? marksOf(layout, picked, mine) : null), [layout, picked.join(), mine.join()]);
  useMapMarks(mapRef, marks);
  const toggle = (index) => onToggle(layout.idOf(index));
  const focus = useSeatFocus(feed, mapRef, toggle);
  const pointer = useMapGestures(canvasRef, mapRef, (index) => {
    focus.set(index);
    toggle(index);
  });
  useTestHooks(feed, marks, canvasRef, mapRef);

  const focusIndex = focus.index;
  let row = null;
  let focusText = '';
  if (focusIndex >= 0) {
    const name = (id, index) => i18n.t('seat.name', { id, state: i18n.t(`seat.${seatStateName(feed, marks, index)}`) });
    const fid = layout.idOf(focusIndex);
    focusText = i18n.t('map.focused', { seat: name(fid, focusIndex), price: priceOf ? priceOf(fid) : '' });
    const around = layout.rowAround(focusIndex, WINDOW);
    const pickedSet = new Set(picked);
    const cells = around.seats.map(
      ({ index, seat, id }) =>
        html`<div role="gridcell" id=${`seat-${index}`} aria-colindex=${seat} aria-selected=${pickedSet.has(id) ? 'true' : 'false'}>${name(id, index)}</div>`,
    );
    row = html`<div role="row" class="visually-hidden" aria-rowindex=${around.sec.rowOffset + around.row}>${cells}</div>`;
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
        onKeyDown=${focus.onKeyDown}
        onFocus=${focus.onFocus}
        onBlur=${focus.onBlur}
      >
        <canvas ref=${canvasRef} aria-hidden="true" ...${pointer}></canvas>
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

/** Hooks for tests and benchmarks: a seat's state, and where it is on screen. */
function useTestHooks(feed, marks, canvasRef, mapRef) {
  const latest = useRef(marks);
  latest.current = marks;
  useLayoutEffect(() => {
    window.__floodgateSeatState = (id) => {
      const i = feed.layout ? feed.layout.indexOf(id) : -1;
      return i < 0 ? undefined : seatStateName(feed, latest.current, i);
    };
    window.__floodgateSeatPoint = (id) => {
      const i = feed.layout ? feed.layout.indexOf(id) : -1;
      const p = i < 0 ? null : mapRef.current?.point(i);
      if (!p) return null;
      const r = canvasRef.current.getBoundingClientRect();
      return { x: r.left + p.x, y: r.top + p.y };
    };
  }, [feed]);
}
