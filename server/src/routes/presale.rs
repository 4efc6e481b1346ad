//! Presales with access codes (docs/ARCHITECTURE.md "Presale codes"): the admins' API
//! (groups, codes generated or uploaded, listed with their use, revoked; each change
//! audited) and the fan's redeem. The joins that follow are the queue doors'
//! (`super::queue`, `crate::ws::queue_session`, through `Events::presale_slot`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waiting_room::wire::datetime_ms;
use waiting_room::EventId;

use super::client;
use super::error_docs::*;
use crate::db::{CodeListing, GroupOp, PresaleGroupRow, Revoke};
use crate::error::ApiError;
use crate::events::{GuessLimits, PresaleError};
use crate::extract::{Admin, AppJson, AppPath, AppQuery, EventPath, Session};
use crate::presale::{self as rules, MAX_CODES_PER_REQUEST, MAX_USES};
use crate::state::AppState;

/// Codes a page of the list holds by default, and at most.
const PAGE_DEFAULT: u32 = 100;
const PAGE_MAX: u32 = 1000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_presale))
        .routes(routes!(create_group))
        .routes(routes!(patch_group, delete_group))
        .routes(routes!(generate_codes))
        .routes(routes!(upload_codes))
        .routes(routes!(list_codes))
        .routes(routes!(revoke_code))
        .routes(routes!(redeem))
}

/// An event's presale groups, by opening.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresaleSetup {
    pub groups: Vec<PresaleGroup>,
}

/// One presale group with its codes' use.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresaleGroup {
    #[schema(format = "uuid")]
    pub id: String,
    /// The group's line in the queue store (1 to 8; 0 is the public line).
    #[schema(minimum = 1, maximum = 8)]
    pub slot: u8,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub opens_at: OffsetDateTime,
    /// Codes of the group.
    #[schema(minimum = 0)]
    pub codes: u64,
    /// Codes redeemed at least once.
    #[schema(minimum = 0)]
    pub codes_used: u64,
    /// Accounts bound to the group.
    #[schema(minimum = 0)]
    pub fans: u64,
}

impl From<PresaleGroupRow> for PresaleGroup {
    fn from(g: PresaleGroupRow) -> Self {
        Self {
            id: g.id,
            slot: g.slot,
            name: g.name,
            opens_at: datetime_ms(g.opens_at_ms),
            codes: g.codes,
            codes_used: g.codes_used,
            fans: g.fans,
        }
    }
}

/// A new presale group.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPresaleGroup {
    #[schema(
        min_length = 1,
        max_length = 80,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*$",
        example = "Fan club"
    )]
    pub name: String,
    /// Before the event's `starts_at`.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub opens_at: OffsetDateTime,
}

/// A change to a presale group: any of its fields.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresaleGroupPatch {
    #[schema(
        min_length = 1,
        max_length = 80,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub name: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub opens_at: Option<OffsetDateTime>,
}

/// Codes to generate for a group.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateCodes {
    #[schema(minimum = 1, maximum = 10000)]
    pub count: u32,
    /// 1: single use; more: that many distinct accounts.
    #[schema(minimum = 1, maximum = 100000)]
    pub max_uses: u32,
}

/// The codes generated, as fans type them (`ABCD-EFGH-JK`).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GeneratedCodes {
    pub codes: Vec<String>,
}

/// What an upload added.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadedCodes {
    #[schema(minimum = 0)]
    pub added: u64,
    /// Codes skipped: the event had them already, or the file named them twice.
    #[schema(minimum = 0)]
    pub duplicates: u64,
}

/// A page of an event's codes, by code.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresaleCodeList {
    pub codes: Vec<PresaleCode>,
    /// `after` for the next page; `null` on the last.
    #[schema(required = true)]
    pub next_after: Option<String>,
}

