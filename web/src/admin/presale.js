// One sale's presale (docs/ARCHITECTURE.md, "Presales with access codes"): its groups,
// each a line of its own opening before the public sale (add, edit, delete), and each
// group's access codes (generate, upload a CSV, the list with their use, revoke after
// a confirmation, download as CSV).
import { html } from 'htm/preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { events as eventsApi } from '../shared/api.js';
import { useI18n } from '../shared/language.js';
import { adminApi } from './api.js';
import { codesCsv, codesFileName } from './presale-csv.js';
import { SaleLinks } from './sale-links.js';
import { parseLocalDateTime, toLocalDateTime, useTitle } from './util.js';
import { parseWhole } from './validate.js';

export const MAX_GROUPS = 8;
const NAME_MAX = 80;
const COUNT = [1, 10_000];
const USES = [1, 100_000];
const CSV_MAX_BYTES = 1024 * 1024;
const PAGE = 50;

export function Presale({ id, onAuthError }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  useTitle(t('presale.title'));
  const [event, setEvent] = useState(null);
  const [setup, setSetup] = useState(null);
  const [error, setError] = useState(null);
  const [message, setMessage] = useState(null);
  const [editing, setEditing] = useState(null);
  const [deleting, setDeleting] = useState(null);
  const [deleteError, setDeleteError] = useState(null);
  const [open, setOpen] = useState(null);

  const load = useCallback(async () => {
    try {
      const [ev, s] = await Promise.all([eventsApi.get(id), adminApi.presale(id)]);
      setEvent(ev);
      setSetup(s);
      setError(null);
    } catch (e) {
      if (!onAuthError(e)) setError(e);
    }
  }, [id, onAuthError]);
  useEffect(() => {
    load();
  }, [load]);

  const groups = setup ? [...setup.groups].sort((a, b) => Date.parse(a.opens_at) - Date.parse(b.opens_at)) : [];
  const opened = event && Date.now() >= Date.parse(event.starts_at);

  const remove = async (group) => {
    try {
      await adminApi.deletePresaleGroup(id, group.id);
      setDeleting(null);
      setDeleteError(null);
      if (open === group.id) setOpen(null);
      setMessage(['presale.deleted', { name: group.name }]);
      load();
    } catch (e) {
      if (onAuthError(e)) return;
      setDeleteError(
        e.code === 'presale_group_in_use'
          ? t('presale.in_use')
          : e.code === 'presale_started'
          ? t('presale.started')
          : t('presale.failed_action', { message: e.message, code: e.code }),
      );
    }
  };

  return html`<div class="presale">
    <p class="breadcrumb"><a href="/admin">${t('create.back')}</a></p>
    <div class="title-row">
      <h1 tabindex="-1">${t('presale.title')}</h1>
      <${SaleLinks} id=${id} current="presale" />
    </div>
    ${event && html`<p class="meta">${t('presale.meta', { name: event.name, opens: i18n.dateTime(Date.parse(event.starts_at)) })}</p>`}
    <p>${t('presale.intro')}</p>
    <p role="status" class="status-line">${message ? t(...message) : ''}</p>
    ${error && html`<p class="error-box" role="alert">${error.status === 404 ? t('dash.not_found_text') : t('presale.failed', { message: error.message })}</p>`}
    ${setup === null && !error && html`<p>${t('app.loading')}</p>`}
    ${setup && event && html`<section aria-labelledby="groups-title">
      <h2 id="groups-title">${t('presale.groups', { count: groups.length, max: MAX_GROUPS })}</h2>
      ${groups.length === 0
        ? html`<p>${t('presale.none')}</p>`
        : html`<div class="table-wrap"><table class="data-table cards">
            <thead><tr>
              <th scope="col">${t('presale.name')}</th>
              <th scope="col">${t('presale.opens')}</th>
              <th scope="col" class="num">${t('presale.codes_used')}</th>
              <th scope="col" class="num">${t('presale.fans')}</th>
              <th scope="col">${t('presale.actions')}</th>
            </tr></thead>
            <tbody>
              ${groups.map((g) => html`<tr key=${g.id}>
                <td data-label=${t('presale.name')} class="wrap"><strong>${g.name}</strong></td>
                <td data-label=${t('presale.opens')}><time datetime=${g.opens_at}>${i18n.dateTime(Date.parse(g.opens_at))}</time></td>
                <td data-label=${t('presale.codes_used')} class="num">${t('presale.used_of', { used: i18n.number(g.codes_used), count: g.codes })}</td>
                <td data-label=${t('presale.fans')} class="num">${i18n.number(g.fans)}</td>
                <td>
                  <span class="row-actions">
                    <button type="button" class="button secondary small" aria-expanded=${open === g.id ? 'true' : 'false'}
                      aria-label=${t('presale.show_codes_of', { name: g.name })} onClick=${() => setOpen(open === g.id ? null : g.id)}>${t('presale.show_codes')}</button>
                    <button type="button" class="button secondary small" aria-label=${t('presale.edit_of', { name: g.name })}
                      onClick=${() => { setEditing(g); setMessage(null); }}>${t('presale.edit')}</button>
                    <button type="button" class="button danger small" aria-label=${t('presale.delete_of', { name: g.name })}
                      onClick=${() => { setDeleting(g); setDeleteError(null); }}>${t('presale.delete')}</button>
                  </span>
                </td>
              </tr>`)}
            </tbody>
          </table></div>`}
    </section>`}
    ${deleting && html`<${Confirm} id="group-delete" title=${t('presale.delete_title', { name: deleting.name })} text=${t('presale.delete_text')}
      confirm=${t('presale.delete_confirm')} error=${deleteError} onConfirm=${() => remove(deleting)} onCancel=${() => setDeleting(null)} />`}
    ${editing && event && html`<section class="panel-box" aria-labelledby="group-edit-title">
      <h2 id="group-edit-title">${t('presale.edit_title', { name: editing.name })}</h2>
      <${GroupForm} key=${editing.id} prefix="edit-group" eventId=${id} event=${event} group=${editing} onAuthError=${onAuthError}
        onCancel=${() => setEditing(null)}
        onSaved=${(g) => { setEditing(null); setMessage(['presale.saved', { name: g.name }]); load(); }} />
    </section>`}
    ${setup && event && !opened && groups.length < MAX_GROUPS && html`<section aria-labelledby="group-add-title">
      <h2 id="group-add-title">${t('presale.add_title')}</h2>
      <${GroupForm} prefix="group" eventId=${id} event=${event} onAuthError=${onAuthError}
        onSaved=${(g) => { setMessage(['presale.added', { name: g.name }]); load(); }} />
    </section>`}
    ${setup && event && opened && html`<p class="notice">${t('presale.over')}</p>`}
    ${setup && groups.length >= MAX_GROUPS && html`<p class="notice">${t('presale.full', { max: MAX_GROUPS })}</p>`}
    ${open && groups.some((g) => g.id === open) && html`<${Codes} key=${open} eventId=${id} group=${groups.find((g) => g.id === open)}
      onChanged=${load} onAuthError=${onAuthError} />`}
  </div>`;
}

