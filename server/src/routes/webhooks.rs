//! Admin API for webhooks: register an endpoint (the answer shows its signing secret,
//! once), list, get, delete, rotate the secret, read an endpoint's deliveries with
//! their attempts, and send a delivery again. Every change is audited
//! (`webhook_audit`). The service is `crate::webhooks`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{Array, ArrayBuilder, ObjectBuilder, Type};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error_docs::*;
use crate::db::{AttemptRow, DeliveryRow, EndpointRow};
use crate::error::ApiError;
use crate::extract::{Admin, AppJson, AppPath};
use crate::state::AppState;
use crate::webhooks::guard::{self, UrlRefused};
use crate::webhooks::{rfc3339, signing, EventType};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_webhook, list_webhooks))
        .routes(routes!(get_webhook, delete_webhook))
        .routes(routes!(rotate_secret))
        .routes(routes!(list_deliveries))
        .routes(routes!(retry_delivery))
        .routes(routes!(webhook_audit))
}

/// The most endpoints, the longest URL and description, and deliveries listed.
const MAX_ENDPOINTS: usize = 50;
const MAX_URL_CHARS: usize = 2000;
const MAX_DESCRIPTION_CHARS: usize = 200;
const DELIVERIES_LISTED: u32 = 100;

/// A new endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookBody {
    /// Where deliveries are POSTed: `http` or `https`, not an internal address (unless
    /// the operator allows private ones).
    #[schema(example = "https://hooks.example.com/floodgate", max_length = 2000)]
    url: String,
    /// Event types to receive (`sale.opened`, `sale.sold_out`, `sale.paused`,
    /// `sale.resumed`, `sale.mode_changed`, `order.confirmed`, `order.refunded`), or
    /// `["*"]` for all.
    #[schema(schema_with = event_names)]
    events: Vec<String>,
    /// A note for admins.
    #[schema(max_length = 200)]
    description: Option<String>,
}

/// At least one event type name, or `*`.
fn event_names() -> Array {
    let names = std::iter::once("*").chain(EventType::ALL.iter().map(|t| t.as_str()));
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(names)),
        )
        .min_items(Some(1))
        .build()
}

/// A registered endpoint (its secret is shown only at registration and rotation).
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpoint {
    #[schema(format = "uuid")]
    id: String,
    url: String,
    events: Vec<String>,
    description: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
}

/// A registered endpoint with its signing secret.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookCreated {
    #[schema(format = "uuid")]
    id: String,
    url: String,
    events: Vec<String>,
    description: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    /// `whsec_` + base64 of 32 random bytes: the HMAC-SHA256 key is the decoded bytes.
    #[schema(pattern = "^whsec_[A-Za-z0-9+/=]+$")]
    secret: String,
}

/// Every endpoint, and the event types there are.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookList {
    endpoints: Vec<WebhookEndpoint>,
    event_types: Vec<String>,
}

/// An endpoint's new signing secret.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookSecret {
    #[schema(pattern = "^whsec_[A-Za-z0-9+/=]+$")]
    secret: String,
}

/// An endpoint's newest deliveries, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryList {
    deliveries: Vec<Delivery>,
}

/// Where a delivery stands.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

/// One message to one endpoint, with its attempts.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    #[schema(format = "uuid")]
    id: String,
    /// The `webhook-id` header (the same on every attempt and every endpoint).
    message_id: String,
    /// The event type.
    #[serde(rename = "type")]
    kind: String,
    status: DeliveryStatus,
    attempts: u32,
    #[schema(format = DateTime)]
    created_at: String,
    /// When the next attempt is due (pending deliveries only).
    #[schema(format = DateTime)]
    next_attempt_at: Option<String>,
    #[schema(format = DateTime)]
    delivered_at: Option<String>,
    last_status_code: Option<u16>,
    last_error: Option<String>,
    /// The body sent: `{type, timestamp, data}`.
    #[schema(value_type = Object)]
    payload: serde_json::Value,
    attempt_log: Vec<Attempt>,
}

/// The webhooks' audit log, newest first (at most 200 entries).
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookAuditLog {
    entries: Vec<WebhookAuditEntry>,
}