/// One code with its use.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresaleCode {
    /// As generated or uploaded (matching ignores case, spaces and dashes).
    pub code: String,
    /// The group's id.
    #[schema(format = "uuid")]
    pub group: String,
    #[schema(minimum = 1)]
    pub max_uses: u32,
    /// Accounts that redeemed it.
    #[schema(minimum = 0)]
    pub uses: u32,
    pub revoked: bool,
    /// The first account's email; `null` while unused.
    #[schema(required = true)]
    pub first_email: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(required = true, value_type = Option<String>, format = DateTime)]
    pub first_used_at: Option<OffsetDateTime>,
}

impl From<CodeListing> for PresaleCode {
    fn from(c: CodeListing) -> Self {
        Self {
            code: c.label,
            group: c.group,
            max_uses: c.max_uses,
            uses: c.uses,
            revoked: c.revoked,
            first_email: c.first_email,
            first_used_at: c.first_used_at_ms.map(datetime_ms),
        }
    }
}

/// The list's query.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CodeQuery {
    /// Only this group's codes (its id).
    #[param(format = "uuid")]
    pub group: Option<String>,
    /// The page after this code (the previous page's `next_after`).
    #[param(max_length = 100)]
    pub after: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// A code a fan redeems.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemCode {
    /// As the fan has it: case, spaces and dashes do not matter.
    #[schema(max_length = 100, example = "ABCD-EFGH-JK")]
    pub code: String,
}

/// The group a redeemed code put the account in.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Redeemed {
    pub group: RedeemedGroup,
}

/// A presale group as its fans see it.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemedGroup {
    pub name: String,
    /// When its line opens.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub opens_at: OffsetDateTime,
}

/// The API's answer to a presale refusal.
fn refusal(error: PresaleError) -> ApiError {
    let message = error.to_string();
    let conflict = |code| ApiError::Conflict {
        code,
        message: message.clone(),
    };
    match error {
        PresaleError::Event(e) => e.into(),
        PresaleError::Invalid(_) => ApiError::bad_request("invalid_presale_group", message),
        PresaleError::Full => conflict("presale_groups_full"),
        PresaleError::Started(_) => conflict("presale_started"),
        PresaleError::InUse => conflict("presale_group_in_use"),
        PresaleError::NoGroup => ApiError::NotFound("presale group"),
        PresaleError::Closed => crate::error::event_closed(),
        PresaleError::CodeUnknown => ApiError::Unknown {
            code: "code_unknown",
            message,
        },
        PresaleError::UsedUp => conflict("code_used_up"),
        PresaleError::OtherCode(_) => conflict("code_other_group"),
        PresaleError::Over => conflict("presale_over"),
        PresaleError::TooManyAttempts { retry_after_secs } => {
            ApiError::TooManyCodeAttempts { retry_after_secs }
        }
    }
}

fn unix_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// A group id of the path: a UUID, else no group.
fn group_id(raw: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(raw)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| ApiError::NotFound("presale group"))
}

async fn group_view(state: &AppState, event: EventId, id: &str) -> Result<PresaleGroup, ApiError> {
    let groups = state.db.presale_groups(event).await?;
    groups
        .into_iter()
        .find(|g| g.id == id)
        .map(PresaleGroup::from)
        .ok_or(ApiError::NotFound("presale group"))
}

#[utoipa::path(
    get,
    path = "/admin/events/{id}/presale",
    operation_id = "getPresale",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses(
        (status = 200, body = PresaleSetup, content_type = "application/json"),
        E401, E403, E404, E500,
    )
)]
async fn get_presale(
    State(state): State<AppState>,
    _admin: Admin,
    EventPath(id): EventPath,
) -> Result<Json<PresaleSetup>, ApiError> {
    state.events.get(id).await?;
    let groups = state.db.presale_groups(id).await?;
    Ok(Json(PresaleSetup {
        groups: groups.into_iter().map(PresaleGroup::from).collect(),
    }))
}

