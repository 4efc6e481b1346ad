//! What a fan has seen of its place in the queue, and what each server message means
//! for its waiting loop (checking along the way that its position never rises, the
//! exact number where sent and the number shown, rounded deep in the line, and that
//! its ticket never changes). Records the gap between `position` messages, the gap
//! near the head (where every change is sent) and how late each message came after
//! the server's change (`changed_at_ms`).

use waiting_room::estimate::EtaRange;
use waiting_room::wire::ServerMessage;
use waiting_room::TicketId;

use crate::ctx::Ctx;
use crate::estimates::{Shown, Track};
use crate::tally::now_us;

/// Error frames a flooding fan provokes on purpose.
const FLOOD_CODES: [&str; 4] = [
    "rate_limited",
    "invalid_json",
    "unknown_type",
    "invalid_message",
];

/// What the fan has seen of its place in the queue.
#[derive(Default)]
pub(super) struct Seen {
    pub(super) ticket: Option<TicketId>,
    pub(super) ahead: Option<u64>,
    /// People-ahead as the fan is shown it (`ahead_about`, else `ahead`).
    pub(super) shown: Option<u64>,
    pub(super) rose: bool,
    pub(super) prequeue: bool,
    pub(super) sent_us: i64,
    pub(super) ack_us: i64,
    pub(super) last_position_us: i64,
    /// The last `position` message showed the exact number (near the head).
    pub(super) last_exact: bool,
    /// The wait estimates shown, for the report's accuracy figures.
    pub(super) eta: Track,
    /// What it saw of its line (the presale audit's).
    pub(super) line: crate::presale::kinds::Saw,
}

/// What a message means for the waiting loop.
pub(super) enum Step {
    Wait,
    Admitted { token: String, expires_ms: i64 },
    Left,
    Expired,
}

impl Seen {
    pub(super) fn ticket(&mut self, ctx: &Ctx, ticket: &TicketId) {
        match &self.ticket {
            None => self.ticket = Some(ticket.clone()),
            Some(t) if t != ticket => ctx.tally.error("ticket_changed", false),
            Some(_) => {}
        }
    }

    /// The exact people-ahead and the number shown (`about`, or the exact one): a
    /// rise of either is a position that rose.
    pub(super) fn ahead(&mut self, ahead: u64, about: Option<u64>) {
        let shown = about.unwrap_or(ahead);
        if self.ahead.is_some_and(|before| ahead > before)
            || self.shown.is_some_and(|before| shown > before)
        {
            self.rose = true;
        }
        self.ahead = Some(ahead);
        self.shown = Some(shown);
    }

    fn shown(&mut self, ctx: &Ctx, ahead: u64, eta_secs: u64, range: EtaRange) {
        let shown = Shown {
            at_us: now_us(),
            ahead,
            eta_secs,
            range,
        };
        self.eta.saw(shown, ctx.rate_change_at_us);
    }

    /// A message giving the fan a place in line: the first one's time.
    fn placed(&mut self) {
        if self.line.sequenced_us == 0 {
            self.line.sequenced_us = now_us();
        }
    }

    fn pseudonym(&mut self, pseudonym: Option<String>) {
        if self.line.pseudonym.is_none() {
            self.line.pseudonym = pseudonym;
        }
    }

    /// The first answer to the first join.
    pub(super) fn ack(&mut self, ctx: &Ctx, prequeue: bool) {
        if self.ack_us == 0 && self.sent_us != 0 {
            self.ack_us = now_us();
            self.prequeue = prequeue;
            ctx.tally.joined();
        }
    }

    pub(super) fn handle(&mut self, ctx: &Ctx, message: ServerMessage, flooding: bool) -> Step {
        match message {
            ServerMessage::Prequeue {
                ticket,
                pseudonym,
                starts_at,
                ..
            } => {
                self.ticket(ctx, &ticket);
                self.ack(ctx, true);
                self.pseudonym(pseudonym);
                let at = (starts_at.unix_timestamp_nanos() / 1_000_000) as i64;
                match self.line.starts_at_ms {
                    None => self.line.starts_at_ms = Some(at),
                    Some(told) if told != at => self.line.starts_at_changed = true,
                    Some(_) => {}
                }
            }
            ServerMessage::Queued {
                ticket,
                pseudonym,
                ahead,
                eta_secs,
                range,
                ahead_about,
                ..
            } => {
                self.ticket(ctx, &ticket);
                self.ack(ctx, false);
                self.placed();
                self.pseudonym(pseudonym);
                self.ahead(ahead, ahead_about);
                self.shown(ctx, ahead, eta_secs, range);
            }
            ServerMessage::Position {
                ahead,
                eta_secs,
                range,
                ahead_about,
                changed_at_ms,
            } => {
                let now = now_us();
                self.placed();
                self.shown(ctx, ahead, eta_secs, range);
                // Near the head by the exact number, so the figure means the same
                // against servers that send no `ahead_about`.
                let exact = ahead < waiting_room::shown::EXACT_BELOW;
                if self.last_position_us != 0 {
                    let gap = now - self.last_position_us;
                    ctx.tally.position_gap(gap, exact && self.last_exact);
                }
                if let Some(at_ms) = changed_at_ms {
                    ctx.tally.position_staleness(now - at_ms * 1000);
                }
                self.last_position_us = now;
                self.last_exact = exact;
                self.ahead(ahead, ahead_about);
            }
            ServerMessage::Admitted {
                purchase_token,
                expires_at,
            } => {
                self.ack(ctx, false);
                self.placed();
                if self.eta.admitted_us == 0 {
                    self.eta.admitted_us = now_us();
                }
                return Step::Admitted {
                    token: purchase_token,
                    expires_ms: (expires_at.unix_timestamp_nanos() / 1_000_000) as i64,
                };
            }
            ServerMessage::Left => return Step::Left,
            ServerMessage::Expired => return Step::Expired,
            ServerMessage::Error { code, .. } => {
                let expected = flooding && FLOOD_CODES.contains(&code.as_str());
                ctx.tally.error(&code, expected);
            }
            // `paused`, `resumed`, `sold_out` and any newer informational message: the
            // fan keeps waiting.
            #[allow(unreachable_patterns)]
            _ => {}
        }
        Step::Wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The audit's rule on both numbers: the exact one where sent, and the one shown
    /// (rounded deep in the line).
    #[test]
    fn a_rise_of_the_exact_or_of_the_shown_number_is_a_position_that_rose() {
        let mut seen = Seen::default();
        seen.ahead(12_480, Some(12_000));
        seen.ahead(11_490, Some(11_000));
        seen.ahead(999, None);
        seen.ahead(998, None);
        assert!(!seen.rose);
        // The number shown rose though the exact one fell.
        let mut seen = Seen::default();
        seen.ahead(11_490, Some(11_000));
        seen.ahead(11_480, Some(12_000));
        assert!(seen.rose);
        // The exact one rose behind an unchanged rounded number.
        let mut seen = Seen::default();
        seen.ahead(11_490, Some(11_000));
        seen.ahead(11_495, Some(11_000));
        assert!(seen.rose);
        // Rounded, then exact above the rounded value: 1,040 shown as about 1,000,
        // then 1,020 shown exactly would rise; the server never does this (exact only
        // below 1,000), and the audit would say so.
        let mut seen = Seen::default();
        seen.ahead(1_040, Some(1_000));
        seen.ahead(1_020, None);
        assert!(seen.rose);
    }
}
