//! Changes to a sale and its end: `PATCH /admin/events/{id}` (the rules in
//! [`crate::event_edit`]) and `POST /admin/events/{id}/close` (see
//! [`crate::closing`]). Thin: the writes are `crate::db`'s.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waiting_room::wire::datetime_ms;

use super::error_docs::*;
use crate::error::ApiError;
use crate::event::{Event, PublicEvent, SaleState};
use crate::event_edit::{self, EventPatch};
use crate::extract::{Admin, AppJson, EventPath};
use crate::state::AppState;
use crate::webhooks::sale_watch::mode_changed;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(edit_event))
        .routes(routes!(close_event))
}

#[utoipa::path(
    patch,
    path = "/admin/events/{id}",
    operation_id = "editEvent",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    request_body(content = EventPatch, content_type = "application/json"),
    responses(
        (status = 200, body = PublicEvent, content_type = "application/json"),
        E400, E401, E403, E404, E409, E413, E500,
    )
)]
async fn edit_event(
    State(state): State<AppState>,
    Admin(session): Admin,
    EventPath(id): EventPath,
    AppJson(patch): AppJson<EventPatch>,
) -> Result<Json<PublicEvent>, ApiError> {
    let actor = state.db.actor(session.user).await?;
    // Its own task: new sections rewrite every seat row in the transaction (seconds for
    // a big venue), and a request that times out or is dropped must not stop it between
    // the seat store's change and the commit (or the store's restoring).
    let edit = tokio::spawn(write_edit(state.clone(), id, actor, patch))
        .await
        .map_err(|e| ApiError::Internal(e.into()))??;
    let event = edit.after;
    if mode_changed(&edit.before.admission, &event.admission) {
        state.webhooks.written();
    }
    if edit.before.sections != event.sections {
        if let Err(error) = state.checkout.restart(&event).await {
            tracing::warn!(%error, event_id = %id, "the seat room did not restart with the new sections; retrying at the next event refresh");
        }
    }
    if let Some(room) = state.hub.room(id) {
        room.set_max_seats(event.max_seats_per_order);
    }
    state.events.cache(event.clone());
    tracing::info!(event_id = %id, name = %event.name, "event edited");
    let counts = state.checkout.seat_counts(id).await?;
    Ok(Json(event.public(state.clock().now_ms(), counts)))
}

/// The edit's writes (database, seat store, queue store), in order under the row lock;
/// if the database refuses after the seat store took new sections, the store is put
/// back to the database's.
async fn write_edit(
    state: AppState,
    id: waiting_room::EventId,
    actor: crate::db::Actor,
    patch: EventPatch,
) -> Result<crate::db::Edit, ApiError> {
    let now = state.clock().now_ms();
    // New sections: under the row lock, the seat store's seats are replaced first (only
    // if all are free; else 409 and the transaction rolls back), then the rows written.
    let reseated = std::sync::atomic::AtomicBool::new(false);
    let reseat = |event: Event| {
        let (state, reseated) = (state.clone(), &reseated);
        async move {
            state.checkout.replace_seats(&event).await?;
            reseated.store(true, std::sync::atomic::Ordering::SeqCst);
            Ok::<_, ApiError>(())
        }
    };
    // The database first (the record and its audit entry), then, under the same row
    // lock, the queue store (the opening and admission the rooms read).
    let publish = |event: Event| {
        let state = state.clone();
        async move {
            state
                .hub
                .store()
                .configure(event.id, &event.queue_config(), false)
                .await?;
            Ok::<_, ApiError>(())
        }
    };
    let edit = state
        .db
        .edit_event(
            id,
            &actor,
            now,
            |event| patch.apply(event, now).map_err(ApiError::from),
            |before, after| {
                event_edit::changes(before, after).map_err(|e| ApiError::Internal(e.into()))
            },
            |before, after| {
                state
                    .webhooks
                    .mode_change_rows(id, &before.admission, &after.admission)
            },
            reseat,
            publish,
        )
        .await;
    if edit.is_err() && reseated.load(std::sync::atomic::Ordering::SeqCst) {
        restore_seats(&state, id).await;
    }
    edit?.ok_or(ApiError::NotFound("event"))
}

/// Puts the store's seats back in line with the database after an edit of the
/// sections failed once the store had taken the new ones (the database kept the old).
async fn restore_seats(state: &AppState, id: waiting_room::EventId) {
    let restored = match state.db.event(id).await {
        Ok(Some(event)) => state
            .checkout
            .replace_seats(&event)
            .await
            .map_err(|e| e.to_string()),
        Ok(None) => Ok(()),
        Err(error) => Err(error.to_string()),
    };
    if let Err(error) = restored {
        tracing::error!(%error, event_id = %id, "the seat store keeps the new sections the database refused");
    }
}

/// What closing a sale answers.
#[derive(Serialize, ToSchema)]
pub struct ClosedEvent {
    /// The event's id.
    #[schema(format = "uuid")]
    id: String,
    /// Always `closed`.
    #[schema(value_type = String, example = "closed")]
    state: SaleState,
    /// When it closed.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    closed_at: OffsetDateTime,
    /// The admin who closed it (their email, if the account still has one).
    closed_by: Option<String>,
}

#[utoipa::path(
    post,
    path = "/admin/events/{id}/close",
    operation_id = "closeEvent",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses(
        (status = 200, body = ClosedEvent, content_type = "application/json"),
        E401, E403, E404, E409, E500,
    )
)]
async fn close_event(
    State(state): State<AppState>,
    Admin(session): Admin,
    EventPath(id): EventPath,
) -> Result<Json<ClosedEvent>, ApiError> {
    let actor = state.db.actor(session.user).await?;
    let event = state.events.close(id, &actor, "admin").await?;
    Ok(Json(ClosedEvent {
        id: event.id.to_string(),
        state: event.state(state.clock().now_ms(), None),
        closed_at: datetime_ms(state.clock().now_ms()),
        closed_by: actor.email,
    }))
}
