// The last 15 minutes of stats as columns uPlot draws directly: `at` in Unix
// seconds plus one array per field. Fed by the history endpoint, then by every
// live sample; a gap in the samples (a lost connection) becomes a break in the lines.

export const WINDOW_SECS = 15 * 60;
const GAP_SECS = 15;

export const FIELDS = ['waiting', 'prequeue', 'admitted_last_minute', 'rate_per_minute', 'max_active', 'active', 'held', 'sold'];

export class StatsSeries {
  constructor() {
    this.at = [];
    this.cols = Object.fromEntries(FIELDS.map((f) => [f, []]));
  }

  get length() {
    return this.at.length;
  }

  /** Adds a sample taken at `atMs`; older-than-latest samples are ignored. */
  push(sample, atMs) {
    const at = atMs / 1000;
    const last = this.at[this.at.length - 1];
    if (last !== undefined && at <= last) return false;
    if (last !== undefined && at - last > GAP_SECS) this.#append(last + 1, null);
    this.#append(at, sample);
    this.#trim(at - WINDOW_SECS);
    return true;
  }

  /** uPlot data: `[at, ...fields]`. */
  data(fields) {
    return [this.at, ...fields.map((f) => this.cols[f])];
  }

  /** The latest non-null value of `field` and its maximum over the window. */
  summary(field) {
    const col = this.cols[field];
    let latest = null;
    let max = null;
    let first = null;
    for (const v of col) {
      if (v === null || v === undefined) continue;
      if (first === null) first = v;
      latest = v;
      max = max === null ? v : Math.max(max, v);
    }
    return { latest, max, first };
  }

  #append(at, sample) {
    this.at.push(at);
    for (const f of FIELDS) {
      const v = sample ? sample[f] : null;
      this.cols[f].push(typeof v === 'number' ? v : null);
    }
  }

  #trim(cutoff) {
    let n = 0;
    while (n < this.at.length && this.at[n] < cutoff) n++;
    if (n === 0) return;
    this.at.splice(0, n);
    for (const f of FIELDS) this.cols[f].splice(0, n);
  }
}
