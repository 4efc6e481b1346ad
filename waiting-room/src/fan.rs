//! What one fan sees, as a value: the room updates a fan's [`FanView`] through a
//! `tokio::sync::watch` channel, and each socket turns the difference between the view
//! it last sent and the latest one into protocol messages ([`messages`]). A slow
//! socket therefore never slows the room: it skips straight to the latest view.

use std::sync::Arc;

use crate::estimate::EtaRange;
use crate::shuffle::pseudonym;
use crate::wire::{datetime_ms, ServerMessage};
use crate::{AdmissionMode, TicketId};

/// Where the fan stands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum FanPhase {
    /// Connected, not (yet) in the queue.
    #[default]
    Idle,
    /// Waiting for its line's opening: `starts_at_ms` is that line's (the public
    /// one's, or the presale group `slot`'s; 0: public).
    Prequeue {
        ticket: TicketId,
        starts_at_ms: i64,
        slot: u8,
    },
    /// In line. `ahead` is exact and kept fresh on every push; `about`, `eta_secs` and
    /// `range` are what the fan is shown ([`crate::shown`]), and only a change of
    /// those (or of the shown exact number, near the head) is sent.
    Queued {
        ticket: TicketId,
        ahead: u64,
        eta_secs: u64,
        range: EtaRange,
        /// People-ahead rounded ([`crate::shown::about`]); `None`: `ahead` is shown.
        about: Option<u64>,
        /// When what the fan is shown last changed (Unix ms).
        shown_at_ms: i64,
    },
    Admitted {
        purchase_token: String,
        expires_at_ms: i64,
    },
    Expired,
    Left,
    /// The shopping session ended with these orders: no purchase token any more.
    Purchased {
        orders: Vec<String>,
    },
}

/// A fan's phase plus the event-wide flags every waiting fan is told about.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FanView {
    pub phase: FanPhase,
    pub paused: bool,
    /// No seat is free (all held or sold); admission waits for holds to lapse.
    pub sold_out: bool,
    /// Seats free, as of the room's last look (once a second; kept fresh without
    /// waking the sockets unless [`FanView::seats_wake`] changes).
    pub available: Option<u32>,
    /// The event sold out once: the fans still in line are its waitlist, and seats
    /// that come back (`available`) are offered to them in queue order.
    pub waitlist: bool,
    /// The event's admission mode and the admin's message for it (one `Arc` per
    /// change, shared by every fan's view).
    pub mode: AdmissionMode,
    pub message: Option<Arc<str>>,
}

impl FanView {
    /// Seats free as the fan is shown them ([`crate::shown::shown_ahead`]'s rule):
    /// only a change of this is sent.
    pub fn seats_shown(&self) -> Option<u64> {
        self.available
            .map(|a| crate::shown::shown_ahead(u64::from(a)))
    }

    /// Seats free to one significant figure (nearest: 37,400 is 40,000). A fan shown a
    /// rounded place ([`FanView::deep`]) is woken for seats left only when this moves;
    /// otherwise it hears the number shown along with its next `position`.
    pub fn seats_coarse(&self) -> Option<u64> {
        self.available.map(|a| crate::shown::coarse(u64::from(a)))
    }

    /// The fan is shown a rounded place (deep in the line) or waits for the opening:
    /// what it can do does not hang on every hundred seats sold.
    pub fn deep(&self) -> bool {
        matches!(
            self.phase,
            FanPhase::Prequeue { .. } | FanPhase::Queued { about: Some(_), .. }
        )
    }

    /// What a change of seats left is compared by to decide whether to wake the fan's
    /// sockets: [`FanView::seats_coarse`] for a deep fan, else
    /// [`FanView::seats_shown`].
    pub fn seats_wake(&self) -> Option<u64> {
        if self.deep() {
            self.seats_coarse()
        } else {
            self.seats_shown()
        }
    }

    /// Admission is stopped for this fan's event.
    pub fn halted(&self) -> bool {
        self.paused || self.sold_out
    }
}

