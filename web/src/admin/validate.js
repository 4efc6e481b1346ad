// The create- and edit-sale form's rules, mirroring the server's (server/src/event.rs and the
// admission settings' bounds in waiting-room/src/settings.rs), so staff see every
// problem at once, in their language, before anything is sent.

export const LIMITS = {
  nameMax: 200,
  sectionsMax: 100,
  sectionNameMax: 16,
  rowsMax: 1000,
  seatsPerRowMax: 1000,
  capacityMax: 1_000_000,
  maxSeatsPerOrder: [1, 50],
  holdTtlSecs: [1, 3600],
  ratePerMinute: [1, 6_000_000],
  maxActive: [1, 10_000_000],
  sessionTtlSecs: [10, 86_400],
  refundWindowHours: [0, 8_784],
  maxSeatsPerAccount: [1, 10_000],
  powDifficulty: [0, 28],
  priceMaxCents: 100_000_000_00,
};

export const SECTION_NAME_PATTERN = '[A-Za-z0-9]{1,16}';

/** A whole number in [min, max] from an input's text, or undefined. */
export function parseWhole(text, min, max) {
  const s = String(text ?? '').trim();
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n >= min && n <= max ? n : undefined;
}

/** Dollars and cents ("12", "12.5", "12.50") as cents, or undefined. */
export function parsePriceCents(text) {
  const s = String(text ?? '').trim();
  if (!/^\d+(\.\d{1,2})?$/.test(s)) return undefined;
  const cents = Math.round(Number(s) * 100);
  return cents <= LIMITS.priceMaxCents ? cents : undefined;
}

/**
 * Checks the form's values. Answers `{errors, body}`: errors as `[{id, message}]` in
 * the form's order (id: the input's id), and the request body when there are none.
 * `ids` names the inputs, `t(key, params)` translates, `parseDateTime` reads the
 * opening time (local wall time) into Unix ms.
 */
export function validateEvent(values, { t, ids, parseDateTime }) {
  const errors = [];
  const fail = (id, key, params) => errors.push({ id, message: t(key, params) });
  const whole = (id, text, field, [min, max]) => {
    if (String(text ?? '').trim() === '') return fail(id, 'validate.required', { field });
    const n = parseWhole(text, min, max);
    if (n === undefined) fail(id, 'validate.range', { field, min, max });
    return n;
  };

  const name = values.name.trim();
  if (!name) fail(ids.name, 'validate.required', { field: t('create.name') });
  else if ([...name].length > LIMITS.nameMax) fail(ids.name, 'validate.too_long', { field: t('create.name'), max: LIMITS.nameMax });

  const startsMs = parseDateTime(values.startsAt);
  if (!values.startsAt) fail(ids.startsAt, 'validate.required', { field: t('create.starts_at') });
  else if (Number.isNaN(startsMs)) fail(ids.startsAt, 'validate.datetime');

  const seen = new Map();
  let capacity = 0;
  const sections = values.sections.map((s, i) => {
    const n = i + 1;
    const sid = ids.section(s.key);
    const secName = s.name.trim();
    if (!secName) fail(sid.name, 'validate.required', { field: t('create.section_field', { n, field: t('create.section_name') }) });
    else if (!new RegExp(`^${SECTION_NAME_PATTERN}$`).test(secName)) fail(sid.name, 'validate.section_name', { n });
    else if (seen.has(secName)) fail(sid.name, 'validate.section_duplicate', { n, name: secName, other: seen.get(secName) });
    else seen.set(secName, n);
    const rows = whole(sid.rows, s.rows, t('create.section_field', { n, field: t('create.rows') }), [1, LIMITS.rowsMax]);
    const perRow = whole(sid.seatsPerRow, s.seatsPerRow, t('create.section_field', { n, field: t('create.seats_per_row') }), [1, LIMITS.seatsPerRowMax]);
    let price;
    const priceField = t('create.section_field', { n, field: t('create.price') });
    if (String(s.price ?? '').trim() === '') fail(sid.price, 'validate.required', { field: priceField });
    else {
      price = parsePriceCents(s.price);
      if (price === undefined) fail(sid.price, 'validate.price', { field: priceField });
    }
    if (rows && perRow) capacity += rows * perRow;
    return { name: secName, rows, seats_per_row: perRow, price_cents: price };
  });
  if (values.sections.length === 0) fail(ids.addSection, 'validate.no_sections');
  if (values.sections.length > LIMITS.sectionsMax) fail(ids.addSection, 'validate.too_many_sections', { max: LIMITS.sectionsMax });
  if (capacity > LIMITS.capacityMax) fail(ids.addSection, 'validate.capacity', { capacity, max: LIMITS.capacityMax });

  // The show and the box office's settings are optional: blank means none.
  const blank = (text) => String(text ?? '').trim() === '';
  let showMs = null;
  if (!blank(values.showAt)) {
    showMs = parseDateTime(values.showAt);
    if (Number.isNaN(showMs)) fail(ids.showAt, 'validate.datetime');
    else if (!Number.isNaN(startsMs) && showMs <= startsMs) fail(ids.showAt, 'validate.show_after_opening');
  }
  let refundHours = null;
  if (!blank(values.refundHours)) {
    refundHours = whole(ids.refundHours, values.refundHours, t('create.refund_hours'), LIMITS.refundWindowHours);
    if (refundHours !== undefined && showMs === null) fail(ids.refundHours, 'validate.refund_needs_show');
  }
  const perAccount = blank(values.perAccount)
    ? null
    : whole(ids.perAccount, values.perAccount, t('create.per_account'), LIMITS.maxSeatsPerAccount);

  // Proof of work on join; blank: the server's default (not sent).
  const pow = blank(values.pow ?? '') ? undefined : whole(ids.pow, values.pow, t('create.pow'), LIMITS.powDifficulty);

  const maxSeats = whole(ids.maxSeats, values.maxSeats, t('create.max_seats'), LIMITS.maxSeatsPerOrder);
  const holdTtl = whole(ids.holdTtl, values.holdTtl, t('create.hold_ttl'), LIMITS.holdTtlSecs);
  const rate = whole(ids.rate, values.rate, t('create.rate'), LIMITS.ratePerMinute);
  const maxActive = whole(ids.maxActive, values.maxActive, t('create.max_active'), LIMITS.maxActive);
  const sessionTtl = whole(ids.sessionTtl, values.sessionTtl, t('create.session_ttl'), LIMITS.sessionTtlSecs);

  if (errors.length) return { errors, body: null, capacity };
  return {
    errors,
    capacity,
    body: {
      name,
      starts_at: new Date(startsMs).toISOString(),
      sections,
      max_seats_per_order: maxSeats,
      hold_ttl_secs: holdTtl,
      admission: { rate_per_minute: rate, max_active: maxActive, session_ttl_secs: sessionTtl },
      show_at: showMs === null ? null : new Date(showMs).toISOString(),
      refund_window_secs: refundHours === null ? null : refundHours * 3600,
      max_seats_per_account: perAccount,
      ...(pow === undefined ? {} : { pow_difficulty: pow }),
    },
  };
}