/** Adds a group (no `group`) or edits one: its name and opening, checked here first. */
function GroupForm({ prefix, eventId, event, group, onSaved, onCancel, onAuthError }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  const [name, setName] = useState(group?.name ?? '');
  const [opens, setOpens] = useState(group ? toLocalDateTime(Date.parse(group.opens_at)) : '');
  const [errors, setErrors] = useState({});
  const [refusal, setRefusal] = useState(null);
  const [busy, setBusy] = useState(false);
  const nameId = `${prefix}-name`;
  const opensId = `${prefix}-opens`;
  useEffect(() => {
    if (group) document.getElementById(nameId)?.focus();
  }, [group?.id]);

  const submit = async (e) => {
    e.preventDefault();
    const found = {};
    const trimmed = name.trim();
    if (!trimmed) found.name = t('presale.name_missing');
    else if ([...trimmed].length > NAME_MAX) found.name = t('validate.too_long', { field: t('presale.name'), max: NAME_MAX });
    const ms = parseLocalDateTime(opens);
    if (Number.isNaN(ms)) found.opens = t('presale.opens_missing');
    else if (ms >= Date.parse(event.starts_at)) found.opens = t('presale.opens_late', { opens: i18n.dateTime(Date.parse(event.starts_at)) });
    setErrors(found);
    setRefusal(null);
    if (found.name || found.opens) {
      document.getElementById(found.name ? nameId : opensId)?.focus();
      return;
    }
    const body = {};
    if (!group || trimmed !== group.name) body.name = trimmed;
    const iso = new Date(ms).toISOString();
    if (!group || ms !== Date.parse(group.opens_at)) body.opens_at = iso;
    if (group && Object.keys(body).length === 0) {
      onCancel?.();
      return;
    }
    setBusy(true);
    try {
      const saved = group
        ? await adminApi.editPresaleGroup(eventId, group.id, body)
        : await adminApi.createPresaleGroup(eventId, body);
      if (!group) {
        setName('');
        setOpens('');
      }
      onSaved(saved ?? { ...group, ...body });
    } catch (err) {
      if (!onAuthError(err)) setRefusal(groupRefusal(t, err));
    } finally {
      setBusy(false);
    }
  };

  const described = (key, hint) => [hint, errors[key] && `${prefix}-${key}-error`].filter(Boolean).join(' ') || undefined;
  return html`<form class="stack group-form" onSubmit=${submit} noValidate>
    <div class="field-grid">
      <div class="field">
        <label for=${nameId}>${t('presale.name')}</label>
        <input id=${nameId} type="text" maxlength=${NAME_MAX} value=${name} placeholder=${t('presale.name_example')}
          onInput=${(e) => setName(e.currentTarget.value)}
          aria-invalid=${errors.name ? 'true' : undefined} aria-describedby=${described('name', `${prefix}-name-hint`)} />
        <p id=${`${prefix}-name-hint`} class="hint">${t('presale.name_hint')}</p>
        ${errors.name && html`<p id=${`${prefix}-name-error`} class="field-error">${errors.name}</p>`}
      </div>
      <div class="field">
        <label for=${opensId}>${t('presale.opens')}</label>
        <input id=${opensId} type="datetime-local" value=${opens} onInput=${(e) => setOpens(e.currentTarget.value)}
          aria-invalid=${errors.opens ? 'true' : undefined} aria-describedby=${described('opens', `${prefix}-opens-hint`)} />
        <p id=${`${prefix}-opens-hint`} class="hint">${t('presale.opens_hint', { opens: i18n.dateTime(Date.parse(event.starts_at)) })}</p>
        ${errors.opens && html`<p id=${`${prefix}-opens-error`} class="field-error">${errors.opens}</p>`}
      </div>
    </div>
    ${refusal && html`<p class="error-text" role="alert">${refusal}</p>`}
    <div class="actions">
      <button type="submit" class="button" disabled=${busy}>${group ? t('presale.save') : t('presale.add')}</button>
      ${onCancel && html`<button type="button" class="button secondary" onClick=${onCancel}>${t('presale.cancel')}</button>`}
    </div>
  </form>`;
}

