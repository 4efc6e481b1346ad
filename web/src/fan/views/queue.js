// The fan's place before admission: the join button, the pre-queue, the line (people
// ahead, a wait range, progress from where the fan started), paused / sold out /
// resumed, the admission modes' messages (queue_all, and reject's maintenance page),
// and the ends (left with a way back, expired). The per-second figures are
// plain text; one polite status region speaks only when something meaningful changed.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { metrics } from '../metrics.js';
import { joinQueue, leaveQueue } from '../queue.js';
import { holding } from '../queue-reducer.js';
import { useI18n } from '../../shared/language.js';
import { withNext } from '../router.js';
import { useFanState, useNow, useUser } from '../store.js';
import { errorText, etaText } from './util.js';
import { lineGroup, presalesOf, PresaleCode } from './presale.js';

/** The code entry shows before the public opening of a sale with presale groups. */
const codeEntry = (event, now) => presalesOf(event).length > 0 && now < Date.parse(event.starts_at);

export function QueuePanel({ event, queue: q, saleState, available, availableAbout = null }) {
  const i18n = useI18n();
  const user = useUser();
  let body;
  if (user === undefined) body = html`<p class="muted">${i18n.t('common.loading')}</p>`;
  else if (!user) body = html`<${SignedOut} i18n=${i18n} />`;
  else if (saleState === 'closed' || q.phase === 'closed') body = html`<${Closed} i18n=${i18n} />`;
  else if (q.phase === 'prequeue') body = html`<${PreQueue} i18n=${i18n} event=${event} q=${q} />`;
  else if (q.phase === 'queued') body = html`<${InLine} i18n=${i18n} event=${event} q=${q} available=${available} availableAbout=${availableAbout} />`;
  else if (q.phase === 'left') body = html`<${Left} i18n=${i18n} event=${event} lost=${q.notice === 'place_lost'} />`;
  else if (q.phase === 'expired') body = html`<${Expired} i18n=${i18n} event=${event} />`;
  else if (admissionMode(event, q).mode === 'reject') body = html`<${Maintenance} i18n=${i18n} event=${event} q=${q} />`;
  else body = html`<${JoinBox} i18n=${i18n} event=${event} q=${q} saleState=${saleState} />`;
  return html`
    <section class="panel queue" aria-labelledby="queue-h">
      ${body}
      ${user && q.conn !== 'idle' && ['joining', 'prequeue', 'queued'].includes(q.phase) && html`<${Connection} i18n=${i18n} conn=${q.conn} />`}
      ${q.error && q.error !== 'join_needs_socket' && html`<p class="error" role="alert">${errorText(i18n, { code: q.error })}</p>`}
    </section>
  `;
}

/** The event's admission mode and the admin's message: as the socket (or a poll) last
 *  said, else as the event was read. */
export function admissionMode(event, q) {
  if (q.mode) return { mode: q.mode, message: q.modeMessage ?? null };
  return { mode: event?.admission?.mode ?? 'queue', message: event?.admission?.message ?? null };
}

/** Mode `reject`: the maintenance page. No join; a fan in line keeps the place (and
 *  sees the line with the same notice). */
function Maintenance({ i18n, event, q }) {
  const { message } = admissionMode(event, q);
  return html`
    <h2 id="queue-h">${i18n.t('queue.maintenanceTitle')}</h2>
    ${message && html`<p class="mode-message">${message}</p>`}
    <p role="status">${i18n.t('queue.maintenanceText')}</p>
  `;
}

/** In line while the mode holds admission (`queue_all`, `reject`): what the admin
 *  wrote, under a title of ours. */
function ModeNotice({ i18n, event, q }) {
  const { mode, message } = admissionMode(event, q);
  if (!holding(mode)) return null;
  const key = mode === 'reject' ? 'maintenance' : 'holding';
  return html`<div class="notice warn mode-notice">
    <p><strong>${i18n.t(`queue.${key}Title`)}</strong> ${i18n.t(`queue.${key}InLine`)}</p>
    ${message && html`<p class="mode-message">${message}</p>`}
  </div>`;
}

function Closed({ i18n }) {
  return html`
    <h2 id="queue-h">${i18n.t('queue.closedTitle')}</h2>
    <p role="status">${i18n.t('queue.closed')}</p>
    <p><a href="/">${i18n.t('queue.closedOther')}</a></p>
  `;
}

function SignedOut({ i18n }) {
  return html`
    <h2 id="queue-h">${i18n.t('queue.joinTitle')}</h2>
    <p>${i18n.t('queue.signInFirst')}</p>
    <p class="actions">
      <a class="button" href=${withNext('/signin')}>${i18n.t('nav.signIn')}</a>
      <a class="button secondary" href=${withNext('/signup')}>${i18n.t('nav.signUp')}</a>
    </p>
  `;
}