/// Who changed which endpoint, how, and when.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookAuditEntry {
    id: i64,
    #[schema(format = DateTime)]
    at: String,
    #[schema(format = "uuid")]
    actor_id: String,
    actor_email: Option<String>,
    #[schema(format = "uuid")]
    webhook_id: String,
    /// `webhook_created`, `webhook_deleted`, `webhook_secret_rotated` or
    /// `webhook_delivery_retried`.
    action: String,
    /// The URL and events of a created endpoint, the delivery sent again.
    #[schema(value_type = Option<Object>)]
    detail: Option<serde_json::Value>,
}

/// One attempt at a delivery.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attempt {
    attempt: u32,
    #[schema(format = DateTime)]
    at: String,
    /// The receiver's status code (none when it could not be reached).
    status_code: Option<u16>,
    error: Option<String>,
    duration_ms: u64,
}

#[utoipa::path(
    post,
    path = "/admin/webhooks",
    operation_id = "createWebhook",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    request_body(content = WebhookBody, content_type = "application/json"),
    responses(
        (status = 201, body = WebhookCreated, content_type = "application/json"),
        E400, E401, E403, E409, E413, E500,
    )
)]
async fn create_webhook(
    State(state): State<AppState>,
    admin: Admin,
    AppJson(body): AppJson<WebhookBody>,
) -> Result<(StatusCode, Json<WebhookCreated>), ApiError> {
    if body.url.chars().count() > MAX_URL_CHARS {
        return Err(ApiError::bad_request(
            "invalid_webhook_url",
            "the URL is too long",
        ));
    }
    let url = guard::check_url(&body.url, state.webhooks.allow_private)
        .await
        .map_err(url_error)?;
    let events = parse_events(&body.events)?;
    let description = match body.description.as_deref().map(str::trim) {
        Some(d) if d.chars().count() > MAX_DESCRIPTION_CHARS => {
            return Err(ApiError::bad_request(
                "invalid_field",
                format!("description: at most {MAX_DESCRIPTION_CHARS} characters"),
            ))
        }
        Some(d) if crate::text_rules::free_text_has_control(d) => {
            return Err(ApiError::bad_request(
                "invalid_field",
                "description: no control characters",
            ))
        }
        Some("") | None => None,
        Some(d) => Some(d.to_owned()),
    };
    if state.db.webhook_endpoints().await?.len() >= MAX_ENDPOINTS {
        return Err(ApiError::Conflict {
            code: "invalid_field",
            message: format!("at most {MAX_ENDPOINTS} webhook endpoints; delete one first"),
        });
    }
    let row = EndpointRow {
        id: uuid::Uuid::now_v7().to_string(),
        url: url.to_string(),
        events,
        secret: signing::new_secret(),
        description,
        created_at_ms: state.clock().now_ms(),
    };
    let actor = state.db.actor(admin.0.user).await?;
    state.db.insert_webhook_endpoint(&row, &actor).await?;
    state.webhooks.reload().await?;
    tracing::info!(endpoint = %row.id, url = %row.url, "webhook endpoint registered");
    let e = endpoint(&row);
    Ok((
        StatusCode::CREATED,
        Json(WebhookCreated {
            id: e.id,
            url: e.url,
            events: e.events,
            description: e.description,
            created_at: e.created_at,
            secret: row.secret,
        }),
    ))
}

#[utoipa::path(
    get,
    path = "/admin/webhooks",
    operation_id = "listWebhooks",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    responses(
        (status = 200, body = WebhookList, content_type = "application/json"),
        E401, E403, E500,
    )
)]
async fn list_webhooks(
    State(state): State<AppState>,
    _admin: Admin,
) -> Result<Json<WebhookList>, ApiError> {
    let rows = state.db.webhook_endpoints().await?;
    Ok(Json(WebhookList {
        endpoints: rows.iter().map(endpoint).collect(),
        event_types: EventType::ALL
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect(),
    }))
}

#[utoipa::path(
    get,
    path = "/admin/webhooks/{webhook_id}",
    operation_id = "getWebhook",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("webhook_id" = String, Path, format = "uuid")),
    responses(
        (status = 200, body = WebhookEndpoint, content_type = "application/json"),
        E401, E403, E404, E500,
    )
)]
async fn get_webhook(
    State(state): State<AppState>,
    _admin: Admin,
    AppPath(id): AppPath<String>,
) -> Result<Json<WebhookEndpoint>, ApiError> {
    let row = find(&state, &id).await?;
    Ok(Json(endpoint(&row)))
}

