// Numbers the benchmarks read from the page: the first full draw of the seat map and
// the time from navigation start to the first place in line shown.

/** `window.__floodgateMetrics`, created on first use. */
export function metrics() {
  window.__floodgateMetrics ??= { seatMapRenderMs: null, firstPositionMs: null };
  return window.__floodgateMetrics;
}
