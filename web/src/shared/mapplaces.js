// Where a seat map's sections sit in the canvas's world: in reading order, as many to
// a band as make seats largest on the canvas. Pure, unit-tested.

export const PITCH = 10; // world units from one seat to the next
export const GAP = 30; // between sections

/**
 * Sections in reading order, `cols` to a band, for the column count that makes
 * seats largest on a `w` × `h` canvas.
 */
export function arrange(sections, w, h, labelH) {
  let best = null;
  for (let cols = 1; cols <= sections.length; cols++) {
    const places = [];
    let y = 0;
    let width = 0;
    const bands = [];
    for (let i = 0; i < sections.length; i += cols) {
      const band = sections.slice(i, i + cols);
      const bandW = band.reduce((sum, s) => sum + s.seats_per_row * PITCH, 0) + GAP * (band.length - 1);
      const bandH = Math.max(...band.map((s) => s.rows * PITCH)) + labelH;
      bands.push({ band, bandW, y });
      width = Math.max(width, bandW);
      y += bandH + GAP;
    }
    const height = y - GAP;
    for (const { band, bandW, y: by } of bands) {
      let x = (width - bandW) / 2;
      for (const s of band) {
        places[s.index] = { x, y: by, labelH };
        x += s.seats_per_row * PITCH + GAP;
      }
    }
    const scale = Math.min(w / width, h / height);
    if (!best || scale > best.scale * 1.02) best = { scale, places, w: width, h: height };
  }
  return best;
}
