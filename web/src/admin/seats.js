// The sale's seat map in the console: the canvas map the fan page draws
// (../shared/mapcanvas.js), over the admins' seat map, which tells held-back seats
// apart. An admin selects seats (a click on the map toggles one; a row at a time with
// the form, by keyboard too) and holds them back from sale or releases them, after
// confirming.
import { html } from 'htm/preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useMapCanvas, useMapMarks } from '../shared/map-hooks.js';
import { decodeStates, HELD, HELD_BACK, Layout, MARK_PICKED, SOLD } from '../shared/seatlayout.js';
import { adminApi } from './api.js';
import { useI18n } from '../shared/language.js';
import { useInterval } from './util.js';

/** How often the map is read again while the page is open (changes made here reload it at once). */
const REFRESH_MS = 5000;

export function SeatsPanel({ eventId, onAuthError, onChanged }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  const feed = useRef({ layout: null, states: null }).current;
  const [version, setVersion] = useState(0);
  const [loadError, setLoadError] = useState(null);
  const [picked, setPicked] = useState([]);
  const [section, setSection] = useState('');
  const [row, setRow] = useState('1');
  const [rowError, setRowError] = useState(null);
  const [confirming, setConfirming] = useState(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState(null);
  const confirmRef = useRef(null);
  const { canvasRef, mapRef } = useMapCanvas(feed);

  const load = useCallback(async () => {
    try {
      const m = await adminApi.seats(eventId);
      if (!feed.layout || !feed.layout.sameShape(m.sections)) feed.layout = new Layout(m.sections);
      feed.states = decodeStates(feed.layout, m.states);
      setLoadError(null);
      setVersion((v) => v + 1);
    } catch (e) {
      if (!onAuthError(e)) setLoadError(e);
    }
  }, [eventId, onAuthError, feed]);
  useEffect(() => {
    load();
  }, [load]);
  useInterval(load, REFRESH_MS);

  // The selection's marks, and a redraw whenever the states change.
  const marks = useMemo(() => {
    if (!feed.layout) return null;
    const m = new Uint8Array(feed.layout.total);
    for (const i of picked) m[i] = MARK_PICKED;
    return m;
  }, [picked, feed.layout]);
  useMapMarks(mapRef, marks);
  useEffect(() => mapRef.current?.schedule(), [version]);

  useEffect(() => {
    if (!section && feed.layout) setSection(feed.layout.sections[0]?.name ?? '');
  }, [version, section, feed]);

  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  const layout = feed.layout;
  const counts = countStates(feed.states);
  const heldBack = listOf(feed.states, HELD_BACK);

  const onCanvasClick = (e) => {
    const map = mapRef.current;
    if (!map || busy) return;
    const r = canvasRef.current.getBoundingClientRect();
    const i = map.hit(e.clientX - r.left, e.clientY - r.top);
    if (i < 0) return;
    setResult(null);
    setPicked((p) => (p.includes(i) ? p.filter((x) => x !== i) : [...p, i].sort((a, b) => a - b)));
  };

  const selectRow = (e) => {
    e.preventDefault();
    const sec = layout?.byName.get(section);
    const r = Number(row);
    if (!sec || !Number.isInteger(r) || r < 1 || r > sec.rows) {
      setRowError(t('seats.row_invalid', { max: sec ? sec.rows : 1 }));
      return;
    }
    setRowError(null);
    setResult(null);
    const first = sec.offset + (r - 1) * sec.seats_per_row;
    setPicked(Array.from({ length: sec.seats_per_row }, (_, k) => first + k));
  };

  const act = async () => {
    const kind = confirming;
    const seats = picked.map((i) => layout.idOf(i));
    setBusy(true);
    try {
      const answer = kind === 'hold_back' ? await adminApi.holdBack(eventId, seats) : await adminApi.releaseHeldBack(eventId, seats);
      const count = answer.changed.length;
      setResult({ ok: true, text: t(`seats.done_${kind}`, { count }) });
      setPicked([]);
      onChanged?.();
    } catch (e) {
      if (!onAuthError(e)) {
        const text =
          e.code === 'seats_unavailable'
            ? t('seats.unavailable', { seats: (e.details.seats || []).join(', ') })
            : e.code === 'network'
              ? t('error.network')
              : t('error.server', { message: e.message, code: e.code });
        setResult({ ok: false, text });
      }
    } finally {
      setBusy(false);
      setConfirming(null);
      load();
    }
  };

  const selectedText = picked.length ? summarise(picked.map((i) => layout.idOf(i))) : '';

  return html`<div class="seats-panel">
    ${loadError && html`<p class="error-box" role="alert">${t('seats.load_failed', { message: loadError.message })}</p>`}
    <${Legend} counts=${counts} />
    <div class="seat-canvas-wrap">
      <canvas
        ref=${canvasRef}
        class="seat-canvas"
        role="img"
        aria-label=${t('seats.map_label', counts)}
        onClick=${onCanvasClick}
      ></canvas>
    </div>
    <p class="muted">${t('seats.click_hint')}</p>

    <form class="row-select" onSubmit=${selectRow} novalidate>
      <label>
        <span>${t('seats.section')}</span>
        <select value=${section} onChange=${(e) => setSection(e.currentTarget.value)}>
          ${(layout?.sections ?? []).map((s) => html`<option value=${s.name}>${s.name}</option>`)}
        </select>
      </label>
      <label>
        <span>${t('seats.row')}</span>
        <input type="number" inputmode="numeric" min="1" value=${row} onInput=${(e) => setRow(e.currentTarget.value)}
          aria-invalid=${rowError ? 'true' : undefined} aria-describedby=${rowError ? 'row-error' : undefined} />
      </label>
      <button type="submit" class="button secondary">${t('seats.select_row')}</button>
      ${rowError && html`<p id="row-error" class="error-text">${rowError}</p>`}
    </form>

    <div class="selection">
      <p role="status">${picked.length ? t('seats.selected', { count: picked.length, seats: selectedText }) : t('seats.none_selected')}</p>
      <div class="selection-actions">
        <button type="button" class="button" disabled=${!picked.length || busy} onClick=${() => setConfirming('hold_back')}>${t('seats.hold_back')}</button>
        <button type="button" class="button secondary" disabled=${!picked.length || busy} onClick=${() => setConfirming('release')}>${t('seats.release')}</button>
        <button type="button" class="button secondary" disabled=${!picked.length || busy} onClick=${() => setPicked([])}>${t('seats.clear')}</button>
      </div>
    </div>

    ${confirming &&
    html`<div class="confirm-box" role="alertdialog" aria-labelledby="seats-confirm-title" aria-describedby="seats-confirm-text">
      <h3 id="seats-confirm-title">${t(`seats.confirm_${confirming}_title`, { count: picked.length })}</h3>
      <p id="seats-confirm-text">${t(`seats.confirm_${confirming}_text`, { count: picked.length, seats: selectedText })}</p>
      <div class="selection-actions">
        <button type="button" class="button" ref=${confirmRef} disabled=${busy} onClick=${act}>${t(`seats.confirm_${confirming}`)}</button>
        <button type="button" class="button secondary" disabled=${busy} onClick=${() => setConfirming(null)}>${t('seats.cancel')}</button>
      </div>
    </div>`}

    ${result && html`<p class=${result.ok ? 'banner-msg info' : 'error-box'} role=${result.ok ? 'status' : 'alert'}>${result.text}</p>`}

    <h3>${t('seats.held_back_title')}</h3>
    <p>${heldBack.length ? summarise(heldBack.map((i) => layout.idOf(i)), 60) : t('seats.held_back_none')}</p>
  </div>`;
}

function Legend({ counts }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  const item = (key, cls, n) => html`<li><span class=${`swatch ${cls}`} aria-hidden="true"></span>${t(key)}: ${i18n.number(n)}</li>`;
  return html`<ul class="seat-legend">
    ${item('seats.free', 'sw-free', counts.free)}
    ${item('seats.held', 'sw-held', counts.held)}
    ${item('seats.sold', 'sw-sold', counts.sold)}
    ${item('seats.held_back', 'sw-back', counts.held_back)}
    <li><span class="swatch sw-picked" aria-hidden="true"></span>${t('seats.selected_legend')}</li>
  </ul>`;
}

function countStates(states) {
  const c = { free: 0, held: 0, sold: 0, held_back: 0 };
  if (!states) return c;
  for (const s of states) {
    if (s === HELD) c.held++;
    else if (s === SOLD) c.sold++;
    else if (s === HELD_BACK) c.held_back++;
    else c.free++;
  }
  return c;
}

function listOf(states, state) {
  const out = [];
  if (!states) return out;
  for (let i = 0; i < states.length; i++) if (states[i] === state) out.push(i);
  return out;
}

/** Seat ids as text, at most `max` of them ("A-1-1, A-1-2, … and 12 more"). */
function summarise(ids, max = 12) {
  if (ids.length <= max) return ids.join(', ');
  return `${ids.slice(0, max).join(', ')} … (+${ids.length - max})`;
}
