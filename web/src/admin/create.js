// Creating a sale, and editing one before its opening: name, opening and show times
// (local, sent as UTC), sections (when editing: sent only if changed; the server
// refuses them once a seat is held back or ordered), limits, refunds and admission. Every
// problem is listed above the form and beside its field; the server's refusal (code
// and message) is shown the same way.
import { html } from 'htm/preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { events as eventsApi } from '../shared/api.js';
import { adminApi } from './api.js';
import { useI18n } from '../shared/language.js';
import { navigate } from './router.js';
import { parseLocalDateTime, toLocalDateTime, useTitle } from './util.js';
import { LIMITS, SECTION_NAME_PATTERN, validateEvent } from './validate.js';

let nextKey = 1;
const newSection = (name) => ({ key: nextKey++, name, rows: '10', seatsPerRow: '20', price: '50.00' });

const ids = {
  name: 'ev-name',
  startsAt: 'ev-starts',
  showAt: 'ev-show',
  refundHours: 'ev-refund',
  perAccount: 'ev-per-account',
  pow: 'ev-pow',
  addSection: 'ev-add-section',
  maxSeats: 'ev-max-seats',
  holdTtl: 'ev-hold-ttl',
  rate: 'ev-rate',
  maxActive: 'ev-max-active',
  sessionTtl: 'ev-session-ttl',
  section: (key) => ({ name: `sec-${key}-name`, rows: `sec-${key}-rows`, seatsPerRow: `sec-${key}-seats`, price: `sec-${key}-price` }),
};

function initialValues(event) {
  if (event) {
    const optional = (v) => (v === null || v === undefined ? '' : String(v));
    return {
      name: event.name,
      startsAt: toLocalDateTime(Date.parse(event.starts_at)),
      showAt: event.show_at ? toLocalDateTime(Date.parse(event.show_at)) : '',
      refundHours: event.refund_window_secs === null || event.refund_window_secs === undefined ? '' : String(Math.round(event.refund_window_secs / 3600)),
      perAccount: optional(event.max_seats_per_account),
      pow: optional(event.pow_difficulty),
      sections: event.sections.map((sec) => ({
        key: nextKey++,
        name: sec.name,
        rows: String(sec.rows),
        seatsPerRow: String(sec.seats_per_row),
        price: (sec.price_cents / 100).toFixed(2),
      })),
      maxSeats: String(event.max_seats_per_order),
      holdTtl: String(event.hold_ttl_secs),
      rate: String(event.admission.rate_per_minute),
      maxActive: String(event.admission.max_active),
      sessionTtl: String(event.admission.session_ttl_secs),
    };
  }
  const inAnHour = Math.ceil((Date.now() + 3600_000) / 300_000) * 300_000;
  return {
    name: '',
    startsAt: toLocalDateTime(inAnHour),
    showAt: '',
    refundHours: '',
    perAccount: '',
    pow: '',
    sections: [newSection('A')],
    maxSeats: '4',
    holdTtl: '300',
    rate: '600',
    maxActive: '500',
    sessionTtl: '600',
  };
}

/** The next unused single-letter (or lettered) section name: A, B, … Z, AA, … */
function nextSectionName(sections) {
  const used = new Set(sections.map((s) => s.name.trim()));
  for (let i = 0; ; i++) {
    let n = i;
    let name = '';
    do {
      name = String.fromCharCode(65 + (n % 26)) + name;
      n = Math.floor(n / 26) - 1;
    } while (n >= 0);
    if (!used.has(name)) return name;
  }
}

export function CreateEvent({ onAuthError }) {
  return html`<${EventForm} onAuthError=${onAuthError} event=${null} />`;
}

/** The edit form of a sale not yet open (loaded first). */
export function EditEvent({ id, onAuthError }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  const [event, setEvent] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    eventsApi.get(id).then(setEvent, (e) => {
      if (!onAuthError(e)) setError(e);
    });
  }, [id]);
  useTitle(t('edit.title'));
  const back = `/admin/events/${encodeURIComponent(id)}`;
  if (error || !event) {
    return html`<div class="form-page">
      <p class="breadcrumb"><a href=${back}>${t('edit.back')}</a></p>
      <h1 tabindex="-1">${t('edit.title')}</h1>
      ${error ? html`<p class="error-box" role="alert">${error.message}</p>` : html`<p role="status">${t('app.loading')}</p>`}
    </div>`;
  }
  if (event.state !== 'scheduled') {
    return html`<div class="form-page">
      <p class="breadcrumb"><a href=${back}>${t('edit.back')}</a></p>
      <h1 tabindex="-1">${t('edit.title')}</h1>
      <p class="notice">${event.state === 'closed' ? t('edit.closed') : t('edit.opened')}</p>
    </div>`;
  }
  return html`<${EventForm} onAuthError=${onAuthError} event=${event} />`;
}