#[utoipa::path(
    post,
    path = "/admin/events/{id}/presale/groups",
    operation_id = "createPresaleGroup",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    request_body(content = NewPresaleGroup, content_type = "application/json"),
    responses(
        (status = 201, body = PresaleGroup, content_type = "application/json"),
        E400, E401, E403, E404, E409, E413, E500, E503,
    )
)]
async fn create_group(
    State(state): State<AppState>,
    Admin(session): Admin,
    EventPath(id): EventPath,
    AppJson(body): AppJson<NewPresaleGroup>,
) -> Result<(StatusCode, Json<PresaleGroup>), ApiError> {
    let name = rules::group_name(&body.name)
        .map_err(|m| ApiError::bad_request("invalid_presale_group", m))?;
    let actor = state.db.actor(session.user).await?;
    let op = GroupOp::Create {
        name,
        opens_at_ms: unix_ms(body.opens_at),
    };
    let (_, group) = state
        .events
        .change_presale_group(id, &actor, &op)
        .await
        .map_err(refusal)?;
    Ok((
        StatusCode::CREATED,
        Json(group_view(&state, id, &group).await?),
    ))
}

#[utoipa::path(
    patch,
    path = "/admin/events/{id}/presale/groups/{group}",
    operation_id = "patchPresaleGroup",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(
        ("id" = String, Path, format = "uuid"),
        ("group" = String, Path, format = "uuid"),
    ),
    request_body(content = PresaleGroupPatch, content_type = "application/json"),
    responses(
        (status = 200, body = PresaleGroup, content_type = "application/json"),
        E400, E401, E403, E404, E409, E413, E500, E503,
    )
)]
async fn patch_group(
    State(state): State<AppState>,
    Admin(session): Admin,
    AppPath((id, group)): AppPath<(String, String)>,
    AppJson(body): AppJson<PresaleGroupPatch>,
) -> Result<Json<PresaleGroup>, ApiError> {
    let id: EventId = id.parse().map_err(|_| ApiError::NotFound("event"))?;
    let group = group_id(&group)?;
    let name = body
        .name
        .as_deref()
        .map(rules::group_name)
        .transpose()
        .map_err(|m| ApiError::bad_request("invalid_presale_group", m))?;
    let actor = state.db.actor(session.user).await?;
    let op = GroupOp::Update {
        group,
        name,
        opens_at_ms: body.opens_at.map(unix_ms),
    };
    let (_, group) = state
        .events
        .change_presale_group(id, &actor, &op)
        .await
        .map_err(refusal)?;
    Ok(Json(group_view(&state, id, &group).await?))
}

#[utoipa::path(
    delete,
    path = "/admin/events/{id}/presale/groups/{group}",
    operation_id = "deletePresaleGroup",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(
        ("id" = String, Path, format = "uuid"),
        ("group" = String, Path, format = "uuid"),
    ),
    responses(
        (status = 204),
        E401, E403, E404, E409, E500, E503,
    )
)]
async fn delete_group(
    State(state): State<AppState>,
    Admin(session): Admin,
    AppPath((id, group)): AppPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let id: EventId = id.parse().map_err(|_| ApiError::NotFound("event"))?;
    let group = group_id(&group)?;
    let actor = state.db.actor(session.user).await?;
    state
        .events
        .change_presale_group(id, &actor, &GroupOp::Delete { group })
        .await
        .map_err(refusal)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/admin/events/{id}/presale/groups/{group}/codes",
    operation_id = "generatePresaleCodes",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(
        ("id" = String, Path, format = "uuid"),
        ("group" = String, Path, format = "uuid"),
    ),
    request_body(content = GenerateCodes, content_type = "application/json"),
    responses(
        (status = 201, body = GeneratedCodes, content_type = "application/json"),
        E400, E401, E403, E404, E409, E413, E500, E503,
    )
)]
async fn generate_codes(
    State(state): State<AppState>,
    Admin(session): Admin,
    AppPath((id, group)): AppPath<(String, String)>,
    AppJson(body): AppJson<GenerateCodes>,
) -> Result<(StatusCode, Json<GeneratedCodes>), ApiError> {
    let id: EventId = id.parse().map_err(|_| ApiError::NotFound("event"))?;
    let group = group_id(&group)?;
    let count = usize::try_from(body.count).unwrap_or(usize::MAX);
    if !(1..=MAX_CODES_PER_REQUEST).contains(&count) {
        return Err(ApiError::bad_request(
            "invalid_field",
            format!("count must be 1 to {MAX_CODES_PER_REQUEST}"),
        ));
    }
    if !(1..=MAX_USES).contains(&body.max_uses) {
        return Err(ApiError::bad_request(
            "invalid_field",
            format!("max_uses must be 1 to {MAX_USES}"),
        ));
    }
    let event = state.events.get(id).await?;
    if event.closed {
        return Err(crate::error::event_closed());
    }
    let actor = state.db.actor(session.user).await?;
    let now = state.clock().now_ms();
    let max_uses = body.max_uses;
    let added = state
        .db
        .add_presale_codes(id, &group, &actor, now, ("generated", count), |n| {
            Some(rules::generate(n, max_uses))
        })
        .await?
        .ok_or(ApiError::NotFound("presale group"))?;
    tracing::info!(event_id = %id, %group, codes = added.len(), max_uses, "presale codes generated");
    Ok((
        StatusCode::CREATED,
        Json(GeneratedCodes {
            codes: added.into_iter().map(|c| c.label).collect(),
        }),
    ))
}

