// Hooks that put a seat map on a canvas (shared by the fan page's map and the
// console's): the MapCanvas for the component's canvas, sized to its box, and the
// marks it draws over the seats.
import { useLayoutEffect, useRef } from 'preact/hooks';
import { MapCanvas } from './mapcanvas.js';

/**
 * A MapCanvas over `feed` on the canvas of the returned `canvasRef`, for as long as the
 * component lives; `mapRef.current` is the map. `wheelZoom` zooms with the mouse wheel
 * around the pointer.
 * @param {{layout: import('./seatlayout.js').Layout|null, states: Uint8Array|null}} feed
 * @param {{onFirstDraw?: (ms: number) => void, wheelZoom?: boolean}} [options]
 */
export function useMapCanvas(feed, { onFirstDraw, wheelZoom = false } = {}) {
  const canvasRef = useRef(null);
  const mapRef = useRef(null);
  useLayoutEffect(() => {
    const canvas = canvasRef.current;
    const map = new MapCanvas(canvas, feed, { onFirstDraw });
    mapRef.current = map;
    const measure = () => {
      const r = canvas.getBoundingClientRect();
      map.resize(r.width, r.height);
    };
    const ro = new ResizeObserver(measure);
    ro.observe(canvas);
    measure();
    const wheel = (e) => {
      e.preventDefault();
      const r = canvas.getBoundingClientRect();
      map.zoom(Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.002)), e.clientX - r.left, e.clientY - r.top);
    };
    if (wheelZoom) canvas.addEventListener('wheel', wheel, { passive: false });
    return () => {
      ro.disconnect();
      canvas.removeEventListener('wheel', wheel);
      map.stop();
    };
  }, [feed]);
  return { canvasRef, mapRef };
}

/** The map draws `marks` (a mark per seat, see seatlayout.js), redrawn when they change. */
export function useMapMarks(mapRef, marks) {
  useLayoutEffect(() => {
    mapRef.current?.setMarks(marks);
  }, [marks]);
}
