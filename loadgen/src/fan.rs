//! One fan's life in the queue: connect, join, wait (abandoning, dropping and
//! reconnecting, flooding or opening extra tabs as its behaviour says), and on
//! admission hand over to the checkout. Each fan is one task; its state is a few
//! numbers besides its socket.

mod seen;
mod tab;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use waiting_room::wire::{ClientMessage, ServerMessage};

use crate::behaviour::{Behaviour, Misbehaviour, Plan};
use crate::checkout;
use crate::ctx::Ctx;
use crate::socket::{self, Incoming, Sock};
use crate::tally::{now_us, FanRecord, Outcome};
use seen::{Seen, Step};
use tab::tab;

/// Plays one fan; `session` is its session token.
pub async fn run(ctx: Arc<Ctx>, plan: Plan, session: String) -> FanRecord {
    let url = plan.index as usize % ctx.targets.len();
    let arrived_us = now_us();
    let mut seen = Seen::default();
    seen.line.line = plan.line;
    let outcome = match ctx.codes.get(plan.index) {
        // A group's fan redeems its code first; refused, it does not join.
        Some(code)
            if !crate::presale::setup::redeem(&ctx, url, plan.index, &session, code).await =>
        {
            Err(Outcome::Failed)
        }
        Some(_) => {
            seen.line.redeemed = true;
            play(&ctx, &plan, &session, url, &mut seen).await
        }
        None => play(&ctx, &plan, &session, url, &mut seen).await,
    };
    ctx.tally.counters.done.fetch_add(1, Ordering::Relaxed);
    let admitted_ms = match &outcome {
        Ok((_, ms)) => Some(*ms),
        Err(_) => None,
    };
    FanRecord {
        behaviour: plan.behaviour,
        prequeue: seen.prequeue,
        arrived_us,
        sent_us: seen.sent_us,
        ack_us: seen.ack_us,
        admitted_ms,
        rose: seen.rose,
        eta: std::mem::take(&mut seen.eta),
        outcome: match outcome {
            Ok((o, _)) | Err(o) => o,
        },
        line: std::mem::take(&mut seen.line),
    }
}

/// Queue then checkout: `Ok((outcome, server admission ms))` when admitted.
async fn play(
    ctx: &Arc<Ctx>,
    plan: &Plan,
    session: &str,
    url: usize,
    seen: &mut Seen,
) -> Result<(Outcome, i64), Outcome> {
    let flooding = plan.behaviour == Behaviour::Misbehave(Misbehaviour::Flood);
    let pow = crate::pow::solution(ctx, url, session).await;
    // The join goes in the handshake (`?join=1`) unless told to send it as a frame.
    // It is sent when the frame is, or when the handshake's attempt began: the server
    // takes the place after that either way (the FIFO audit's `sent`), so a handshake
    // join's latency includes opening the socket.
    let ask = socket::Ask {
        pow: pow.as_deref(),
        join: !ctx.join_frame,
    };
    let mut sock = socket::open(ctx, url, session, ask)
        .await
        .ok_or(Outcome::Failed)?;
    seen.sent_us = if ctx.join_frame {
        now_us()
    } else {
        sock.attempt_us
    };
    if ctx.join_frame && !sock.send(&ClientMessage::Join).await {
        ctx.tally.error("send_failed", false);
        return Err(Outcome::Failed);
    }
    // Wait for the answer to join before anything else.
    let first = loop {
        let incoming = tokio::select! {
            _ = ctx.stop.cancelled() => return Err(Outcome::StillWaiting),
            _ = tokio::time::sleep(Duration::from_secs(30)) => {
                ctx.tally.error("no_join_answer", false);
                return Err(Outcome::Failed);
            }
            m = sock.next() => m,
        };
        match incoming {
            Incoming::Message(ServerMessage::Error { code, .. }) if code == "pow_required" => {
                // Expected only when told not to solve (the refusal is the point).
                ctx.tally.error(&code, !ctx.pow_solve);
                sock.close().await;
                return Err(Outcome::Failed);
            }
            Incoming::Message(m) => match seen.handle(ctx, m, flooding) {
                Step::Wait if seen.ack_us != 0 => break Step::Wait,
                Step::Wait => {}
                other => break other,
            },
            Incoming::Garbage(text) => ctx.tally.garbage(&text),
            Incoming::Closed(_) => {
                ctx.tally.error("ws_closed", false);
                return Err(Outcome::Failed);
            }
        }
    };
    let done = ctx.stop.child_token();
    let tabs_rose = Arc::new(AtomicBool::new(false));
    let waited = match first {
        Step::Wait => {
            ctx.tally.counters.waiting.fetch_add(1, Ordering::Relaxed);
            if plan.behaviour == Behaviour::Tabs {
                for _ in 1..ctx.tab_count {
                    let tab = tab(ctx.clone(), url, session.to_owned(), seen.ticket.clone());
                    tokio::spawn(tab.run(done.clone(), tabs_rose.clone()));
                }
            }
            if flooding {
                flood(&mut sock, ctx.flood_frames).await;
            }
            let result = wait(ctx, plan, session, url, sock, seen, flooding).await;
            ctx.tally.counters.waiting.fetch_sub(1, Ordering::Relaxed);
            result
        }
        other => {
            sock.close().await;
            other
        }
    };
    done.cancel();
    seen.rose |= tabs_rose.load(Ordering::Relaxed);
    match waited {
        Step::Admitted { token, expires_ms } => {
            let admitted_ms = expires_ms - ctx.session_ttl_ms;
            ctx.tally.counters.admitted.fetch_add(1, Ordering::Relaxed);
            let since = seen.sent_us.max(ctx.opens_at_us);
            let waited_ms = (now_us() - since).max(0) as u64 / 1000;
            ctx.tally
                .hists
                .lock()
                .expect("not poisoned")
                .admission_ms
                .record(waited_ms);
            let outcome = checkout::buy(ctx, plan, url, &token, session).await;
            Ok((outcome, admitted_ms))
        }
        Step::Left => Err(Outcome::Abandoned),
        Step::Expired => {
            ctx.tally.error("expired_while_waiting", false);
            Err(Outcome::Failed)
        }
        Step::Wait => Err(Outcome::StillWaiting),
    }
}

