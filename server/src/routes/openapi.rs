//! The OpenAPI document served at `/api/v1/openapi.json`.
//!
//! Its structure comes from the code: every operation (path, method, operation id, tag,
//! security, parameters, request body, response statuses and their schemas) is the
//! `#[utoipa::path]` on the handler that `routes!` registers, so a route cannot be
//! served without being documented, nor documented without being served. The data
//! schemas are derived from the types the handlers answer and take (`ToSchema`), the
//! WebSocket frames' from the types the sockets send; the security schemes are
//! declared here. The words and examples are `openapi/prose.json`, laid over that
//! structure by operation id and schema name; prose naming an operation, status,
//! parameter, body or schema the code does not have is an error (tested), so it cannot
//! outlive a route, and prose giving a schema anything but words is refused too.

use std::sync::LazyLock;

use serde_json::Value;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Info, OpenApi};
use utoipa::ToSchema;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::cookie::SESSION_COOKIE;
use crate::state::AppState;
use waiting_room::fairness::OrderFigures;
use waiting_room::token::PurchaseClaims;
use waiting_room::wire::{ClientMessage, ServerMessage};
use waiting_room::AdmissionSettings;

/// The operations that read neither a database nor a store (so never answer 503
/// `unavailable`); every other one is documented with the shared `Unavailable` answer
/// unless it words its own 503.
const NO_BACKEND: [&str; 6] = [
    "gateCheck",
    "healthz",
    "jwks",
    "metrics",
    "openapi",
    "serverTime",
];

/// The route serving the document.
pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(openapi))
}

/// Every role's routes, this one's included.
fn documented() -> OpenApiRouter<AppState> {
    super::api::api(None).merge(router())
}

#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "openapi",
    tag = "ops",
    responses(
        (status = 200, body = Document, content_type = "application/json"),
    )
)]
async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        super::openapi::served(),
    )
}

/// The document itself (OpenAPI 3.1); only its schema is used, the document is
/// served as text.
#[derive(ToSchema)]
#[allow(dead_code)]
struct Document {
    #[schema(pattern = r"^3\.1\.")]
    openapi: String,
    #[schema(inline)]
    info: DocumentInfo,
    #[schema(value_type = Object)]
    paths: (),
    #[schema(value_type = Object)]
    components: (),
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct DocumentInfo {
    title: String,
    version: String,
}

const PROSE: &str = include_str!("../../openapi/prose.json");

/// The document as served (JSON text), built once.
pub fn served() -> &'static str {
    static DOC: LazyLock<String> = LazyLock::new(|| {
        let doc = document().expect("the OpenAPI prose fits the routes (tested)");
        serde_json::to_string(&doc).expect("a JSON value serializes")
    });
    &DOC
}

/// Every role's routes, documented.
pub fn document() -> Result<Value, Vec<String>> {
    let prose: Value = serde_json::from_str(PROSE).map_err(|e| vec![e.to_string()])?;
    prose::lay_prose(generated()?, prose)
}

/// The document the code alone makes: every route, schema and security scheme,
/// without words.
fn generated() -> Result<Value, Vec<String>> {
    let mut generated = documented().into_openapi();
    // utoipa's default names utoipa's own authors; the prose gives the title and words.
    generated.info = Info::new("Floodgate", "1");
    add_security_schemes(&mut generated);
    frames::add_frame_schemas(&mut generated);
    let mut generated = serde_json::to_value(generated).map_err(|e| vec![e.to_string()])?;
    flatten::flatten_all_of(&mut generated);
    frames::name_variants(&mut generated, &ServerMessage::name(), true);
    frames::name_variants(&mut generated, &ClientMessage::name(), false);
    // Domain types that also read stored data (so serde keeps unknown fields there);
    // what the server sends has exactly their fields.
    for name in [
        AdmissionSettings::name(),
        PurchaseClaims::name(),
        OrderFigures::name(),
    ] {
        generated["components"]["schemas"][name.as_ref()]["additionalProperties"] =
            Value::Bool(false);
    }
    frames::add_audit_payloads(&mut generated);
    // Every body the API takes is required (`AppJson` refuses an empty one); utoipa
    // cannot tell that from a schema reference.
    for item in generated["paths"]
        .as_object_mut()
        .into_iter()
        .flat_map(|p| p.values_mut())
    {
        for op in item
            .as_object_mut()
            .into_iter()
            .flat_map(|m| m.values_mut())
        {
            if let Some(body) = op.get_mut("requestBody").and_then(Value::as_object_mut) {
                body.insert("required".into(), Value::Bool(true));
            }
            let reads_no_backend = op
                .get("operationId")
                .and_then(Value::as_str)
                .is_some_and(|id| NO_BACKEND.contains(&id));
            // Every route runs under the request timeout (`app`), so any may answer 408;
            // every route that reads a database or a store may find it busy or gone.
            if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
                responses.entry("408").or_insert_with(
                    || serde_json::json!({ "$ref": "#/components/responses/Timeout" }),
                );
                if !reads_no_backend {
                    responses.entry("503").or_insert_with(
                        || serde_json::json!({ "$ref": "#/components/responses/Unavailable" }),
                    );
                }
            }
        }
    }
    Ok(generated)
}

fn add_security_schemes(doc: &mut OpenApi) {
    let jwt = || {
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .build(),
        )
    };
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme("bearer", jwt());
    components.add_security_scheme(
        "accessToken",
        SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::new("access_token"))),
    );
    components.add_security_scheme("purchaseToken", jwt());
    components.add_security_scheme(
        "sessionHeader",
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("Floodgate-Session"))),
    );
    components.add_security_scheme(
        "metricsToken",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    components.add_security_scheme(
        "sessionCookie",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(SESSION_COOKIE))),
    );
}

mod flatten;
mod frames;
mod prose;
#[cfg(test)]
mod tests;
