//! An admitted fan at the checkout: misbehaviours first (each expecting its 4xx), then
//! a hold of K seats (best-available or specific seats from the seat snapshot, retried
//! on conflicts), a confirm (retried on a lost answer: confirm is idempotent), and for
//! replaying fans a second confirm and a hold past the token's `max_seats`.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::StdRng;
use rand::SeedableRng;
use reqwest::Method;
use serde_json::{json, Value};

use crate::api::Reply;
use crate::behaviour::{Behaviour, Misbehaviour, Plan};
use crate::ctx::Ctx;
use crate::tally::{now_us, Outcome};

const TIMEOUT: Duration = Duration::from_secs(30);
/// Hold attempts before giving up on conflicts.
const HOLD_ATTEMPTS: usize = 4;

/// Buys with purchase token `token`; `session` is the fan's session token.
pub async fn buy(ctx: &Arc<Ctx>, plan: &Plan, url: usize, token: &str, session: &str) -> Outcome {
    let base = &ctx.targets[url].base;
    let holds = format!("{base}/api/v1/events/{}/holds", ctx.event);
    let best = json!({"quantity": ctx.quantity});
    match plan.behaviour {
        Behaviour::Misbehave(Misbehaviour::Forged) => {
            let me = Some(session);
            refused(ctx, &holds, &forge(token), me, &best, &["invalid_token"]).await;
            refused(ctx, &holds, session, me, &best, &["invalid_token"]).await;
            // The real token without its account's session (as a thief holds it).
            let alone = ["token_account_mismatch"];
            refused(ctx, &holds, token, None, &best, &alone).await;
        }
        Behaviour::Misbehave(Misbehaviour::OtherEvent) => {
            let other = format!("{base}/api/v1/events/{}/holds", ctx.decoy);
            refused(
                ctx,
                &other,
                token,
                Some(session),
                &json!({"quantity": 1}),
                &["wrong_event"],
            )
            .await;
        }
        _ => {}
    }
    let mut rng = StdRng::seed_from_u64(ctx.seed ^ u64::from(plan.index) ^ 0x5EA7);
    let mut held = None;
    for attempt in 0..HOLD_ATTEMPTS {
        let mut body = best.clone();
        if plan.specific {
            if let Some(seats) = ctx
                .seat_map(url, attempt > 0)
                .await
                .pick_block(ctx.quantity, &mut rng)
            {
                body = json!({"seats": seats});
            }
        }
        let sent = now_us();
        let Some(reply) = call(ctx, Method::POST, &holds, token, Some(session), Some(&body)).await
        else {
            return Outcome::CheckoutFailed;
        };
        record(ctx, &reply, |h| &mut h.hold_us);
        match (reply.status, reply.code().as_str()) {
            (201, _) => {
                ctx.tally.held(sent, now_us());
                held = Some(reply.body);
                break;
            }
            (409, code @ "seats_unavailable") => ctx.tally.error(code, true),
            (410, code @ "sold_out") => {
                ctx.tally.error(code, true);
                return Outcome::NoSeats;
            }
            (status, code) => {
                ctx.tally.http_error(status, code, false);
                return Outcome::CheckoutFailed;
            }
        }
    }
    let Some(hold) = held else {
        return Outcome::NoSeats;
    };
    let hold_id = hold["hold_id"].as_str().unwrap_or_default().to_owned();
    let confirm_url = format!("{base}/api/v1/holds/{hold_id}/confirm");
    let Some(order) = confirm(ctx, &confirm_url, token, session).await else {
        return Outcome::CheckoutFailed;
    };
    let seats: Vec<String> = order["seats"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if seats.len() != ctx.quantity as usize {
        ctx.tally.error("order_seat_count", false);
    }
    ctx.tally.confirmed(seats);
    if plan.behaviour == Behaviour::Misbehave(Misbehaviour::Replay) {
        replay(ctx, &holds, &confirm_url, token, session, &order).await;
    }
    Outcome::Bought
}

/// Confirms, retrying a lost answer or a 5xx; the order on success.
async fn confirm(ctx: &Arc<Ctx>, url: &str, token: &str, session: &str) -> Option<Value> {
    for _ in 0..3 {
        let Some(reply) = call(ctx, Method::POST, url, token, Some(session), None).await else {
            continue;
        };
        record(ctx, &reply, |h| &mut h.confirm_us);
        if reply.status == 200 {
            return Some(reply.body);
        }
        ctx.tally.http_error(reply.status, &reply.code(), false);
        if reply.status < 500 {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    None
}

/// Replays: the same confirm must give the same order; a hold past `max_seats` must
/// be refused.
async fn replay(
    ctx: &Arc<Ctx>,
    holds: &str,
    confirm_url: &str,
    token: &str,
    session: &str,
    order: &Value,
) {
    if let Some(reply) = call(ctx, Method::POST, confirm_url, token, Some(session), None).await {
        if reply.status != 200 {
            ctx.tally.http_error(reply.status, &reply.code(), false);
        } else if reply.body["order_id"] != order["order_id"] {
            ctx.tally.error("confirm_not_idempotent", false);
        }
    }
    let extra = ctx.max_seats.saturating_sub(ctx.quantity) + 1;
    let body = json!({"quantity": extra});
    refused(
        ctx,
        holds,
        token,
        Some(session),
        &body,
        &[
            "token_exhausted",
            "session_ended",
            "sold_out",
            "seats_unavailable",
        ],
    )
    .await;
}

/// A request that must be refused with one of `codes`; if the server accepts a hold
/// it should not have, that is counted and the hold released.
async fn refused(
    ctx: &Arc<Ctx>,
    url: &str,
    token: &str,
    session: Option<&str>,
    body: &Value,
    codes: &[&str],
) {
    let Some(reply) = call(ctx, Method::POST, url, token, session, Some(body)).await else {
        return;
    };
    let code = reply.code();
    if reply.ok() {
        ctx.tally.error("misbehaviour_accepted", false);
        if let Some(id) = reply.body["hold_id"].as_str() {
            let base = url.split("/api/").next().unwrap_or_default();
            let _ = call(
                ctx,
                Method::DELETE,
                &format!("{base}/api/v1/holds/{id}"),
                token,
                session,
                None,
            )
            .await;
        }
    } else {
        ctx.tally
            .http_error(reply.status, &code, codes.contains(&code.as_str()));
    }
}

/// One request; a lost answer is counted and gives `None`.
async fn call(
    ctx: &Ctx,
    method: Method,
    url: &str,
    token: &str,
    session: Option<&str>,
    body: Option<&Value>,
) -> Option<Reply> {
    match ctx
        .http
        .send_with_session(method, url, Some(token), session, body, TIMEOUT)
        .await
    {
        Ok(reply) => Some(reply),
        Err(failure) => {
            ctx.tally.error(failure.code(), false);
            None
        }
    }
}

fn record(
    ctx: &Ctx,
    reply: &Reply,
    which: impl FnOnce(&mut crate::tally::Hists) -> &mut crate::report::Hist,
) {
    let mut hists = ctx.tally.hists.lock().expect("not poisoned");
    which(&mut hists).record(reply.elapsed.as_micros() as u64);
}

/// The purchase token with its claims edited to have expired long ago (the signature
/// no longer matches, and the claims are stale either way).
pub fn forge(token: &str) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    if parts.len() == 3 {
        if let Some(mut claims) = URL_SAFE_NO_PAD
            .decode(&parts[1])
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        {
            claims["exp"] = json!(1_000_000_000);
            claims["nbf"] = json!(999_999_000);
            parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
            return parts.join(".");
        }
    }
    format!("{token}x")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forged_tokens_keep_the_shape_with_expired_claims() {
        let claims = URL_SAFE_NO_PAD.encode(r#"{"sub":"u","exp":99999999999}"#);
        let token = format!("aGVhZA.{claims}.c2ln");
        let forged = forge(&token);
        let parts: Vec<&str> = forged.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], "aGVhZA");
        assert_eq!(parts[2], "c2ln");
        let edited: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(edited["exp"], json!(1_000_000_000));
        assert_eq!(forge("garbage"), "garbagex");
    }
}
