//! The OpenAPI document served at `/api/v1/openapi.json`.
//!
//! Its structure comes from the code: every operation (path, method, operation id, tag,
//! security, parameters, request body, response statuses and their schemas) is the
//! `#[utoipa::path]` on the handler that `routes!` registers, so a route cannot be
//! served without being documented, nor documented without being served. The security
//! schemes are declared here. The words and examples (descriptions, examples, the
//! WebSocket messages, the data schemas) are `openapi/prose.json`, laid over that
//! structure by operation id; prose naming an operation, status, parameter or body the
//! code does not have is an error (tested), so it cannot outlive a route.

use std::sync::LazyLock;

use serde_json::{Map, Value};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Info, OpenApi};
use utoipa::{PartialSchema, ToSchema};

use axum::http::header;
use axum::response::IntoResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::checkout::holds::OrderLine;
use crate::cookie::SESSION_COOKIE;
use crate::state::AppState;
use crate::stats::StatsError;

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
        (status = 200, content_type = "application/json"),
    )
)]
async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        super::openapi::served(),
    )
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
    let mut generated = documented().into_openapi();
    // utoipa's default names utoipa's own authors; the prose gives the title and words.
    generated.info = Info::new("Floodgate", "1");
    add_security_schemes(&mut generated);
    add_prose_referenced_schemas(&mut generated);
    let mut generated = serde_json::to_value(generated).map_err(|e| vec![e.to_string()])?;
    flatten::flatten_all_of(&mut generated);
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
            // Every route runs under the request timeout (`app`), so any may answer 408.
            if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
                responses.entry("408").or_insert_with(
                    || serde_json::json!({ "$ref": "#/components/responses/Timeout" }),
                );
            }
        }
    }
    let prose: Value = serde_json::from_str(PROSE).map_err(|e| vec![e.to_string()])?;
    lay_prose(generated, prose)
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

/// Derived schemas that no handler names but a hand-written prose schema refers to
/// (`Order`'s `lines`, the stats socket's error frame).
fn add_prose_referenced_schemas(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    components
        .schemas
        .insert(OrderLine::name().into_owned(), OrderLine::schema());
    components
        .schemas
        .insert(StatsError::name().into_owned(), StatsError::schema());
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Lays `prose` over the generated document; the errors name whatever prose has no
/// counterpart in the code.
fn lay_prose(mut doc: Value, prose: Value) -> Result<Value, Vec<String>> {
    let mut errors = Vec::new();
    let Value::Object(mut prose) = prose else {
        return Err(vec!["the prose is not an object".into()]);
    };
    let operations = prose.remove("operations").unwrap_or_default();
    if let Some(schemes) = prose
        .get("components")
        .and_then(|c| c.get("securitySchemes"))
        .and_then(Value::as_object)
    {
        for (name, scheme) in schemes {
            if doc["components"]["securitySchemes"].get(name).is_none() {
                errors.push(format!(
                    "security scheme {name} is not declared in the code"
                ));
            }
            let words_only = scheme
                .as_object()
                .is_some_and(|s| s.keys().all(|k| k == "description"));
            if !words_only {
                errors.push(format!(
                    "security scheme {name}: prose may only describe it"
                ));
            }
        }
    }
    merge(&mut doc, Value::Object(prose));
    let Value::Object(operations) = operations else {
        return Err(vec!["`operations` is not an object".into()]);
    };
    for (id, words) in operations {
        match operation_mut(&mut doc, &id) {
            Some(op) => lay_operation(op, &id, words, &mut errors),
            None => errors.push(format!("{id}: no such operation in the code")),
        }
    }
    if errors.is_empty() {
        Ok(doc)
    } else {
        Err(errors)
    }
}

fn operation_mut<'a>(doc: &'a mut Value, id: &str) -> Option<&'a mut Value> {
    doc.get_mut("paths")?
        .as_object_mut()?
        .values_mut()
        .flat_map(|item| {
            item.as_object_mut()
                .into_iter()
                .flat_map(|m| m.iter_mut())
                .filter(|(method, _)| METHODS.contains(&method.as_str()))
                .map(|(_, op)| op)
        })
        .find(|op| op["operationId"] == id)
}

fn lay_operation(op: &mut Value, id: &str, words: Value, errors: &mut Vec<String>) {
    let Value::Object(mut words) = words else {
        errors.push(format!("{id}: not an object"));
        return;
    };
    // The words are the prose's: a handler's doc comment (meant for its readers) is
    // not published unless the prose says the same.
    let op = op.as_object_mut().expect("an operation is an object");
    for key in ["summary", "description"] {
        if !words.contains_key(key) {
            op.remove(key);
        }
    }
    if let Some(Value::Array(params)) = words.remove("parameters") {
        for param in params {
            let slot = op
                .get_mut("parameters")
                .and_then(Value::as_array_mut)
                .and_then(|all| {
                    all.iter_mut()
                        .find(|p| p["name"] == param["name"] && p["in"] == param["in"])
                });
            match slot {
                Some(slot) => *slot = param,
                None => errors.push(format!("{id}: no parameter {}", param["name"])),
            }
        }
    }
    if let Some(Value::Object(responses)) = words.remove("responses") {
        for (status, response) in responses {
            let slot = op.get_mut("responses").and_then(|r| r.get_mut(&status));
            match slot {
                Some(slot) if response.get("$ref").is_some() => *slot = response,
                Some(slot) => merge(slot, response),
                None => errors.push(format!("{id}: no {status} response in the code")),
            }
        }
    }
    if words.contains_key("requestBody") && !op.contains_key("requestBody") {
        errors.push(format!("{id}: no request body in the code"));
    }
    merge_map(op, words);
}

/// Objects merge key by key; anything else replaces.
fn merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(into), Value::Object(from)) => merge_map(into, from),
        (into, from) => *into = from,
    }
}

fn merge_map(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (key, value) in from {
        match into.get_mut(&key) {
            Some(slot) => merge(slot, value),
            None => {
                into.insert(key, value);
            }
        }
    }
}

mod flatten;
#[cfg(test)]
mod tests;