function JoinBox({ i18n, event, q, saleState }) {
  const now = useNow();
  const solving = q.phase === 'solving';
  const joining = q.phase === 'joining' || solving;
  const mode = admissionMode(event, q);
  return html`
    <h2 id="queue-h">${i18n.t('queue.joinTitle')}</h2>
    <p>${saleState === 'scheduled' ? i18n.t('queue.joinEarly') : i18n.t('queue.joinNow')}</p>
    ${saleState === 'sold_out' && html`<p class="notice">${i18n.t('queue.soldOutJoin')}</p>`}
    ${mode.mode === 'queue_all' && html`<div class="notice warn mode-notice">
      <p><strong>${i18n.t('queue.holdingTitle')}</strong> ${i18n.t('queue.holdingJoin')}</p>
      ${mode.message && html`<p class="mode-message">${mode.message}</p>`}
    </div>`}
    <p class="actions">
      <button type="button" class="primary big" disabled=${joining} onClick=${() => joinQueue(event.id)}>
        ${joining ? i18n.t('queue.joining') : i18n.t('queue.join')}
      </button>
    </p>
    ${solving && html`<${Solving} i18n=${i18n} percent=${q.powProgress ?? 0} />`}
    ${q.error === 'join_needs_socket' && html`<p class="notice">${i18n.t('error.join_needs_socket')}</p>`}
    ${(codeEntry(event, now) || q.presale) && html`<${PresaleCode} i18n=${i18n} event=${event} q=${q} />`}
  `;
}

/** The proof of work under way: honest progress (hashes tried against those expected). */
function Solving({ i18n, percent }) {
  return html`
    <div class="progress pow">
      <label for="pow-progress">${i18n.t('queue.solving', { percent: i18n.number(percent) })}</label>
      <progress id="pow-progress" max="100" value=${percent}>${percent}%</progress>
      <p class="muted">${i18n.t('queue.solvingWhy')}</p>
    </div>
  `;
}

function PreQueue({ i18n, event, q }) {
  const now = useNow();
  const startsAt = q.startsAt || Date.parse(event.starts_at);
  const announce = useAnnouncer(i18n, q, event);
  // In a group's line: the server's opening for the fan is the group's, not the public one.
  const group = lineGroup(event, q);
  return html`
    <h2 id="queue-h">${i18n.t('queue.prequeueTitle')}</h2>
    ${group && html`<p class="presale-line">${i18n.t('presale.inGroupLine', { name: group.name })}</p>`}
    <${ModeNotice} i18n=${i18n} event=${event} q=${q} />
    <p class="rule"><strong>${i18n.t('queue.prequeueRule')}</strong></p>
    <p class="countdown">
      <span class="countdown-label">${group ? i18n.t('presale.lineOpensIn', { name: group.name }) : i18n.t('queue.lineOpensIn')}</span>
      <span class="clock num">${i18n.clock((startsAt - now) / 1000)}</span>
    </p>
    ${((!q.presale && !group && codeEntry(event, now)) || q.presale?.moved) && html`<${PresaleCode} i18n=${i18n} event=${event} q=${q} />`}
    <p>${i18n.t('queue.keepOpen')}</p>
    <${DrawTicket} i18n=${i18n} event=${event} q=${q} />
    ${announce}
    <${LeaveButton} i18n=${i18n} event=${event} />
  `;
}