function groupRefusal(t, err) {
  switch (err.code) {
    case 'invalid_presale_group':
      return t('presale.invalid', { message: err.message });
    case 'presale_groups_full':
      return t('presale.full', { max: MAX_GROUPS });
    case 'presale_started':
      return t('presale.started');
    default:
      return t('presale.failed_action', { message: err.message, code: err.code });
  }
}

/**
 * A modal confirmation (the console's pattern: a `<dialog>`, Cancel focused as the
 * safe choice); Escape or Cancel calls `onCancel` and gives the focus back to where it
 * was. `error` shows inside it (e.g. a refusal of the action).
 */
function Confirm({ id, title, text, confirm, busy = false, error = null, onConfirm, onCancel }) {
  const i18n = useI18n();
  const dialog = useRef(null);
  const cancel = useRef(null);
  const opener = useRef(null);
  useEffect(() => {
    opener.current = document.activeElement;
    dialog.current?.showModal();
    cancel.current?.focus();
  }, []);
  const close = () => {
    // Closed first: while the modal is open, everything outside it is inert.
    dialog.current?.close();
    if (opener.current?.isConnected) opener.current.focus();
    onCancel();
  };
  return html`<dialog ref=${dialog} class="confirm" aria-labelledby=${`${id}-title`} aria-describedby=${`${id}-text`}
    onCancel=${(e) => { e.preventDefault(); close(); }}>
    <h2 id=${`${id}-title`}>${title}</h2>
    <p id=${`${id}-text`}>${text}</p>
    ${error && html`<p class="error-text" role="alert">${error}</p>`}
    <div class="actions">
      <button type="button" class="button danger" disabled=${busy} onClick=${onConfirm}>${confirm}</button>
      <button type="button" class="button secondary" ref=${cancel} onClick=${close}>${i18n.t('presale.cancel')}</button>
    </div>
  </dialog>`;
}