#[utoipa::path(
    delete,
    path = "/admin/webhooks/{webhook_id}",
    operation_id = "deleteWebhook",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("webhook_id" = String, Path, format = "uuid")),
    responses((status = 204), E401, E403, E404, E500)
)]
async fn delete_webhook(
    State(state): State<AppState>,
    admin: Admin,
    AppPath(id): AppPath<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    let actor = state.db.actor(admin.0.user).await?;
    if !state
        .db
        .delete_webhook_endpoint(&id, &actor, state.clock().now_ms())
        .await?
    {
        return Err(ApiError::NotFound("webhook"));
    }
    state.webhooks.reload().await?;
    tracing::info!(endpoint = %id, "webhook endpoint deleted");
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/admin/webhooks/{webhook_id}/rotate-secret",
    operation_id = "rotateWebhookSecret",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("webhook_id" = String, Path, format = "uuid")),
    responses(
        (status = 200, body = WebhookSecret, content_type = "application/json"),
        E401, E403, E404, E500,
    )
)]
async fn rotate_secret(
    State(state): State<AppState>,
    admin: Admin,
    AppPath(id): AppPath<String>,
) -> Result<Json<WebhookSecret>, ApiError> {
    let id = parse_id(&id)?;
    let secret = signing::new_secret();
    let actor = state.db.actor(admin.0.user).await?;
    if !state
        .db
        .rotate_webhook_secret(&id, &secret, &actor, state.clock().now_ms())
        .await?
    {
        return Err(ApiError::NotFound("webhook"));
    }
    state.webhooks.reload().await?;
    Ok(Json(WebhookSecret { secret }))
}

#[utoipa::path(
    get,
    path = "/admin/webhooks/{webhook_id}/deliveries",
    operation_id = "listWebhookDeliveries",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("webhook_id" = String, Path, format = "uuid")),
    responses(
        (status = 200, body = DeliveryList, content_type = "application/json"),
        E401, E403, E404, E500,
    )
)]
async fn list_deliveries(
    State(state): State<AppState>,
    _admin: Admin,
    AppPath(id): AppPath<String>,
) -> Result<Json<DeliveryList>, ApiError> {
    let row = find(&state, &id).await?;
    let rows = state
        .db
        .webhook_deliveries(&row.id, DELIVERIES_LISTED)
        .await?;
    let ids: Vec<String> = rows.iter().map(|d| d.id.clone()).collect();
    let attempts = state.db.webhook_attempts(&ids).await?;
    Ok(Json(DeliveryList {
        deliveries: rows.iter().map(|d| delivery(d, &attempts)).collect(),
    }))
}

#[utoipa::path(
    post,
    path = "/admin/webhooks/{webhook_id}/deliveries/{delivery_id}/retry",
    operation_id = "retryWebhookDelivery",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(
        ("webhook_id" = String, Path, format = "uuid"),
        ("delivery_id" = String, Path, format = "uuid"),
    ),
    responses(
        (status = 202, body = Delivery, content_type = "application/json"),
        E401, E403, E404, E500,
    )
)]
async fn retry_delivery(
    State(state): State<AppState>,
    admin: Admin,
    AppPath((webhook, delivery_id)): AppPath<(String, String)>,
) -> Result<(StatusCode, Json<Delivery>), ApiError> {
    let webhook = parse_id(&webhook)?;
    let delivery_id = uuid::Uuid::parse_str(&delivery_id)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| ApiError::NotFound("delivery"))?;
    let actor = state.db.actor(admin.0.user).await?;
    let row = state
        .db
        .retry_webhook_delivery(&webhook, &delivery_id, state.clock().now_ms(), &actor)
        .await?
        .ok_or(ApiError::NotFound("delivery"))?;
    state.webhooks.written();
    let attempts = state
        .db
        .webhook_attempts(std::slice::from_ref(&row.id))
        .await?;
    Ok((StatusCode::ACCEPTED, Json(delivery(&row, &attempts))))
}

