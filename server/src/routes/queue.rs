//! The queue socket (`GET /events/{id}/queue/ws`) and its fallback for browsers whose
//! WebSockets are blocked: `GET /events/{id}/queue/me` (poll the fan's latest message;
//! counts as presence), `POST …/queue/join` and `POST …/queue/leave` (the socket's
//! `join` and `leave`, answered with the fan's message), and
//! `POST /events/{id}/challenge`: the proof of work a new place in line costs when the
//! event asks for it ([`crate::proof_of_work`]).

use std::sync::Arc;

use axum::extract::State;
use axum::http::request::Parts;
use axum::response::Response;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waiting_room::fan::{messages, FanView};
use waiting_room::room::Room;
use waiting_room::store::StoreError;
use waiting_room::wire::ServerMessage;
use waiting_room::EventId;

use super::client;
use super::error_docs::*;
use crate::error::{ApiError, JoinForbiddenError};
use crate::event::Event;
use crate::extract::{EventPath, Session};
use crate::proof_of_work::{self, ChallengeBody, JoinProof};
use crate::state::AppState;
use crate::ws::{self, queue_session, WsUpgrade};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(queue_ws))
        .routes(routes!(queue_me))
        .routes(routes!(queue_join))
        .routes(routes!(queue_leave))
        .routes(routes!(pow_challenge))
}

#[utoipa::path(
    get,
    path = "/events/{id}/queue/ws",
    operation_id = "queueSocket",
    tag = "queue",
    security(("bearer" = []), ("accessToken" = [])),
    params(
        ("id" = String, Path, format = "uuid"),
        ("pow" = Option<String>, Query, description = "A proof-of-work solution, `<challenge>:<nonce>`"),
        ("join" = Option<u8>, Query, maximum = 1, description = "1: join as the socket opens, as a first `join` frame would (one store call, no wait for a frame); 0 or absent: wait for frames"),
    ),
    responses(
        (status = 101),
        E400, E401, E404, E409, E429, E503, E500,
    )
)]
async fn queue_ws(
    State(state): State<AppState>,
    EventPath(id): EventPath,
    parts: Parts,
    session: Result<Session, ApiError>,
    ws: WsUpgrade,
) -> Result<Response, ApiError> {
    client::rate_limit(&state, &state.join_limit, &parts)?;
    client::admit_new_fan(&state)?;
    let session = session?;
    let join = joins_on_open(&parts.uri)?;
    let (room, event) = open_room(&state, id).await?;
    let slot = client::socket_slot(&state, &parts)?;
    let proof = join_proof(&state, &event, session.user, &parts);
    let fan = queue_session::Fan {
        user: session.user,
        admin: session.admin,
        cap: client::place_cap(&state, &parts),
        session: state.revocations.watch(session.key),
        proof,
        join,
    };
    Ok(ws::open(
        ws,
        state,
        slot,
        queue_session::LIMITS,
        move |state, socket| queue_session::run(state, room, fan, socket),
    ))
}

#[utoipa::path(
    get,
    path = "/events/{id}/queue/me",
    operation_id = "queueMe",
    tag = "queue",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses(
        (status = 200, body = ServerMessage, content_type = "application/json"),
        E401, E404, E429, E500,
    )
)]
async fn queue_me(
    State(state): State<AppState>,
    EventPath(id): EventPath,
    parts: Parts,
    session: Result<Session, ApiError>,
) -> Result<Json<ServerMessage>, ApiError> {
    let user = polled(&state, &parts, session)?;
    let Some(room) = room_for(&state, id, false).await? else {
        return Ok(closed_message());
    };
    fan_message(&room, user).await
}

