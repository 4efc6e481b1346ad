// The fan map's behaviour as hooks over `Layout` (../shared/seatlayout.js): following
// the live seat feed, the focused seat (keyboard and the canvas's focus ring), and
// the pointer (drag pans, two fingers pinch, a tap picks a seat).
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { FREE, gridKeyTarget } from '../shared/seatlayout.js';

/** Re-renders on every change of the seat feed (the focused row's names may change)
 *  and redraws the map; answers whether the first snapshot has arrived. */
export function useSeatFeed(feed, mapRef) {
  const [, setVersion] = useState(0);
  const [ready, setReady] = useState(!!feed.layout);
  useLayoutEffect(
    () =>
      feed.subscribe((changed) => {
        if (!changed) setReady(true);
        mapRef.current?.schedule();
        setVersion((v) => v + 1);
      }),
    [feed],
  );
  return ready;
}

/**
 * The seat with the focus (the map's first free seat to begin with), moved by the grid
 * keys; the canvas draws the ring while the grid itself has the keyboard focus.
 * Answers `{index, move, onKeyDown, onFocus, onBlur}`; `index` is -1 before the map.
 */
export function useSeatFocus(feed, mapRef, onPick) {
  const [focus, setFocusState] = useState(-1);
  const [focused, setFocused] = useState(false);
  // The latest focus, for keys pressed faster than renders.
  const current = useRef(-1);
  const layout = feed.layout;
  const index = layout && focus >= 0 && focus < layout.total ? focus : -1;
  const set = (i) => {
    current.current = i;
    setFocusState(i);
  };

  // A new map: start on its first free seat.
  useLayoutEffect(() => {
    if (!layout || index >= 0) return;
    const i = feed.states ? feed.states.indexOf(FREE) : 0;
    set(i < 0 ? 0 : i);
  }, [layout, index]);
  useLayoutEffect(() => {
    mapRef.current?.setFocus(focused ? index : -1);
  }, [focused, index]);

  /** Focuses seat `i` (kept inside the map) and brings it into view. */
  const move = (i) => {
    if (!layout) return;
    const next = layout.clamp(i);
    set(next);
    mapRef.current?.reveal(next);
  };

  const onKeyDown = (e) => {
    if (!layout) return;
    const i = layout.clamp(current.current);
    if (e.key === 'Enter' || e.key === ' ') {
      onPick(i);
      mapRef.current?.reveal(i);
    } else {
      const target = gridKeyTarget(layout, i, e.key, e.ctrlKey);
      if (target === null) return;
      move(target);
    }
    e.preventDefault();
  };

  return { index, set, onKeyDown, onFocus: () => setFocused(true), onBlur: () => setFocused(false) };
}

/** Pointer handlers for the canvas: drag pans, two fingers pinch, a tap calls `onTap(index)`. */
export function useMapGestures(canvasRef, mapRef, onTap) {
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
      if (i >= 0) onTap(i);
    }
  };
  return { onPointerDown, onPointerMove, onPointerUp, onPointerCancel: onPointerUp };
}