#[utoipa::path(
    post,
    path = "/admin/events/{id}/presale/groups/{group}/codes/upload",
    operation_id = "uploadPresaleCodes",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(
        ("id" = String, Path, format = "uuid"),
        ("group" = String, Path, format = "uuid"),
    ),
    request_body(content(
        (String = "text/csv"),
        (String = "text/plain"),
    )),
    responses(
        (status = 200, body = UploadedCodes, content_type = "application/json"),
        E400, E401, E403, E404, E409, E413, E500, E503,
    )
)]
async fn upload_codes(
    State(state): State<AppState>,
    Admin(session): Admin,
    AppPath((id, group)): AppPath<(String, String)>,
    body: Bytes,
) -> Result<Json<UploadedCodes>, ApiError> {
    let id: EventId = id.parse().map_err(|_| ApiError::NotFound("event"))?;
    let group = group_id(&group)?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::bad_request("invalid_csv", "the file is not UTF-8 text"))?;
    let codes =
        rules::parse_csv(text).map_err(|e| ApiError::bad_request("invalid_csv", e.to_string()))?;
    let event = state.events.get(id).await?;
    if event.closed {
        return Err(crate::error::event_closed());
    }
    let actor = state.db.actor(session.user).await?;
    let now = state.clock().now_ms();
    let total = codes.len();
    let mut batch = Some(codes);
    let added = state
        .db
        .add_presale_codes(id, &group, &actor, now, ("uploaded", total), |_| {
            batch.take()
        })
        .await?
        .ok_or(ApiError::NotFound("presale group"))?;
    let added = added.len() as u64;
    tracing::info!(event_id = %id, %group, added, "presale codes uploaded");
    Ok(Json(UploadedCodes {
        added,
        duplicates: total as u64 - added,
    }))
}

#[utoipa::path(
    get,
    path = "/admin/events/{id}/presale/codes",
    operation_id = "listPresaleCodes",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("id" = String, Path, format = "uuid"), CodeQuery),
    responses(
        (status = 200, body = PresaleCodeList, content_type = "application/json"),
        E400, E401, E403, E404, E500,
    )
)]
async fn list_codes(
    State(state): State<AppState>,
    _admin: Admin,
    EventPath(id): EventPath,
    AppQuery(query): AppQuery<CodeQuery>,
) -> Result<Json<PresaleCodeList>, ApiError> {
    let limit = query.limit.unwrap_or(PAGE_DEFAULT);
    if !(1..=PAGE_MAX).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_field",
            format!("limit must be 1 to {PAGE_MAX}"),
        ));
    }
    if query
        .after
        .as_ref()
        .is_some_and(|a| a.chars().count() > 100)
    {
        return Err(ApiError::bad_request(
            "invalid_field",
            "after: at most 100 characters (a code)".to_owned(),
        ));
    }
    let event = state.events.get(id).await?;
    let group = match query.group.as_deref() {
        // Empty is no id (the document says uuid): 400, not every group.
        None => String::new(),
        Some(raw) => {
            let group = group_id(raw)?;
            event
                .presale(&group)
                .ok_or(ApiError::NotFound("presale group"))?;
            group
        }
    };
    let after = query
        .after
        .as_deref()
        .map(|a| rules::normalise(a).unwrap_or_else(|| a.to_uppercase()))
        .unwrap_or_default();
    let rows = state.db.presale_codes(id, &group, &after, limit).await?;
    let next_after = (rows.len() == limit as usize)
        .then(|| rows.last().map(|c| c.code.clone()))
        .flatten();
    Ok(Json(PresaleCodeList {
        codes: rows.into_iter().map(PresaleCode::from).collect(),
        next_after,
    }))
}