function InLine({ i18n, event, q, available, availableAbout }) {
  const announce = useAnnouncer(i18n, q, event);
  const ahead = q.ahead ?? 0;
  const first = Math.max(q.first ?? ahead, ahead);
  useEffect(() => {
    const m = metrics();
    if (m.firstPositionMs === null && typeof q.ahead === 'number') m.firstPositionMs = Math.round(performance.now());
  }, [q.ahead]);
  const done = first === 0 ? 1 : (first - ahead) / first;
  const held = holding(admissionMode(event, q).mode);
  const halted = q.paused || q.soldOut || held;
  return html`
    <h2 id="queue-h">${i18n.t('queue.inLineTitle')}</h2>
    <${ModeNotice} i18n=${i18n} event=${event} q=${q} />
    ${q.paused && html`<p class="notice warn"><strong>${i18n.t('queue.pausedTitle')}</strong> ${i18n.t('queue.pausedText')}</p>`}
    ${q.waitlist && html`<p class="notice warn"><strong>${waitlistText(i18n, ahead, q.soldOut ? 0 : available)}</strong> ${i18n.t('queue.waitlistText')}</p>`}
    ${!q.waitlist && q.soldOut && html`<p class="notice warn"><strong>${i18n.t('queue.soldOutTitle')}</strong> ${i18n.t('queue.soldOutText')}</p>`}
    ${!halted && !q.waitlist && q.notice === 'resumed' && html`<p class="notice ok"><strong>${i18n.t('queue.resumedTitle')}</strong> ${i18n.t('queue.resumedText')}</p>`}
    ${q.notice === 'place_lost' && html`<p class="notice warn" role="alert">${i18n.t('queue.placeLost')}</p>`}
    <div class="ahead">
      <span class="ahead-number num">${aheadNumber(i18n, q)}</span>
      <span class="ahead-label">${i18n.t('queue.peopleAhead', { count: shownAhead(q) })}</span>
    </div>
    <dl class="facts">
      <div><dt>${i18n.t('queue.estimatedWait')}</dt><dd>${halted ? i18n.t('queue.waitOnHold') : etaText(i18n, q.eta, q.etaLow, q.etaHigh, q.etaBasis)}</dd></div>
      ${typeof available === 'number' && html`<div><dt>${i18n.t('event.seatsLeft')}</dt><dd class="num">${typeof availableAbout === 'number' ? i18n.t('queue.aboutNumber', { n: i18n.number(availableAbout) }) : i18n.number(available)}</dd></div>`}
    </dl>
    <div class="progress">
      <label for="queue-progress">${i18n.t('queue.progress')}</label>
      <progress id="queue-progress" max=${Math.max(1, first)} value=${first === 0 ? 1 : first - ahead}></progress>
      <span class="hint">${i18n.t('queue.progressText', { percent: i18n.percent(done), first })}</span>
    </div>
    ${typeof available === 'number' && !q.soldOut && !q.waitlist && ahead > 0 && ahead >= available && html`<p class="hint">${i18n.t('queue.moreAheadThanSeats')}</p>`}
    <p>${i18n.t('queue.keepOpenLine')}</p>
    <${DrawTicket} i18n=${i18n} event=${event} q=${q} />
    ${announce}
    <${LeaveButton} i18n=${i18n} event=${event} />
  `;
}

/** Where the fan's draw is published: the public line's, or its presale group's. */
function drawUrl(event, q) {
  const group = lineGroup(event, q);
  const base = `/api/v1/events/${event.id}/prequeue`;
  return group?.id ? `${base}?presale=${encodeURIComponent(group.id)}` : base;
}

/** "Your ticket in the draw: 3f9a…", with where the draw is published (docs/FAIRNESS.md). */
function DrawTicket({ i18n, event, q }) {
  if (!q.pseudonym) return null;
  return html`<p class="hint draw-ticket">
    ${i18n.t('queue.drawTicket')} <code>${q.pseudonym}</code>.
    ${' '}<a href=${drawUrl(event, q)}>${i18n.t('queue.drawCheck')}</a>
  </p>`;
}

/** "Sold out — you are 37th on the waitlist; 2 seats came back": the place is
 *  people-ahead + 1, the seats back are the seats free now. */
export function waitlistText(i18n, ahead, free) {
  const position = i18n.ordinal(ahead + 1);
  const count = typeof free === 'number' ? free : 0;
  return count > 0 ? i18n.t('queue.waitlistBack', { position, count }) : i18n.t('queue.waitlistNone', { position });
}

function Left({ i18n, event, lost }) {
  return html`
    <h2 id="queue-h">${lost ? i18n.t('queue.placeLostTitle') : i18n.t('queue.leftTitle')}</h2>
    <p>${lost ? i18n.t('queue.placeLostLeft') : i18n.t('queue.leftText')}</p>
    <p class="actions"><button type="button" class="primary" onClick=${() => joinQueue(event.id)}>${i18n.t('queue.rejoin')}</button></p>
  `;
}

function Expired({ i18n, event }) {
  const order = useFanState().checkouts[event.id]?.order;
  return html`
    <h2 id="queue-h">${i18n.t('queue.expiredTitle')}</h2>
    <p>${order ? i18n.t('queue.expiredWithOrder') : i18n.t('queue.expiredText')}</p>
    <p class="actions"><a href="/orders">${i18n.t('nav.orders')}</a> <a href="/">${i18n.t('common.backToEvents')}</a></p>
  `;
}