/// The messages that take a fan's screen from `prev` to `next`.
pub fn messages(prev: &FanView, next: &FanView) -> Vec<ServerMessage> {
    let mut out = Vec::new();
    // The mode first: what the screen around the place says (a socket opening while
    // the mode is not `queue` hears it too, its `prev` being the default).
    if (prev.mode, &prev.message) != (next.mode, &next.message) {
        out.push(ServerMessage::Mode {
            mode: next.mode,
            message: next.message.as_deref().map(str::to_owned),
        });
    }
    // A fan who was told `paused` or `sold_out` always hears `resumed` when either is
    // lifted, before anything else (an admission may land in the same update). When
    // the other still holds admission, it is said again right after (below): clients
    // know only `resumed` as the end of a halt, so a pause lifted while the sale stays
    // sold out is `resumed` then `sold_out`, not silence.
    let lifted = (prev.paused && !next.paused) || (prev.sold_out && !next.sold_out);
    let resumed = lifted && prev.phase.is_waiting();
    if resumed {
        out.push(ServerMessage::Resumed);
    }
    match (&prev.phase, &next.phase) {
        (a, b) if a == b => {}
        (
            a @ FanPhase::Queued { ticket: t0, .. },
            b @ FanPhase::Queued {
                ticket,
                ahead,
                eta_secs,
                range,
                about,
                shown_at_ms,
            },
        ) if t0 == ticket => {
            if a.shown() != b.shown() {
                out.push(ServerMessage::Position {
                    ahead: *ahead,
                    eta_secs: *eta_secs,
                    range: *range,
                    ahead_about: *about,
                    changed_at_ms: Some(*shown_at_ms),
                });
            }
        }
        (_, FanPhase::Idle) => {}
        (
            _,
            FanPhase::Prequeue {
                ticket,
                starts_at_ms,
                ..
            },
        ) => out.push(ServerMessage::Prequeue {
            ticket: ticket.clone(),
            pseudonym: Some(pseudonym(ticket)),
            starts_at: datetime_ms(*starts_at_ms),
            sold_out: false,
            waitlist: false,
        }),
        (
            _,
            FanPhase::Queued {
                ticket,
                ahead,
                eta_secs,
                range,
                about,
                ..
            },
        ) => out.push(ServerMessage::Queued {
            ticket: ticket.clone(),
            pseudonym: Some(pseudonym(ticket)),
            ahead: *ahead,
            eta_secs: *eta_secs,
            range: *range,
            ahead_about: *about,
            sold_out: false,
            waitlist: false,
        }),
        (
            _,
            FanPhase::Admitted {
                purchase_token,
                expires_at_ms,
            },
        ) => out.push(ServerMessage::Admitted {
            purchase_token: purchase_token.clone(),
            expires_at: datetime_ms(*expires_at_ms),
        }),
        (_, FanPhase::Expired) => out.push(ServerMessage::Expired),
        (_, FanPhase::Purchased { orders }) => out.push(ServerMessage::Purchased {
            orders: orders.clone(),
        }),
        (_, FanPhase::Left) => out.push(ServerMessage::Left),
    }
    // `paused` goes to fans still waiting after the update, after their phase message.
    if next.paused && (!prev.paused || resumed) && next.phase.is_waiting() {
        out.push(ServerMessage::Paused);
    }
    if next.sold_out && (!prev.sold_out || resumed) && next.phase.is_waiting() {
        out.push(ServerMessage::SoldOut);
    }
    let in_line = matches!(
        next.phase,
        FanPhase::Prequeue { .. } | FanPhase::Queued { .. }
    );
    if next.waitlist && in_line && (!prev.waitlist || out.iter().any(is_place)) {
        out.push(ServerMessage::Waitlist);
    }
    // Seats left: a fan near the head hears every change of the number shown; a deep
    // fan hears it when it moves by one significant figure, and otherwise along with
    // its next `position` (it is sent in the same write, so it costs no message of its
    // own). A message that states the place always repeats it.
    if let Some(available) = next.available {
        let differs = prev.seats_shown() != next.seats_shown();
        let due = !next.deep()
            || prev.seats_coarse() != next.seats_coarse()
            || out
                .iter()
                .any(|m| matches!(m, ServerMessage::Position { .. }));
        if in_line && ((differs && due) || out.iter().any(is_place)) {
            out.push(ServerMessage::availability(available));
        }
    }
    out
}

