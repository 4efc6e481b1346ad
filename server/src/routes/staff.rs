//! Staff bypass's API (docs/ARCHITECTURE.md, "Staff bypass"): an event's staff list,
//! read and replaced by an admin, audit-logged. The bypass itself is the queue doors'
//! (`super::queue`, `crate::ws::queue_session`); the cache is `crate::events`.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error_docs::*;
use crate::db::{StaffChange, StaffMember};
use crate::email::Email;
use crate::error::ApiError;
use crate::extract::{Admin, AppJson, EventPath};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_staff, put_staff))
}

/// The most accounts one event's staff list holds.
pub const MAX_STAFF: usize = 200;

/// An event's staff list, replaced as a whole.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffList {
    /// The staff accounts' emails (each must belong to an account); `[]` empties the
    /// list. Repeats count once.
    #[schema(max_items = 200)]
    pub emails: Vec<String>,
}

/// An event's staff accounts, by email.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffView {
    pub staff: Vec<StaffAccount>,
}

/// One staff account.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffAccount {
    #[schema(format = "uuid")]
    pub user_id: String,
    pub email: String,
}

impl StaffView {
    fn of(list: Vec<StaffMember>) -> Self {
        Self {
            staff: list
                .into_iter()
                .map(|m| StaffAccount {
                    user_id: m.user.to_string(),
                    email: m.email,
                })
                .collect(),
        }
    }
}

#[utoipa::path(
    get,
    path = "/admin/events/{id}/staff",
    operation_id = "getStaff",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses(
        (status = 200, body = StaffView, content_type = "application/json"),
        E401, E403, E404, E500,
    )
)]
async fn get_staff(
    State(state): State<AppState>,
    _admin: Admin,
    EventPath(id): EventPath,
) -> Result<Json<StaffView>, ApiError> {
    let list = state.events.staff(id).await?;
    Ok(Json(StaffView::of(list)))
}

#[utoipa::path(
    put,
    path = "/admin/events/{id}/staff",
    operation_id = "putStaff",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    request_body(content = StaffList, content_type = "application/json"),
    responses(
        (status = 200, body = StaffView, content_type = "application/json"),
        E400, E401, E403, E404, E413, E500,
    )
)]
async fn put_staff(
    State(state): State<AppState>,
    Admin(session): Admin,
    EventPath(id): EventPath,
    AppJson(body): AppJson<StaffList>,
) -> Result<Json<StaffView>, ApiError> {
    let emails = parse_emails(&body.emails)?;
    let actor = state.db.actor(session.user).await?;
    let now = state.clock().now_ms();
    match state.events.set_staff(id, &actor, now, &emails).await? {
        StaffChange::NoEvent => Err(ApiError::NotFound("event")),
        StaffChange::Unknown(unknown) => Err(ApiError::bad_request(
            "unknown_staff_email",
            format!(
                "no account has these emails (they must register first): {}",
                unknown.join(", ")
            ),
        )),
        StaffChange::Set(list) => {
            tracing::info!(event_id = %id, staff = list.len(), "staff list changed");
            Ok(Json(StaffView::of(list)))
        }
    }
}

/// The emails normalised, repeats dropped (first kept); 400 `invalid_email` naming
/// the first that is not one, `invalid_field` for too many.
fn parse_emails(raw: &[String]) -> Result<Vec<String>, ApiError> {
    if raw.len() > MAX_STAFF {
        return Err(ApiError::bad_request(
            "invalid_field",
            format!("emails: at most {MAX_STAFF} staff accounts per event"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for r in raw {
        let email = Email::parse(r)
            .map_err(|e| ApiError::bad_request("invalid_email", format!("emails: {r:?}: {e}")))?;
        if !out.iter().any(|o| o == email.as_str()) {
            out.push(email.as_str().to_owned());
        }
    }
    Ok(out)
}
