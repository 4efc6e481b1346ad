//! The end of a sale and changes before it: `POST /admin/events/{id}/close` (see
//! [`crate::closing`]). Thin: the rules are in `crate::closing`, the writes in
//! `crate::db`.

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
use crate::event::SaleState;
use crate::extract::{parse_event_id, Admin, AppPath};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(close_event))
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