#[utoipa::path(
    delete,
    path = "/admin/events/{id}/presale/codes/{code}",
    operation_id = "revokePresaleCode",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(
        ("id" = String, Path, format = "uuid"),
        ("code" = String, Path),
    ),
    responses(
        (status = 204),
        E400, E401, E403, E404, E500, E503,
    )
)]
async fn revoke_code(
    State(state): State<AppState>,
    Admin(session): Admin,
    AppPath((id, code)): AppPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let id: EventId = id.parse().map_err(|_| ApiError::NotFound("event"))?;
    let code = rules::normalise(&code).ok_or(ApiError::NotFound("code"))?;
    state.events.get(id).await?;
    let actor = state.db.actor(session.user).await?;
    match state
        .db
        .revoke_presale_code(id, &code, &actor, state.clock().now_ms())
        .await?
    {
        Revoke::NoCode => Err(ApiError::NotFound("code")),
        Revoke::Revoked | Revoke::AlreadyRevoked => Ok(StatusCode::NO_CONTENT),
    }
}

#[utoipa::path(
    post,
    path = "/events/{id}/presale/redeem",
    operation_id = "redeemPresaleCode",
    tag = "queue",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    request_body(content = RedeemCode, content_type = "application/json"),
    responses(
        (status = 200, body = Redeemed, content_type = "application/json"),
        E400, E401, E403, E404, E409, E413, E429, E500, E503,
    )
)]
async fn redeem(
    State(state): State<AppState>,
    EventPath(id): EventPath,
    parts: Parts,
    session: Session,
    AppJson(body): AppJson<RedeemCode>,
) -> Result<Json<Redeemed>, ApiError> {
    if body.code.chars().count() > 100 {
        return Err(ApiError::bad_request(
            "invalid_field",
            "code: at most 100 characters",
        ));
    }
    let address = client::address_block(client::client_ip(&parts, state.config.trusted_proxy_hops));
    let limits = GuessLimits {
        per_account: state.config.presale_guesses_per_account,
        per_address: state.config.presale_guesses_per_ip,
        window_ms: i64::try_from(state.config.presale_guess_window_secs.saturating_mul(1000))
            .unwrap_or(i64::MAX),
    };
    let redeemed = state
        .events
        .redeem_code(id, session.user, &address.to_string(), &body.code, limits)
        .await
        .map_err(refusal)?;
    if redeemed.new {
        move_to_group(&state, id, session.user, redeemed.group.slot).await;
    }
    Ok(Json(Redeemed {
        group: RedeemedGroup {
            name: redeemed.group.name,
            opens_at: datetime_ms(redeemed.group.opens_at_ms),
        },
    }))
}

/// A fan pre-queued in the public line when it redeems moves to its group's line at
/// once (through the room here, when it runs here; otherwise its next join moves it).
/// The binding stands whatever happens: a failure is logged.
async fn move_to_group(state: &AppState, event: EventId, user: waiting_room::UserId, slot: u8) {
    let Some(room) = state.hub.room(event) else {
        return;
    };
    let moved = async {
        if let waiting_room::fan::FanPhase::Prequeue { .. } = room.describe(user).await? {
            room.join_presale(user, None, None, slot).await?;
        }
        Ok::<_, waiting_room::store::StoreError>(())
    };
    if let Err(error) = moved.await {
        tracing::warn!(%error, event_id = %event, %user, slot, "could not move a fan to its presale line; its next join will");
    }
}