/** Leaving loses the place: a second, explicit step. */
function LeaveButton({ i18n, event }) {
  const [asking, setAsking] = useState(false);
  const yes = useRef(null);
  useEffect(() => {
    if (asking) yes.current?.focus();
  }, [asking]);
  if (!asking) {
    return html`<p class="actions"><button type="button" class="secondary" onClick=${() => setAsking(true)}>${i18n.t('queue.leave')}</button></p>`;
  }
  return html`
    <div class="confirm" role="group" aria-labelledby="leave-q">
      <p id="leave-q">${i18n.t('queue.leaveConfirm')}</p>
      <p class="actions">
        <button type="button" class="danger" ref=${yes} onClick=${() => { leaveQueue(event.id); setAsking(false); }}>${i18n.t('queue.leaveYes')}</button>
        <button type="button" class="secondary" onClick=${() => setAsking(false)}>${i18n.t('queue.leaveNo')}</button>
      </p>
    </div>
  `;
}

function Connection({ i18n, conn }) {
  const key = { connecting: 'connecting', open: 'live', reconnecting: 'reconnecting', offline: 'offline', polling: 'polling' }[conn] || 'connecting';
  return html`<p class=${`conn conn-${key}`} role="status"><span class="dot" aria-hidden="true"></span>${i18n.t(`conn.${key}`)}</p>`;
}

/** People ahead as the fan is shown them: the server's rounded number deep in the
 *  line (it never rises), the exact one near the head. */
export function shownAhead(q) {
  return typeof q.aheadAbout === 'number' ? q.aheadAbout : q.ahead ?? 0;
}

/** The big number: "about 12,000" deep in the line, "37" near the head. */
function aheadNumber(i18n, q) {
  const n = i18n.number(shownAhead(q));
  return typeof q.aheadAbout === 'number' ? i18n.t('queue.aboutNumber', { n }) : n;
}

/** The sentence read out: "About 12,000 people are ahead of you." deep in the line. */
function aheadSentence(i18n, q) {
  const key = typeof q.aheadAbout === 'number' ? 'queue.peopleAheadAboutSentence' : 'queue.peopleAheadSentence';
  return i18n.t(key, { count: shownAhead(q) });
}

const THRESHOLDS = [1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];

/** Whether going from `before` to `after` people ahead is worth saying out loud. */
export function meaningful(before, after) {
  if (before === null || before === undefined) return true;
  if (after === before) return false;
  if (after === 0) return true;
  if (THRESHOLDS.some((t) => (before >= t) !== (after >= t))) return true;
  return Math.abs(after - before) >= 0.1 * before;
}

/**
 * The polite status region of the line: says the state when it changes, and
 * people-ahead only when `meaningful` (and at most every 5 s).
 */
function useAnnouncer(i18n, q, event) {
  const [text, setText] = useState('');
  const [retry, setRetry] = useState(0);
  const last = useRef({ kind: null, ahead: null, at: 0 });
  const { mode } = admissionMode(event, q);
  const kind = `${q.phase}|${q.paused}|${q.soldOut}|${q.waitlist}|${q.notice}|${mode}`;
  useEffect(() => {
    const l = last.current;
    const now = Date.now();
    let timer;
    const shown = typeof q.ahead === 'number' ? shownAhead(q) : null;
    const aheadText = shown === null ? '' : aheadSentence(i18n, q);
    if (kind !== l.kind) {
      let msg;
      if (holding(mode)) msg = `${i18n.t(mode === 'reject' ? 'queue.maintenanceTitle' : 'queue.holdingTitle')} ${aheadText}`;
      else if (q.phase === 'prequeue') msg = i18n.t('queue.prequeueTitle');
      else if (q.paused) msg = `${i18n.t('queue.pausedTitle')} ${aheadText}`;
      else if (q.waitlist) msg = waitlistText(i18n, q.ahead ?? 0, q.soldOut ? 0 : q.available);
      else if (q.soldOut) msg = `${i18n.t('queue.soldOutTitle')} ${aheadText}`;
      else if (q.notice === 'resumed') msg = `${i18n.t('queue.resumedTitle')} ${aheadText}`;
      else msg = aheadText || i18n.t('queue.inLineTitle');
      setText(msg);
      last.current = { kind, ahead: shown, at: now };
    } else if (q.phase === 'queued' && meaningful(l.ahead, shown)) {
      if (now - l.at >= 5000) {
        setText(aheadText);
        last.current = { kind, ahead: shown, at: now };
      } else {
        // Too soon after the last announcement: look again when it is not.
        timer = setTimeout(() => setRetry((r) => r + 1), 5000 - (now - l.at));
      }
    }
    return () => clearTimeout(timer);
  }, [kind, q.ahead, q.aheadAbout, i18n, retry]);
  return html`<p role="status" class="visually-hidden">${text}</p>`;
}