/// The messages that take a fan's screen from `told` (what its socket has said so
/// far) to `next`, and `told` becomes what the fan now knows: `next`, but with the
/// seats left it was last told when this update does not say them ([`messages`]
/// holds a small change back from a deep fan until its next `position`).
pub fn tell(told: &mut FanView, next: FanView) -> Vec<ServerMessage> {
    let out = messages(told, &next);
    let available = told.available;
    *told = next;
    if !out
        .iter()
        .any(|m| matches!(m, ServerMessage::Availability { .. }))
    {
        told.available = available;
    }
    out
}

/// A message that (re)states the fan's place, after which availability is repeated.
fn is_place(m: &ServerMessage) -> bool {
    matches!(
        m,
        ServerMessage::Prequeue { .. } | ServerMessage::Queued { .. }
    )
}

impl FanPhase {
    /// What a queued fan is shown: people-ahead (rounded or exact), the wait and its
    /// range; `None` in any other phase. Two views that show the same need no message.
    pub fn shown(&self) -> Option<(u64, u64, EtaRange)> {
        match self {
            Self::Queued {
                ahead,
                eta_secs,
                range,
                about,
                ..
            } => Some((about.unwrap_or(*ahead), *eta_secs, *range)),
            _ => None,
        }
    }

    /// Not (yet) admitted, expired or gone.
    pub fn is_waiting(&self) -> bool {
        matches!(
            self,
            Self::Idle | Self::Prequeue { .. } | Self::Queued { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queued(ahead: u64) -> FanView {
        FanView {
            phase: FanPhase::Queued {
                ticket: TicketId("t".into()),
                ahead,
                eta_secs: ahead * 2,
                range: EtaRange::default(),
                about: crate::shown::about(ahead),
                shown_at_ms: 7,
            },
            paused: false,
            sold_out: false,
            available: None,
            waitlist: false,
            mode: AdmissionMode::Queue,
            message: None,
        }
    }

    #[test]
    fn a_mode_change_is_said_first_and_once() {
        let mut held = queued(3);
        held.mode = AdmissionMode::QueueAll;
        held.message = Some(Arc::from("Hold on."));
        let told = ServerMessage::Mode {
            mode: AdmissionMode::QueueAll,
            message: Some("Hold on.".into()),
        };
        assert_eq!(messages(&queued(3), &held), vec![told.clone()]);
        assert_eq!(messages(&held, &held.clone()), vec![], "nothing new");
        // A socket opening while the mode holds hears it before its place.
        let m = messages(&FanView::default(), &held);
        assert_eq!(m[0], told);
        assert!(matches!(m[1], ServerMessage::Queued { ahead: 3, .. }));
        // A new message in the same mode is said; back to queue, with no message.
        let mut reworded = held.clone();
        reworded.message = Some(Arc::from("Soon."));
        assert!(
            matches!(&messages(&held, &reworded)[..], [ServerMessage::Mode { message: Some(m), .. }] if m == "Soon.")
        );
        assert_eq!(
            messages(&held, &queued(3)),
            vec![ServerMessage::Mode {
                mode: AdmissionMode::Queue,
                message: None
            }]
        );
        assert_eq!(
            serde_json::to_string(&told).unwrap(),
            r#"{"type":"mode","mode":"queue_all","message":"Hold on."}"#
        );
    }

    #[test]
    fn availability_reaches_fans_in_line_on_change() {
        let mut a = queued(3);
        a.available = Some(40);
        let m = messages(&FanView::default(), &a);
        assert!(matches!(
            m[..],
            [
                ServerMessage::Queued { .. },
                ServerMessage::Availability {
                    available: 40,
                    available_about: None
                }
            ]
        ));
        assert!(messages(&a, &a).is_empty());
        let mut b = a.clone();
        b.available = Some(38);
        assert_eq!(messages(&a, &b), vec![ServerMessage::availability(38)]);
    }

    /// Seats left follow the same rule: exact under 1,000, rounded above, and only a
    /// change of the number shown is sent.
    #[test]
    fn seats_left_deep_in_a_big_sale_are_sent_when_the_rounded_number_moves() {
        let seats = |n: u32| FanView {
            available: Some(n),
            ..queued(3)
        };
        assert!(messages(&seats(38_012), &seats(37_950)).is_empty());
        assert_eq!(
            messages(&seats(37_950), &seats(37_400)),
            vec![ServerMessage::Availability {
                available: 37_400,
                available_about: Some(37_000)
            }]
        );
        assert_eq!(
            messages(&seats(1_000), &seats(999)),
            vec![ServerMessage::Availability {
                available: 999,
                available_about: None
            }]
        );
    }

    /// Deep in the line (a rounded place), seats left go out on their own only when
    /// they move by one significant figure; a smaller change waits for the fan's next
    /// `position` and rides in the same write. Near the head every change of the
    /// number shown is sent.
    #[test]
    fn a_deep_fan_hears_seats_left_with_its_position_or_when_they_move_a_lot() {
        let at = |ahead: u64, seats: u32| FanView {
            available: Some(seats),
            ..queued(ahead)
        };
        let mut told = at(40_000, 37_950);
        // 37,950 → 37,400: shown 38,000 → 37,000, same to one figure (40,000): held back.
        assert!(tell(&mut told, at(40_000, 37_400)).is_empty());
        assert_eq!(told.available, Some(37_950), "the fan still knows 37,950");
        assert_eq!(told.seats_wake(), Some(40_000));
        // The next position change says both.
        assert_eq!(
            tell(&mut told, at(30_000, 37_300)),
            vec![
                ServerMessage::Position {
                    ahead: 30_000,
                    eta_secs: 60_000,
                    range: EtaRange::default(),
                    ahead_about: Some(30_000),
                    changed_at_ms: Some(7),
                },
                ServerMessage::Availability {
                    available: 37_300,
                    available_about: Some(37_000)
                }
            ]
        );
        assert_eq!(told.available, Some(37_300));
        // A position change with seats left shown the same: no availability.
        assert_eq!(tell(&mut told, at(20_000, 37_250)).len(), 1);
        // Past a one-figure boundary (35,000): sent on its own.
        assert_eq!(
            tell(&mut told, at(20_000, 34_900)),
            vec![ServerMessage::Availability {
                available: 34_900,
                available_about: Some(35_000)
            }]
        );
        // Near the head (exact place) every change of the number shown is sent.
        let mut head = at(300, 37_950);
        assert_eq!(
            tell(&mut head, at(300, 37_400)),
            vec![ServerMessage::Availability {
                available: 37_400,
                available_about: Some(37_000)
            }]
        );
        assert_eq!(head.seats_wake(), Some(37_000));
        // Waiting for the opening counts as deep.
        let pre = FanView {
            phase: FanPhase::Prequeue {
                ticket: TicketId("t".into()),
                starts_at_ms: 1,
                slot: 0,
            },
            available: Some(37_400),
            ..FanView::default()
        };
        assert!(pre.deep() && !head.deep());
        assert_eq!(pre.seats_wake(), Some(40_000));
    }

    #[test]
    fn sold_out_then_reopened() {
        let mut gone = queued(3);
        gone.sold_out = true;
        assert_eq!(messages(&queued(3), &gone), vec![ServerMessage::SoldOut]);
        assert_eq!(messages(&gone, &queued(3)), vec![ServerMessage::Resumed]);
        let mut both = gone.clone();
        both.paused = true;
        // The pause lifted, still sold out: the fan's screen must drop "paused".
        assert_eq!(
            messages(&both, &gone),
            vec![ServerMessage::Resumed, ServerMessage::SoldOut]
        );
        // Seats back, still paused: it must drop "sold out".
        let mut paused = queued(3);
        paused.paused = true;
        assert_eq!(
            messages(&both, &paused),
            vec![ServerMessage::Resumed, ServerMessage::Paused]
        );
        // Neither lifted: nothing to say.
        assert!(messages(&both, &both).is_empty());
    }

    #[test]
    fn first_view_is_queued_then_positions() {
        let m = messages(&FanView::default(), &queued(5));
        assert!(matches!(m[..], [ServerMessage::Queued { ahead: 5, .. }]));
        let m = messages(&queued(5), &queued(3));
        assert_eq!(
            m,
            vec![ServerMessage::Position {
                ahead: 3,
                eta_secs: 6,
                range: EtaRange::default(),
                ahead_about: None,
                changed_at_ms: Some(7),
            }]
        );
        assert!(messages(&queued(3), &queued(3)).is_empty());
    }

    /// A deep fan's exact people-ahead moves on every push, but only a change of what
    /// it is shown is sent, and the message carries the fresh exact number too.
    #[test]
    fn deep_in_the_line_only_a_change_of_what_is_shown_is_sent() {
        let deep = |ahead: u64, shown_at_ms: i64| FanView {
            phase: FanPhase::Queued {
                ticket: TicketId("t".into()),
                ahead,
                eta_secs: 600,
                range: EtaRange::default(),
                about: crate::shown::about(ahead),
                shown_at_ms,
            },
            ..FanView::default()
        };
        assert!(messages(&deep(12_480, 1), &deep(12_390, 1)).is_empty());
        assert!(messages(&deep(12_480, 1), &deep(11_510, 1)).is_empty());
        assert_eq!(
            messages(&deep(11_510, 1), &deep(11_490, 2)),
            vec![ServerMessage::Position {
                ahead: 11_490,
                eta_secs: 600,
                range: EtaRange::default(),
                ahead_about: Some(11_000),
                changed_at_ms: Some(2),
            }]
        );
        // Near the head the number shown is the exact one: every change is sent.
        assert_eq!(messages(&deep(1_000, 1), &deep(999, 2)).len(), 1);
        assert_eq!(messages(&deep(999, 2), &deep(998, 3)).len(), 1);
        // The first message says both.
        let m = messages(&FanView::default(), &deep(12_480, 1));
        assert!(matches!(
            m[..],
            [ServerMessage::Queued {
                ahead: 12_480,
                ahead_about: Some(12_000),
                ..
            }]
        ));
    }

    #[test]
    fn pause_and_resume_reach_waiting_fans_only() {
        let mut paused = queued(3);
        paused.paused = true;
        assert_eq!(messages(&queued(3), &paused), vec![ServerMessage::Paused]);
        assert_eq!(messages(&paused, &queued(3)), vec![ServerMessage::Resumed]);
        let admitted = FanView {
            phase: FanPhase::Admitted {
                purchase_token: "x".into(),
                expires_at_ms: 0,
            },
            paused: true,
            sold_out: false,
            available: None,
            waitlist: false,
            ..FanView::default()
        };
        let m = messages(&queued(0), &admitted);
        assert!(matches!(m[..], [ServerMessage::Admitted { .. }]));
        // Resumed and admitted in one update: resumed first.
        let mut admitted_now = admitted.clone();
        admitted_now.paused = false;
        let m = messages(&paused, &admitted_now);
        assert!(matches!(
            m[..],
            [ServerMessage::Resumed, ServerMessage::Admitted { .. }]
        ));
        // Joining while paused: queued, then paused.
        let mut joined_paused = queued(7);
        joined_paused.paused = true;
        let m = messages(&FanView::default(), &joined_paused);
        assert!(matches!(
            m[..],
            [ServerMessage::Queued { .. }, ServerMessage::Paused]
        ));
    }

    #[test]
    fn a_purchase_replaces_the_token_and_the_waitlist_follows_the_place() {
        let admitted = FanView {
            phase: FanPhase::Admitted {
                purchase_token: "x".into(),
                expires_at_ms: 0,
            },
            ..FanView::default()
        };
        let bought = FanView {
            phase: FanPhase::Purchased {
                orders: vec!["o".into()],
            },
            ..FanView::default()
        };
        assert_eq!(
            messages(&admitted, &bought),
            vec![ServerMessage::Purchased {
                orders: vec!["o".into()]
            }]
        );
        assert!(!bought.phase.is_waiting());
        let mut waiting = queued(36);
        waiting.waitlist = true;
        waiting.sold_out = true;
        let m = messages(&FanView::default(), &waiting);
        assert!(matches!(
            m[..],
            [
                ServerMessage::Queued { ahead: 36, .. },
                ServerMessage::SoldOut,
                ServerMessage::Waitlist
            ]
        ));
        let mut came_back = queued(36);
        came_back.waitlist = true;
        came_back.available = Some(2);
        assert_eq!(
            messages(&waiting, &came_back),
            vec![ServerMessage::Resumed, ServerMessage::availability(2)]
        );
        // A buyer is not told about the waitlist.
        let mut bought_wl = bought.clone();
        bought_wl.waitlist = true;
        assert!(messages(&bought, &bought_wl).is_empty());
    }
}
