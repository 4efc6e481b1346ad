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

use serde_json::{Map, Value};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Info, OpenApi, RefOr, Schema};
use utoipa::ToSchema;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::checkout::seat_messages::SeatStreamMessage;
use crate::cookie::SESSION_COOKIE;
use crate::db::AuditAction;
use crate::event::AuditSummary;
use crate::state::AppState;
use crate::stats::StatsError;
use waiting_room::fairness::OrderFigures;
use waiting_room::token::PurchaseClaims;
use waiting_room::wire::{ClientMessage, ServerMessage};
use waiting_room::AdmissionSettings;

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
    lay_prose(generated()?, prose)
}

/// The document the code alone makes: every route, schema and security scheme,
/// without words.
fn generated() -> Result<Value, Vec<String>> {
    let mut generated = documented().into_openapi();
    // utoipa's default names utoipa's own authors; the prose gives the title and words.
    generated.info = Info::new("Floodgate", "1");
    add_security_schemes(&mut generated);
    add_frame_schemas(&mut generated);
    let mut generated = serde_json::to_value(generated).map_err(|e| vec![e.to_string()])?;
    flatten::flatten_all_of(&mut generated);
    name_variants(&mut generated, &ServerMessage::name(), true);
    name_variants(&mut generated, &ClientMessage::name(), false);
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
    add_audit_payloads(&mut generated);
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

/// The schemas no handler's body names: the WebSocket frames (the queue socket's both
/// ways, the seat stream's, the stats socket's error), the purchase token's claims,
/// and an audit entry's payloads.
fn add_frame_schemas(doc: &mut OpenApi) {
    let mut all = Vec::new();
    register::<SeatStreamMessage>(&mut all);
    register::<ServerMessage>(&mut all);
    register::<ClientMessage>(&mut all);
    register::<StatsError>(&mut all);
    register::<PurchaseClaims>(&mut all);
    register::<AuditSummary>(&mut all);
    let components = doc.components.get_or_insert_with(Default::default);
    components.schemas.extend(all);
}

/// `T`'s schema and those it refers to.
fn register<T: ToSchema>(all: &mut Vec<(String, RefOr<Schema>)>) {
    all.push((T::name().into_owned(), T::schema()));
    T::schemas(all);
}

/// Gives each variant of the tagged union `union` (a `oneOf` of inline objects told
/// apart by the value of their `type`, as serde's `#[serde(tag = "type")]` enums are
/// derived) a schema of its own named after its tag (`sold_out` → `SoldOutMessage`),
/// refers to those by a discriminator, and, with `closed`, refuses properties a
/// variant does not have (the server sends exactly these). A variant whose fields
/// are flattened in (`allOf`) becomes one object.
fn name_variants(doc: &mut Value, union: &str, closed: bool) {
    let schemas = &doc["components"]["schemas"];
    let Some(variants) = schemas[union]["oneOf"].as_array().cloned() else {
        return;
    };
    let mut named = Map::new();
    let mut refs = Vec::new();
    let mut mapping = Map::new();
    for variant in variants {
        let mut object = one_object(&variant, schemas);
        let Some(tag) = object["properties"]["type"]["enum"][0]
            .as_str()
            .map(str::to_owned)
        else {
            return;
        };
        if closed {
            object["additionalProperties"] = Value::Bool(false);
        }
        let name = format!("{}Message", camel(&tag));
        let reference = serde_json::json!({ "$ref": format!("#/components/schemas/{name}") });
        mapping.insert(tag, reference["$ref"].clone());
        refs.push(reference);
        named.insert(name, object);
    }
    let schemas = doc["components"]["schemas"]
        .as_object_mut()
        .expect("the document has schemas");
    for (name, object) in named {
        schemas.entry(name).or_insert(object);
    }
    schemas[union]["oneOf"] = Value::Array(refs);
    schemas[union]["discriminator"] =
        serde_json::json!({ "propertyName": "type", "mapping": mapping });
}

/// `variant` as one object: the parts of an `allOf` (references resolved) merged.
fn one_object(variant: &Value, schemas: &Value) -> Value {
    let Some(parts) = variant["allOf"].as_array() else {
        return variant.clone();
    };
    let mut object = serde_json::json!({ "type": "object", "properties": {}, "required": [] });
    for part in parts {
        let part = match part["$ref"].as_str() {
            Some(r) => &schemas[r.trim_start_matches("#/components/schemas/")],
            None => part,
        };
        for (key, value) in part["properties"].as_object().into_iter().flatten() {
            object["properties"][key] = value.clone();
        }
        for name in part["required"].as_array().into_iter().flatten() {
            object["required"]
                .as_array_mut()
                .expect("an array")
                .push(name.clone());
        }
    }
    for key in ["title", "description"] {
        if let Some(words) = variant.get(key) {
            object[key] = words.clone();
        }
    }
    object
}

/// `sold_out` → `SoldOut`.
fn camel(snake: &str) -> String {
    snake
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// What an audit entry's `before` and `after` hold, by action: a JSON Schema
/// condition per action whose payloads have a type (others are as they were stored).
fn add_audit_payloads(doc: &mut Value) {
    let settings = schema_ref(&AdmissionSettings::name());
    let rules = [
        (AuditAction::AdmissionChanged, settings.clone(), settings),
        (
            AuditAction::EventCreated,
            serde_json::json!({ "type": "null" }),
            schema_ref(&AuditSummary::name()),
        ),
    ];
    let rules = rules
        .into_iter()
        .map(|(action, before, after)| {
            serde_json::json!({
                "if": { "properties": { "action": { "const": action.as_str() } } },
                "then": { "properties": { "before": before, "after": after } },
            })
        })
        .collect();
    let name = super::admin::AuditView::name();
    doc["components"]["schemas"][name.as_ref()]["allOf"] = Value::Array(rules);
}

fn schema_ref(name: &str) -> Value {
    serde_json::json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// Checks that the prose of a schema only gives words (descriptions, examples) to what
/// the derived schema has: its own, its properties' and its items'.
fn words_only(words: &Value, derived: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(words) = words.as_object() else {
        errors.push(format!("schema {at}: not an object"));
        return;
    };
    for (key, value) in words {
        match key.as_str() {
            "description" | "example" | "examples" => {}
            "properties" => {
                for (name, words) in value.as_object().into_iter().flatten() {
                    match derived["properties"].get(name) {
                        Some(derived) => {
                            words_only(words, derived, &format!("{at}.{name}"), errors)
                        }
                        None => errors.push(format!("schema {at}: no property {name} in the code")),
                    }
                }
            }
            "items" if derived.get("items").is_some() => {
                words_only(value, &derived["items"], &format!("{at}[]"), errors);
            }
            other => errors.push(format!(
                "schema {at}: prose may only describe it, not give it `{other}`"
            )),
        }
    }
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
    if let Some(schemas) = prose
        .get("components")
        .and_then(|c| c.get("schemas"))
        .and_then(Value::as_object)
    {
        for (name, words) in schemas {
            match doc["components"]["schemas"].get(name) {
                Some(derived) => words_only(words, derived, name, &mut errors),
                None => errors.push(format!("schema {name}: no such type in the code")),
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
            let words_only = param.as_object().is_some_and(|p| {
                p.keys().all(|k| {
                    ["name", "in", "description", "example", "examples"].contains(&k.as_str())
                })
            });
            match slot {
                Some(_) if !words_only => errors.push(format!(
                    "{id}: parameter {}: prose may only describe it",
                    param["name"]
                )),
                Some(slot) => merge(slot, param),
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
