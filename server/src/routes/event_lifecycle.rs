//! Changes to a sale and its end: `PATCH /admin/events/{id}` (the rules in
//! [`crate::event_edit`]) and `POST /admin/events/{id}/close` (see
//! [`crate::closing`]). Thin: the writes are `crate::db`'s.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waiting_room::wire::datetime_ms;

use super::error_docs::*;
use crate::error::ApiError;
use crate::event::{Event, SaleState};
use crate::event_edit::{self, EventPatch};
use crate::extract::{parse_event_id, Admin, AppJson, AppPath};
use crate::state::AppState;

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
    request_body(content = ref("#/components/schemas/EventPatch"), content_type = "application/json"),
    responses(
        (status = 200, body = ref("#/components/schemas/Event"), content_type = "application/json"),
        E400, E401, E403, E404, E409, E413, E500,
    )
)]
async fn edit_event(
    State(state): State<AppState>,
    Admin(session): Admin,
    AppPath(id): AppPath<String>,
    AppJson(patch): AppJson<EventPatch>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_event_id(&id)?;
    let actor = state.actor(session.user).await?;
    let now = state.clock().now_ms();
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
            publish,
        )
        .await?
        .ok_or(ApiError::NotFound("event"))?;
    let event = edit.after;
    if let Some(room) = state.hub.room(id) {
        room.set_max_seats(event.max_seats_per_order);
    }
    state.cache_event(event.clone());
    tracing::info!(event_id = %id, name = %event.name, "event edited");
    let counts = state.seat_counts(id).await?;
    let body = serde_json::to_value(event.public(state.clock().now_ms(), counts))
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(Json(body))
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
    AppPath(id): AppPath<String>,
) -> Result<Json<ClosedEvent>, ApiError> {
    let id = parse_event_id(&id)?;
    let actor = state.actor(session.user).await?;
    let event = state.close_event(id, &actor, "admin").await?;
    Ok(Json(ClosedEvent {
        id: event.id.to_string(),
        state: event.state(state.clock().now_ms(), None),
        closed_at: datetime_ms(state.clock().now_ms()),
        closed_by: actor.email,
    }))
}
