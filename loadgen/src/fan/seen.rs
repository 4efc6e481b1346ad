//! What a fan has seen of its place in the queue, and what each server message means
//! for its waiting loop (checking along the way that its position never rises and
//! its ticket never changes).

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
    pub(super) rose: bool,
    pub(super) prequeue: bool,
    pub(super) sent_us: i64,
    pub(super) ack_us: i64,
    pub(super) last_position_us: i64,
    /// The wait estimates shown, for the report's accuracy figures.
    pub(super) eta: Track,
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

    pub(super) fn ahead(&mut self, ahead: u64) {
        if self.ahead.is_some_and(|before| ahead > before) {
            self.rose = true;
        }
        self.ahead = Some(ahead);
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
            ServerMessage::Prequeue { ticket, .. } => {
                self.ticket(ctx, &ticket);
                self.ack(ctx, true);
            }
            ServerMessage::Queued {
                ticket,
                ahead,
                eta_secs,
                range,
                ..
            } => {
                self.ticket(ctx, &ticket);
                self.ack(ctx, false);
                self.ahead(ahead);
                self.shown(ctx, ahead, eta_secs, range);
            }
            ServerMessage::Position {
                ahead,
                eta_secs,
                range,
            } => {
                let now = now_us();
                self.shown(ctx, ahead, eta_secs, range);
                if self.last_position_us != 0 {
                    ctx.tally.position_gap(now - self.last_position_us);
                }
                self.last_position_us = now;
                self.ahead(ahead);
            }
            ServerMessage::Admitted {
                purchase_token,
                expires_at,
            } => {
                self.ack(ctx, false);
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