/// The socket's `join` over HTTP: same ticket rules (idempotent, pre-queue before the
/// opening, the cap on places per address), same per-IP limit as opening a socket.
#[utoipa::path(
    post,
    path = "/events/{id}/queue/join",
    operation_id = "queueJoin",
    tag = "queue",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(
        ("id" = String, Path, format = "uuid"),
        ("pow" = Option<String>, Query, description = "A proof-of-work solution, `<challenge>:<nonce>`"),
    ),
    responses(
        (status = 200, body = ServerMessage, content_type = "application/json"),
        (status = 403, body = JoinForbiddenError, content_type = "application/json"),
        E401, E404, E409, E429, E503,
    )
)]
async fn queue_join(
    State(state): State<AppState>,
    EventPath(id): EventPath,
    parts: Parts,
    session: Session,
) -> Result<Json<ServerMessage>, ApiError> {
    client::rate_limit(&state, &state.join_limit, &parts)?;
    client::admit_new_fan(&state)?;
    let (room, event) = open_room(&state, id).await?;
    crate::metrics::Metrics::inc(&state.metrics.queue_joins);
    // Staff bypass: decided here from memory (the session, the replica's staff
    // cache), so a fan's join pays nothing more.
    if session.admin || state.events.is_staff(id, session.user) {
        return staff_join(&state, &room, session.user, "http").await;
    }
    let cap = client::place_cap(&state, &parts);
    let proof = join_proof(&state, &event, session.user, &parts);
    let now = state.clock().now_ms();
    let gate = proof.as_ref().map(|p| p.gate(now));
    // Presale (docs/ARCHITECTURE.md "Presale codes"): an account bound to a group
    // joins its group's line; nothing more for an event with no groups.
    let joined = match state.events.presale_slot(id, session.user, now).await? {
        Some(slot) => {
            room.join_presale(session.user, cap.as_ref(), gate.as_ref(), slot)
                .await
        }
        None => {
            room.join_gated(session.user, cap.as_ref(), gate.as_ref())
                .await
        }
    };
    let phase = match (joined, &proof) {
        (Err(StoreError::PowRequired { used }), Some(proof)) => {
            let (why, challenge) = state
                .pow
                .refusal(&state.keys, proof, session.user, used, now);
            return Err(ApiError::PowRequired {
                message: why.to_string(),
                challenge: Box::new(ChallengeBody::from(&challenge)),
            });
        }
        (Err(StoreError::Rejecting), _) => return Err(rejecting(&room)),
        (joined, _) => joined.inspect_err(|e| {
            if matches!(e, StoreError::TooManyPlaces { .. }) {
                crate::metrics::Metrics::inc(&state.metrics.rate_limited);
            }
        })?,
    };
    // The join's own answer: one store call per join, not a second to describe it.
    Ok(phase_message(&room, phase))
}

/// A staff account's join (docs/ARCHITECTURE.md, "Staff bypass"): admitted at once
/// once the sale is open, whatever the line, rate and mode; a bypass is audited.
async fn staff_join(
    state: &AppState,
    room: &Room,
    user: waiting_room::UserId,
    door: &str,
) -> Result<Json<ServerMessage>, ApiError> {
    let (phase, bypassed) = room.join_staff(user).await?;
    if let Some(seq) = bypassed {
        let now = state.clock().now_ms();
        state
            .events
            .record_bypass(room.event(), user, seq, door, now)
            .await;
    }
    Ok(phase_message(room, phase))
}

/// 503 `event_rejecting` for a join refused in mode `reject`, with the admin's message
/// when there is one (the store's copy, as the room last read it: the socket's too).
fn rejecting(room: &Room) -> ApiError {
    let message = room.config().and_then(|c| c.admission.message);
    ApiError::Rejecting {
        message: message.unwrap_or_else(|| crate::error::REJECTING_MESSAGE.into()),
    }
}

/// A proof-of-work challenge for the signed-in fan to solve before joining the
/// event's line (when the event asks for none: difficulty 0, any nonce does).
#[utoipa::path(
    post,
    path = "/events/{id}/challenge",
    operation_id = "powChallenge",
    tag = "queue",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses(
        (status = 200, body = ChallengeBody, content_type = "application/json"),
        E401, E403, E404, E409, E429,
    )
)]
async fn pow_challenge(
    State(state): State<AppState>,
    EventPath(id): EventPath,
    parts: Parts,
    session: Result<Session, ApiError>,
) -> Result<Json<ChallengeBody>, ApiError> {
    let user = polled(&state, &parts, session)?;
    let event = state.events.get(id).await?;
    if event.closed {
        return Err(crate::error::event_closed());
    }
    let now = state.clock().now_ms();
    let challenge = state
        .pow
        .challenge(&state.keys, event.id, event.pow_difficulty, user, now);
    Ok(Json(ChallengeBody::from(&challenge)))
}

/// Whether the queue socket's handshake asked to join as it opens (`?join=1`); any
/// value but 0 and 1 is refused with 400 `invalid_query`.
fn joins_on_open(uri: &axum::http::Uri) -> Result<bool, ApiError> {
    #[derive(serde::Deserialize)]
    struct Query {
        join: Option<String>,
    }
    let query = axum::extract::Query::<Query>::try_from_uri(uri)?;
    match query.0.join.as_deref() {
        None | Some("0") => Ok(false),
        Some("1") => Ok(true),
        Some(other) => Err(ApiError::bad_request(
            "invalid_query",
            format!("join must be 1 (join as the socket opens) or 0, not {other:?}"),
        )),
    }
}

