//! The extra tabs of a multi-tab fan.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use waiting_room::wire::ClientMessage;
use waiting_room::TicketId;

use super::seen::{Seen, Step};
use crate::ctx::Ctx;
use crate::socket::{self, Incoming};

/// An extra tab of a multi-tab fan: joins on its own socket, must see the same
/// ticket, and waits until admitted or the fan is done.
pub(super) struct Tab {
    ctx: Arc<Ctx>,
    url: usize,
    session: String,
    ticket: Option<TicketId>,
}

pub(super) fn tab(ctx: Arc<Ctx>, url: usize, session: String, ticket: Option<TicketId>) -> Tab {
    Tab {
        ctx,
        url,
        session,
        ticket,
    }
}

impl Tab {
    pub(super) async fn run(self, done: CancellationToken, rose: Arc<AtomicBool>) {
        let ctx = &self.ctx;
        let Some(mut sock) =
            socket::open(ctx, self.url, &self.session, socket::Ask::default()).await
        else {
            return;
        };
        let mut seen = Seen {
            ticket: self.ticket.clone(),
            ..Seen::default()
        };
        if !sock.send(&ClientMessage::Join).await {
            return;
        }
        loop {
            let incoming = tokio::select! {
                _ = done.cancelled() => break,
                m = sock.next() => m,
            };
            match incoming {
                Incoming::Message(m) => match seen.handle(ctx, m, false) {
                    Step::Wait => {}
                    _ => break,
                },
                Incoming::Garbage(text) => ctx.tally.garbage(&text),
                Incoming::Closed(_) => {
                    if !done.is_cancelled() {
                        ctx.tally.error("tab_closed", false);
                    }
                    return;
                }
            }
        }
        if seen.rose {
            rose.store(true, Ordering::Relaxed);
        }
        sock.close().await;
    }
}