/** Offers `text` as a file download named `name`. */
function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A group's codes: generate, upload, the list (paged), revoke, download. */
function Codes({ eventId, group, onChanged, onAuthError }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  // `afters`: the cursor of each page shown so far (null for the first).
  const [afters, setAfters] = useState([null]);
  const [page, setPage] = useState(null);
  const [error, setError] = useState(null);
  const [message, setMessage] = useState(null);
  const [revoking, setRevoking] = useState(null);
  const [busy, setBusy] = useState(false);
  const after = afters[afters.length - 1];
  const titleId = `codes-title-${group.id}`;

  const load = useCallback(async () => {
    try {
      setPage(await adminApi.presaleCodes(eventId, { group: group.id, after, limit: PAGE }));
      setError(null);
    } catch (e) {
      if (!onAuthError(e)) setError(e);
    }
  }, [eventId, group.id, after, onAuthError]);
  useEffect(() => {
    load();
  }, [load]);

  const changed = (msg) => {
    setMessage(msg);
    setAfters([null]);
    load();
    onChanged();
  };

  const revoke = async (code) => {
    setBusy(true);
    try {
      await adminApi.revokeCode(eventId, code.code);
      setRevoking(null);
      setMessage(['presale.revoked', { code: code.code }]);
      load();
      onChanged();
    } catch (e) {
      if (!onAuthError(e)) setError(e);
    } finally {
      setBusy(false);
    }
  };

  const downloadAll = async () => {
    setBusy(true);
    try {
      const all = [];
      let cursor = null;
      do {
        const p = await adminApi.presaleCodes(eventId, { group: group.id, after: cursor, limit: 1000 });
        all.push(...p.codes);
        cursor = p.next_after ?? null;
      } while (cursor);
      download(codesFileName(group.name), codesCsv(all));
      setMessage(['presale.downloaded', { count: all.length, name: group.name }]);
    } catch (e) {
      if (!onAuthError(e)) setError(e);
    } finally {
      setBusy(false);
    }
  };

  return html`<section class="codes" aria-labelledby=${titleId}>
    <h2 id=${titleId}>${t('presale.codes_title', { name: group.name })}</h2>
    <div class="codes-tools">
      <${Generate} eventId=${eventId} group=${group} onAuthError=${onAuthError} onDone=${changed} />
      <${Upload} eventId=${eventId} group=${group} onAuthError=${onAuthError} onDone=${changed} />
    </div>
    <p role="status" class="status-line">${message ? t(...message) : ''}</p>
    ${error && html`<p class="error-box" role="alert">${t('presale.codes_failed', { message: error.message })}</p>`}
    ${page === null && !error && html`<p>${t('app.loading')}</p>`}
    ${page && html`<div class="stack">
      <h3>${t('presale.list_title', { count: group.codes, used: group.codes_used })}</h3>
      <p class="actions">
        <button type="button" class="button secondary small" onClick=${() => { load(); onChanged(); }}>${t('presale.refresh')}</button>
        <button type="button" class="button secondary small" disabled=${busy || group.codes === 0} onClick=${downloadAll}>${t('presale.download')}</button>
      </p>
      ${page.codes.length === 0
        ? html`<p>${t('presale.no_codes')}</p>`
        : html`<div class="table-wrap"><table class="data-table cards">
            <caption class="visually-hidden">${t('presale.codes_title', { name: group.name })}</caption>
            <thead><tr>
              <th scope="col">${t('presale.code')}</th>
              <th scope="col" class="num">${t('presale.uses')}</th>
              <th scope="col">${t('presale.first_account')}</th>
              <th scope="col">${t('presale.first_used')}</th>
              <th scope="col">${t('presale.state')}</th>
              <th scope="col">${t('presale.actions')}</th>
            </tr></thead>
            <tbody>
              ${page.codes.map((c) => html`<tr key=${c.code} class=${c.revoked ? 'revoked' : undefined}>
                <td data-label=${t('presale.code')}><code class="access-code">${c.code}</code></td>
                <td data-label=${t('presale.uses')} class="num">${t('presale.uses_of', { uses: i18n.number(c.uses), max: i18n.number(c.max_uses) })}</td>
                <td data-label=${t('presale.first_account')} class="wrap">${c.first_email ?? '—'}</td>
                <td data-label=${t('presale.first_used')}>${c.first_used_at ? html`<time datetime=${c.first_used_at}>${i18n.dateTime(Date.parse(c.first_used_at))}</time>` : '—'}</td>
                <td data-label=${t('presale.state')}>${c.revoked ? t('presale.state_revoked') : c.uses >= c.max_uses ? t('presale.state_used_up') : t('presale.state_active')}</td>
                <td>${!c.revoked && html`<button type="button" class="button danger small" aria-label=${t('presale.revoke_of', { code: c.code })}
                  onClick=${() => setRevoking(c)}>${t('presale.revoke')}</button>`}</td>
              </tr>`)}
            </tbody>
          </table></div>`}
      <div class="pager">
        ${afters.length > 1 && html`<button type="button" class="button secondary small" onClick=${() => setAfters(afters.slice(0, -1))}>${t('presale.previous')}</button>`}
        ${page.next_after != null && html`<button type="button" class="button secondary small" onClick=${() => setAfters([...afters, page.next_after])}>${t('presale.next')}</button>`}
      </div>
    </div>`}
    ${revoking && html`<${Confirm} id="revoke" title=${t('presale.revoke_title', { code: revoking.code })} text=${t('presale.revoke_text')}
      confirm=${t('presale.revoke_confirm')} busy=${busy} onConfirm=${() => revoke(revoking)} onCancel=${() => setRevoking(null)} />`}
  </section>`;
}