/// Counts the join against the event's load and checks the solution it brought;
/// `None` when the event asks no proof of work.
fn join_proof(
    state: &AppState,
    event: &Event,
    user: waiting_room::UserId,
    parts: &Parts,
) -> Option<JoinProof> {
    if event.pow_difficulty == 0 {
        return None;
    }
    let now = state.clock().now_ms();
    state.pow.record_join(event, now);
    let presented = proof_of_work::presented(&parts.uri);
    JoinProof::check(&state.keys, event, user, presented.as_deref(), now)
}

/// The socket's `leave` over HTTP; an admitted fan is not affected.
#[utoipa::path(
    post,
    path = "/events/{id}/queue/leave",
    operation_id = "queueLeave",
    tag = "queue",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses(
        (status = 200, body = ServerMessage, content_type = "application/json"),
        E401, E403, E404, E429,
    )
)]
async fn queue_leave(
    State(state): State<AppState>,
    EventPath(id): EventPath,
    parts: Parts,
    session: Result<Session, ApiError>,
) -> Result<Json<ServerMessage>, ApiError> {
    let user = polled(&state, &parts, session)?;
    let Some(room) = room_for(&state, id, false).await? else {
        return Ok(closed_message());
    };
    room.leave(user).await?;
    fan_message(&room, user).await
}

/// The poll budgets of `queue/me` and `queue/leave`: the address's first (before the
/// session is checked), then the account's.
fn polled(
    state: &AppState,
    parts: &Parts,
    session: Result<Session, ApiError>,
) -> Result<waiting_room::UserId, ApiError> {
    client::poll_limit(state, parts, None)?;
    let user = session?.user;
    client::poll_limit(state, parts, Some(user))?;
    Ok(user)
}

/// The event and its room on this replica, for joining: a closed sale is refused
/// (409 `event_closed`).
async fn open_room(state: &AppState, id: EventId) -> Result<(Arc<Room>, Event), ApiError> {
    let event = state.events.get(id).await?;
    if event.closed {
        return Err(crate::error::event_closed());
    }
    Ok((state.events.room(&event).await?, event))
}

/// The event's room on this replica; `None` for a closed sale (no room is started
/// for it), or, with `open`, 409 `event_closed`.
async fn room_for(
    state: &AppState,
    id: EventId,
    open: bool,
) -> Result<Option<Arc<Room>>, ApiError> {
    let event = state.events.get(id).await?;
    if event.closed {
        return if open {
            Err(crate::error::event_closed())
        } else {
            Ok(None)
        };
    }
    Ok(Some(state.events.room(&event).await?))
}

/// What `queue/me` and `queue/leave` answer once the sale is closed.
fn closed_message() -> Json<ServerMessage> {
    Json(ServerMessage::Closed)
}

/// What a fresh socket would be told first about `user`, in one message: a place in
/// line carries `"sold_out": true` while no seat is free (the socket sends `sold_out`
/// after it). Asking counts as presence: a fan without a socket keeps the place while
/// it polls (one store call, see [`Room::describe`]).
async fn fan_message(
    room: &Room,
    user: waiting_room::UserId,
) -> Result<Json<ServerMessage>, ApiError> {
    let phase = room.describe(user).await?;
    Ok(phase_message(room, phase))
}

/// What the fan is told of `phase` over HTTP (the first message a socket would send).
fn phase_message(room: &Room, phase: waiting_room::fan::FanPhase) -> Json<ServerMessage> {
    let paused = room.config().is_some_and(|c| c.admission.paused);
    // The mode is not said here (it would come first): a polling page reads it from
    // the event, as it reads `paused` (web/src/fan/queue.js).
    let view = FanView {
        phase,
        paused,
        sold_out: room.sold_out(),
        available: None,
        waitlist: room.waitlist(),
        ..FanView::default()
    };
    let message = messages(&FanView::default(), &view).into_iter().next();
    let message = message
        .unwrap_or_else(|| ServerMessage::error("not_in_queue", "join the queue first"))
        .with_sold_out(view.sold_out)
        .with_waitlist(view.waitlist);
    Json(message)
}