/// Sends a burst of joins with some garbage mixed in, as fast as the socket takes it.
async fn flood(sock: &mut Sock, frames: u32) {
    for i in 0..frames {
        let text = match i % 10 {
            3 => "{nope".to_owned(),
            7 => r#"{"type":"dance"}"#.to_owned(),
            _ => r#"{"type":"join"}"#.to_owned(),
        };
        if !sock.send_raw(text).await {
            return;
        }
    }
}

/// The waiting loop after the join was answered; the socket is closed on return.
#[allow(clippy::too_many_arguments)]
async fn wait(
    ctx: &Arc<Ctx>,
    plan: &Plan,
    session: &str,
    url: usize,
    mut sock: Sock,
    seen: &mut Seen,
    flooding: bool,
) -> Step {
    let far = Instant::now() + Duration::from_secs(365 * 24 * 3600);
    let mut abandon_at = match plan.behaviour {
        Behaviour::Abandon => Instant::now() + Duration::from_secs_f64(plan.abandon_after),
        _ => far,
    };
    let mut drops = plan.reconnect_after.iter();
    let reconnecting = plan.behaviour == Behaviour::Reconnect;
    let mut drop_at = match drops.next() {
        Some(s) if reconnecting => Instant::now() + Duration::from_secs_f64(*s),
        _ => far,
    };
    let mut storm_at = match ctx.storm_at {
        Some(at) if reconnecting => at,
        _ => far,
    };
    let mut unplanned = 0;
    let mut leaving = false;
    loop {
        let incoming = tokio::select! {
            _ = ctx.stop.cancelled(), if !leaving => {
                let _ = sock.send(&ClientMessage::Leave).await;
                sock.close().await;
                return Step::Wait;
            }
            _ = tokio::time::sleep_until(abandon_at) => {
                abandon_at = Instant::now() + Duration::from_secs(10);
                if leaving {
                    ctx.tally.error("leave_unanswered", false);
                    sock.close().await;
                    return Step::Left;
                }
                leaving = true;
                if !sock.send(&ClientMessage::Leave).await {
                    return Step::Left;
                }
                continue;
            }
            _ = tokio::time::sleep_until(drop_at.min(storm_at)) => {
                let storm = storm_at <= drop_at;
                if storm {
                    storm_at = far;
                } else {
                    drop_at = drops.next().map_or(far, |s| Instant::now() + Duration::from_secs_f64(*s));
                }
                sock.close().await;
                let pause = if storm { 50 } else { 300 };
                tokio::time::sleep(Duration::from_millis(u64::from(plan.index) % pause)).await;
                match socket::open(ctx, url, session, socket::Ask::default()).await {
                    Some(s) => sock = s,
                    None => return Step::Wait,
                }
                continue;
            }
            m = sock.next() => m,
        };
        match incoming {
            Incoming::Message(m) => match seen.handle(ctx, m, flooding) {
                Step::Wait => {}
                Step::Left if !leaving => {
                    ctx.tally.error("left_unasked", false);
                    sock.close().await;
                    return Step::Left;
                }
                step => {
                    sock.close().await;
                    return step;
                }
            },
            Incoming::Garbage(text) => ctx.tally.garbage(&text),
            Incoming::Closed(code) => {
                if ctx.stop.is_cancelled() {
                    return Step::Wait;
                }
                let code =
                    code.map_or_else(|| "ws_closed".to_owned(), |c| format!("ws_closed_{c}"));
                ctx.tally.error(&code, false);
                unplanned += 1;
                if unplanned > 5 {
                    return Step::Wait;
                }
                tokio::time::sleep(Duration::from_millis(200 * unplanned)).await;
                match socket::open(ctx, url, session, socket::Ask::default()).await {
                    Some(s) => sock = s,
                    None => return Step::Wait,
                }
            }
        }
    }
}