function Generate({ eventId, group, onDone, onAuthError }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  const [count, setCount] = useState('100');
  const [uses, setUses] = useState('1');
  const [errors, setErrors] = useState({});
  const [refusal, setRefusal] = useState(null);
  const [made, setMade] = useState(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e) => {
    e.preventDefault();
    const n = parseWhole(count, ...COUNT);
    const u = parseWhole(uses, ...USES);
    const found = {};
    if (n === undefined) found.count = t('validate.range', { field: t('presale.count'), min: COUNT[0], max: COUNT[1] });
    if (u === undefined) found.uses = t('validate.range', { field: t('presale.max_uses'), min: USES[0], max: USES[1] });
    setErrors(found);
    setRefusal(null);
    if (found.count || found.uses) {
      document.getElementById(found.count ? 'codes-count' : 'codes-uses')?.focus();
      return;
    }
    setBusy(true);
    try {
      const { codes } = await adminApi.generateCodes(eventId, group.id, { count: n, max_uses: u });
      setMade({ codes, maxUses: u });
      onDone(['presale.generated', { count: codes.length, name: group.name }]);
    } catch (err) {
      if (!onAuthError(err)) setRefusal(t('presale.failed_action', { message: err.message, code: err.code }));
    } finally {
      setBusy(false);
    }
  };
  const err = (key, id) => errors[key] && html`<p id=${`${id}-error`} class="field-error">${errors[key]}</p>`;
  return html`<form class="stack group" onSubmit=${submit} noValidate aria-labelledby="generate-title">
    <h3 id="generate-title">${t('presale.generate_title')}</h3>
    <div class="field-grid">
      <div class="field">
        <label for="codes-count">${t('presale.count')}</label>
        <input id="codes-count" type="number" inputmode="numeric" min=${COUNT[0]} max=${COUNT[1]} step="1" value=${count}
          onInput=${(e) => setCount(e.currentTarget.value)} aria-invalid=${errors.count ? 'true' : undefined}
          aria-describedby=${errors.count ? 'codes-count-error' : undefined} />
        ${err('count', 'codes-count')}
      </div>
      <div class="field">
        <label for="codes-uses">${t('presale.max_uses')}</label>
        <input id="codes-uses" type="number" inputmode="numeric" min=${USES[0]} max=${USES[1]} step="1" value=${uses}
          onInput=${(e) => setUses(e.currentTarget.value)} aria-invalid=${errors.uses ? 'true' : undefined}
          aria-describedby=${errors.uses ? 'codes-uses-hint codes-uses-error' : 'codes-uses-hint'} />
        <p id="codes-uses-hint" class="hint">${t('presale.max_uses_hint')}</p>
        ${err('uses', 'codes-uses')}
      </div>
    </div>
    ${refusal && html`<p class="error-text" role="alert">${refusal}</p>`}
    <div class="actions"><button type="submit" class="button" disabled=${busy}>${t('presale.generate')}</button></div>
    ${made && html`<div class="field">
      <label for="codes-new">${t('presale.new_codes', { count: made.codes.length })}</label>
      <textarea id="codes-new" class="codes-new" rows="4" readonly spellcheck="false" onFocus=${(e) => e.currentTarget.select()}>${made.codes.join('\n')}</textarea>
      <p class="actions">
        <button type="button" class="button secondary small"
          onClick=${() => download(codesFileName(group.name), codesCsv(made.codes.map((code) => ({ code, max_uses: made.maxUses, uses: 0, revoked: false }))))}>${t('presale.download_new')}</button>
      </p>
    </div>`}
  </form>`;
}