function EventForm({ onAuthError, event }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  const editing = !!event;
  useTitle(editing ? t('edit.title') : t('create.title'));
  const [values, setValues] = useState(() => initialValues(event));
  const [submitted, setSubmitted] = useState(false);
  const [serverError, setServerError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [announce, setAnnounce] = useState('');
  const [focusId, setFocusId] = useState(null);
  const summaryRef = useRef(null);

  const checked = useMemo(() => validateEvent(values, { t, ids, parseDateTime: parseLocalDateTime }), [values, i18n]);
  const shown = submitted ? checked.errors : [];
  const errorFor = (id) => shown.find((e) => e.id === id)?.message;

  useEffect(() => {
    if (!focusId) return;
    document.getElementById(focusId)?.focus();
    setFocusId(null);
  }, [focusId]);

  const set = (field) => (e) => setValues((v) => ({ ...v, [field]: e.currentTarget.value }));
  const setSection = (key, field) => (e) => {
    const value = e.currentTarget.value;
    setValues((v) => ({ ...v, sections: v.sections.map((s) => (s.key === key ? { ...s, [field]: value } : s)) }));
  };
  const addSection = () => {
    const s = newSection(nextSectionName(values.sections));
    setValues((v) => ({ ...v, sections: [...v.sections, s] }));
    setAnnounce(t('create.section_added', { n: values.sections.length + 1 }));
    setFocusId(ids.section(s.key).name);
  };
  const removeSection = (index) => {
    const rest = values.sections.filter((_, i) => i !== index);
    setValues((v) => ({ ...v, sections: rest }));
    setAnnounce(t('create.section_removed', { n: index + 1 }));
    const neighbour = rest[Math.min(index, rest.length - 1)];
    setFocusId(neighbour ? ids.section(neighbour.key).name : ids.addSection);
  };

  const submit = async (e) => {
    e.preventDefault();
    setSubmitted(true);
    setServerError(null);
    if (checked.errors.length) {
      requestAnimationFrame(() => summaryRef.current?.focus());
      return;
    }
    setBusy(true);
    try {
      let saved;
      if (editing) {
        // Only what changed: the form shows times to the minute, so an untouched
        // opening must not be sent back rounded.
        const was = validateEvent(initialValues(event), { t, ids, parseDateTime: parseLocalDateTime }).body ?? {};
        const changes = {};
        for (const [key, value] of Object.entries(checked.body)) {
          if (JSON.stringify(value) === JSON.stringify(was[key])) continue;
          changes[key] = value;
        }
        saved = Object.keys(changes).length ? await adminApi.editEvent(event.id, changes) : event;
      } else {
        saved = await adminApi.createEvent(checked.body);
      }
      navigate(`/admin/events/${encodeURIComponent(saved.id)}`);
    } catch (err) {
      setBusy(false);
      if (onAuthError(err)) return;
      setServerError(err);
      requestAnimationFrame(() => summaryRef.current?.focus());
    }
  };

  const startsMs = parseLocalDateTime(values.startsAt);
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const inPast = !Number.isNaN(startsMs) && startsMs < Date.now();

  const field = (props) => html`<${Field} ...${props} error=${errorFor(props.id)} />`;

  const back = editing ? `/admin/events/${encodeURIComponent(event.id)}` : '/admin';
  const showMs = parseLocalDateTime(values.showAt);

  return html`<div class="form-page">
    <p class="breadcrumb"><a href=${back}>${editing ? t('edit.back') : t('create.back')}</a></p>
    <h1 tabindex="-1">${editing ? t('edit.title') : t('create.title')}</h1>
    <p>${editing ? t('edit.intro', { name: event.name }) : t('create.intro')}</p>

    <${ErrorSummary} summaryRef=${summaryRef} errors=${shown} serverError=${serverError} editing=${editing} />

    <form class="stack create-form" onSubmit=${submit} noValidate>
      <fieldset class="group">
        <legend>${t('create.basics')}</legend>
        ${field({ id: ids.name, label: t('create.name'), value: values.name, onInput: set('name'), required: true, maxLength: LIMITS.nameMax, autocomplete: 'off', wide: true })}
        ${field({
          id: ids.startsAt,
          label: t('create.starts_at'),
          type: 'datetime-local',
          value: values.startsAt,
          onInput: set('startsAt'),
          required: true,
          hint: t('create.starts_at_hint', { tz }),
          warning: inPast ? t('create.starts_in_past') : null,
        })}
        ${field({
          id: ids.showAt,
          label: t('create.show_at'),
          type: 'datetime-local',
          value: values.showAt,
          onInput: set('showAt'),
          hint: Number.isNaN(showMs) ? t('create.show_at_hint') : t('create.show_at_set', { when: i18n.dateTime(showMs) }),
        })}
      </fieldset>

      <fieldset class="group">
        <legend>${t('create.sections')}</legend>
        <p class="hint" id="sections-hint">${t('create.sections_hint')}</p>
        ${editing && html`<p class="hint">${t('edit.sections_hint')}</p>`}
        ${values.sections.map((s, i) => {
          const sid = ids.section(s.key);
          const n = i + 1;
          return html`<fieldset class="section-row" key=${s.key}>
            <legend>${t('create.section_n', { n })}</legend>
            <div class="section-fields">
              ${field({ id: sid.name, label: t('create.section_name'), value: s.name, onInput: setSection(s.key, 'name'), required: true, maxLength: LIMITS.sectionNameMax, pattern: SECTION_NAME_PATTERN, autocomplete: 'off', hintId: 'sections-hint', small: true })}
              ${field({ id: sid.rows, label: t('create.rows'), type: 'number', value: s.rows, onInput: setSection(s.key, 'rows'), required: true, min: 1, max: LIMITS.rowsMax, step: 1, small: true })}
              ${field({ id: sid.seatsPerRow, label: t('create.seats_per_row'), type: 'number', value: s.seatsPerRow, onInput: setSection(s.key, 'seatsPerRow'), required: true, min: 1, max: LIMITS.seatsPerRowMax, step: 1, small: true })}
              ${field({ id: sid.price, label: t('create.price'), type: 'number', value: s.price, onInput: setSection(s.key, 'price'), required: true, min: 0, step: 0.01, inputMode: 'decimal', small: true })}
            </div>
            <button type="button" class="button secondary small" onClick=${() => removeSection(i)} disabled=${values.sections.length === 1}>
              ${t('create.remove')}<span class="visually-hidden"> ${t('create.section_n', { n })}</span>
            </button>
          </fieldset>`;
        })}
        <div class="sections-footer">
          <button type="button" id=${ids.addSection} class="button secondary" onClick=${addSection}
            disabled=${values.sections.length >= LIMITS.sectionsMax}
            aria-describedby=${errorFor(ids.addSection) ? `${ids.addSection}-error` : undefined}>${t('create.add_section')}</button>
          <output class="capacity" for=${values.sections.flatMap((s) => [ids.section(s.key).rows, ids.section(s.key).seatsPerRow]).join(' ')}>
            ${t('create.capacity', { count: checked.capacity })}
          </output>
        </div>
        ${errorFor(ids.addSection) && html`<p id=${`${ids.addSection}-error`} class="field-error">${errorFor(ids.addSection)}</p>`}
        <p class="visually-hidden" role="status">${announce}</p>
      </fieldset>

      <fieldset class="group">
        <legend>${t('create.limits')}</legend>
        <div class="field-grid">
          ${field({ id: ids.maxSeats, label: t('create.max_seats'), type: 'number', value: values.maxSeats, onInput: set('maxSeats'), required: true, min: LIMITS.maxSeatsPerOrder[0], max: LIMITS.maxSeatsPerOrder[1], step: 1 })}
          ${field({ id: ids.holdTtl, label: t('create.hold_ttl'), type: 'number', value: values.holdTtl, onInput: set('holdTtl'), required: true, min: LIMITS.holdTtlSecs[0], max: LIMITS.holdTtlSecs[1], step: 1, hint: durationHint(i18n, values.holdTtl) })}
          ${field({ id: ids.perAccount, label: t('create.per_account'), type: 'number', value: values.perAccount, onInput: set('perAccount'), min: LIMITS.maxSeatsPerAccount[0], max: LIMITS.maxSeatsPerAccount[1], step: 1, hint: t('create.per_account_hint') })}
          ${field({ id: ids.pow, label: t('create.pow'), type: 'number', value: values.pow, onInput: set('pow'), min: LIMITS.powDifficulty[0], max: LIMITS.powDifficulty[1], step: 1, hint: t('create.pow_hint') })}
          ${field({ id: ids.refundHours, label: t('create.refund_hours'), type: 'number', value: values.refundHours, onInput: set('refundHours'), min: LIMITS.refundWindowHours[0], max: LIMITS.refundWindowHours[1], step: 1, hint: t('create.refund_hours_hint') })}
        </div>
      </fieldset>

      <fieldset class="group">
        <legend>${t('create.admission')}</legend>
        <p class="hint">${t('create.admission_hint')}</p>
        <div class="field-grid">
          ${field({ id: ids.rate, label: t('create.rate'), type: 'number', value: values.rate, onInput: set('rate'), required: true, min: LIMITS.ratePerMinute[0], max: LIMITS.ratePerMinute[1], step: 1 })}
          ${field({ id: ids.maxActive, label: t('create.max_active'), type: 'number', value: values.maxActive, onInput: set('maxActive'), required: true, min: LIMITS.maxActive[0], max: LIMITS.maxActive[1], step: 1 })}
          ${field({ id: ids.sessionTtl, label: t('create.session_ttl'), type: 'number', value: values.sessionTtl, onInput: set('sessionTtl'), required: true, min: LIMITS.sessionTtlSecs[0], max: LIMITS.sessionTtlSecs[1], step: 1, hint: durationHint(i18n, values.sessionTtl) })}
        </div>
      </fieldset>

      <div class="actions">
        <button type="submit" class="button" disabled=${busy}>${busy ? t(editing ? 'edit.saving' : 'create.creating') : t(editing ? 'edit.submit' : 'create.submit')}</button>
        <a href=${back}>${t('create.cancel')}</a>
      </div>
    </form>
  </div>`;
}

function durationHint(i18n, text) {
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? i18n.t('create.duration_hint', { duration: i18n.duration(n) }) : null;
}

/** A labelled input with its hint and error, wired with aria-describedby/aria-invalid. */
function Field({ id, label, hint, hintId, warning, error, wide, small, ...input }) {
  const described = [hintId, hint && `${id}-hint`, warning && `${id}-warning`, error && `${id}-error`].filter(Boolean).join(' ');
  return html`<div class=${`field${wide ? ' wide' : ''}${small ? ' small' : ''}`}>
    <label for=${id}>${label}</label>
    <input id=${id} name=${id} ...${input}
      aria-invalid=${error ? 'true' : undefined}
      aria-describedby=${described || undefined} />
    ${hint && html`<p id=${`${id}-hint`} class="hint">${hint}</p>`}
    ${warning && html`<p id=${`${id}-warning`} class="field-warning">${warning}</p>`}
    ${error && html`<p id=${`${id}-error`} class="field-error">${error}</p>`}
  </div>`;
}

/** The problems, listed with links to their fields; or the server's refusal. */
function ErrorSummary({ errors, serverError, summaryRef, editing }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  const focusField = (id) => (e) => {
    e.preventDefault();
    const el = document.getElementById(id);
    el?.focus();
    el?.scrollIntoView({ block: 'center' });
  };
  const visible = errors.length > 0 || serverError;
  return html`<div class=${visible ? 'error-summary' : ''} tabindex="-1" ref=${summaryRef}
      aria-labelledby=${visible ? 'error-summary-title' : undefined} role=${visible ? 'group' : undefined}>
    ${errors.length > 0 &&
    html`<h2 id="error-summary-title">${t('create.errors_title', { count: errors.length })}</h2>
      <ul>
        ${errors.map((e) => html`<li key=${e.id + e.message}><a href=${`#${e.id}`} onClick=${focusField(e.id)}>${e.message}</a></li>`)}
      </ul>`}
    ${errors.length === 0 &&
    serverError &&
    html`<h2 id="error-summary-title">${t(editing ? 'edit.server_refused' : 'create.server_refused')}</h2>
      <p>${serverErrorText(i18n, serverError)}</p>
      <p class="error-code">${t('error.code', { code: serverError.code })}</p>`}
  </div>`;
}

function serverErrorText(i18n, err) {
  if (err.code === 'network') return i18n.t('error.network');
  return err.message || i18n.t('error.unknown');
}