#[utoipa::path(
    get,
    path = "/admin/webhooks/audit",
    operation_id = "webhookAuditLog",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    responses(
        (status = 200, body = WebhookAuditLog, content_type = "application/json"),
        E401, E403, E500,
    )
)]
async fn webhook_audit(
    State(state): State<AppState>,
    _admin: Admin,
) -> Result<Json<WebhookAuditLog>, ApiError> {
    let rows = state.db.webhook_audit(200).await?;
    Ok(Json(WebhookAuditLog {
        entries: rows
            .into_iter()
            .map(|r| WebhookAuditEntry {
                id: r.id,
                at: rfc3339(r.at_ms),
                actor_id: r.actor.id.to_string(),
                actor_email: r.actor.email,
                webhook_id: r.endpoint_id,
                action: r.action,
                detail: r.detail,
            })
            .collect(),
    }))
}

/// An endpoint id is a UUID; anything else is no endpoint (404).
fn parse_id(raw: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(raw)
        .map(|id| id.hyphenated().to_string())
        .map_err(|_| ApiError::NotFound("webhook"))
}

async fn find(state: &AppState, raw: &str) -> Result<EndpointRow, ApiError> {
    let id = parse_id(raw)?;
    state
        .db
        .webhook_endpoints()
        .await?
        .into_iter()
        .find(|e| e.id == id)
        .ok_or(ApiError::NotFound("webhook"))
}

/// `["*"]`, or known event types (duplicates dropped, order kept).
fn parse_events(raw: &[String]) -> Result<Vec<String>, ApiError> {
    if raw.is_empty() {
        return Err(ApiError::bad_request(
            "unknown_event_type",
            "events: name at least one event type, or \"*\" for all",
        ));
    }
    if raw.iter().any(|t| t == "*") {
        return Ok(vec!["*".to_owned()]);
    }
    let mut out: Vec<String> = Vec::new();
    for t in raw {
        if EventType::parse(t).is_none() {
            let known: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
            return Err(ApiError::bad_request(
                "unknown_event_type",
                format!(
                    "events: unknown event type (known: {}, or \"*\")",
                    known.join(", ")
                ),
            ));
        }
        if !out.contains(t) {
            out.push(t.clone());
        }
    }
    Ok(out)
}

fn url_error(e: UrlRefused) -> ApiError {
    let code = match e {
        UrlRefused::Forbidden(_) => "forbidden_webhook_url",
        _ => "invalid_webhook_url",
    };
    ApiError::bad_request(code, e.to_string())
}

fn endpoint(row: &EndpointRow) -> WebhookEndpoint {
    WebhookEndpoint {
        id: row.id.clone(),
        url: row.url.clone(),
        events: row.events.clone(),
        description: row.description.clone(),
        created_at: rfc3339(row.created_at_ms),
    }
}

fn delivery(d: &DeliveryRow, attempts: &[AttemptRow]) -> Delivery {
    let status = match d.status.as_str() {
        "delivered" => DeliveryStatus::Delivered,
        "failed" => DeliveryStatus::Failed,
        _ => DeliveryStatus::Pending,
    };
    let pending = matches!(status, DeliveryStatus::Pending);
    Delivery {
        id: d.id.clone(),
        message_id: d.message_id.clone(),
        kind: d.event_type.clone(),
        status,
        attempts: u32::try_from(d.attempts).unwrap_or(0),
        created_at: rfc3339(d.created_at_ms),
        next_attempt_at: pending.then(|| rfc3339(d.next_attempt_at_ms)),
        delivered_at: d.delivered_at_ms.map(rfc3339),
        last_status_code: d.last_status_code.and_then(|c| u16::try_from(c).ok()),
        last_error: d.last_error.clone(),
        payload: serde_json::from_str(&d.payload).unwrap_or(serde_json::Value::Null),
        attempt_log: attempts
            .iter()
            .filter(|a| a.delivery_id == d.id)
            .map(|a| Attempt {
                attempt: u32::try_from(a.attempt).unwrap_or(0),
                at: rfc3339(a.at_ms),
                status_code: a.status_code.and_then(|c| u16::try_from(c).ok()),
                error: a.error.clone(),
                duration_ms: u64::try_from(a.duration_ms).unwrap_or(0),
            })
            .collect(),
    }
}
