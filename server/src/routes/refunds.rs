//! Refunds: `POST /orders/{order_id}/refund` — a fan cancels their own order inside
//! the event's refund window, an admin refunds any order (with a reason) until the
//! event is closed. The service (`checkout::refunds`) holds the rules and the write
//! order; this module maps ids, sessions and answers.

use axum::extract::State;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error_docs::*;
use crate::checkout::holds::OrderAnswer;
use crate::checkout::refunds::{RefundBody, Refunder};
use crate::error::ApiError;
use crate::extract::{AppJson, AppPath, Session};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(refund))
}

/// An order id is a UUID; anything else is no order (404, like an unknown one).
fn parse_order_id(raw: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(raw)
        .map(|id| id.hyphenated().to_string())
        .map_err(|_| ApiError::NotFound("order"))
}

#[utoipa::path(
    post,
    path = "/orders/{order_id}/refund",
    operation_id = "refundOrder",
    tag = "checkout",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("order_id" = String, Path, format = "uuid")),
    request_body(content = RefundBody, content_type = "application/json"),
    responses(
        (status = 200, body = OrderAnswer, content_type = "application/json"),
        E400, E401, E403, E404, E409, E413, E503, E500,
    )
)]
async fn refund(
    State(state): State<AppState>,
    AppPath(order_id): AppPath<String>,
    session: Session,
    AppJson(body): AppJson<RefundBody>,
) -> Result<Json<OrderAnswer>, ApiError> {
    let id = parse_order_id(&order_id)?;
    let who = Refunder {
        user: session.user,
        admin: session.admin,
    };
    let service = state.refunds();
    let order = service.order(&id, who).await?;
    let event = state.events.get(order.event).await?;
    let actor = match who.admin {
        true => Some(state.db.actor(who.user).await?),
        false => None,
    };
    let order = service
        .refund(order, &event, who, actor.as_ref(), body)
        .await?;
    Ok(Json(OrderAnswer::new(
        &order,
        &event,
        state.clock().now_ms(),
    )))
}