function Upload({ eventId, group, onDone, onAuthError }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  const [file, setFile] = useState(null);
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  const input = useRef(null);

  const submit = async (e) => {
    e.preventDefault();
    setProblem(null);
    if (!file) {
      setProblem(t('presale.csv_missing'));
      input.current?.focus();
      return;
    }
    if (file.size > CSV_MAX_BYTES) {
      setProblem(t('presale.csv_too_big'));
      input.current?.focus();
      return;
    }
    setBusy(true);
    try {
      const { added, duplicates } = await adminApi.uploadCodes(eventId, group.id, await file.text());
      setFile(null);
      if (input.current) input.current.value = '';
      onDone(['presale.uploaded', { count: added, duplicates, name: group.name }]);
    } catch (err) {
      if (onAuthError(err)) return;
      setProblem(err.code === 'invalid_csv' ? t('presale.csv_invalid', { message: err.message }) : t('presale.failed_action', { message: err.message, code: err.code }));
      input.current?.focus();
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="stack group" onSubmit=${submit} noValidate aria-labelledby="upload-title">
    <h3 id="upload-title">${t('presale.upload_title')}</h3>
    <div class="field">
      <label for="codes-csv">${t('presale.csv')}</label>
      <input id="codes-csv" ref=${input} type="file" accept=".csv,text/csv,text/plain"
        onChange=${(e) => { setFile(e.currentTarget.files?.[0] ?? null); setProblem(null); }}
        aria-invalid=${problem ? 'true' : undefined} aria-describedby=${problem ? 'codes-csv-hint codes-csv-error' : 'codes-csv-hint'} />
      <p id="codes-csv-hint" class="hint">${t('presale.csv_hint')}</p>
      ${problem && html`<p id="codes-csv-error" class="field-error" role="alert">${problem}</p>`}
    </div>
    <div class="actions"><button type="submit" class="button" disabled=${busy}>${t('presale.upload')}</button></div>
  </form>`;
}
