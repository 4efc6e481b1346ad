//! The schemas no handler's body names, and the document's shape for them: the
//! WebSocket frames (each variant of a tagged union its own named schema, told apart
//! by a discriminator), the purchase token's claims, and an audit entry's payloads by
//! action.

use serde_json::{Map, Value};
use utoipa::openapi::{OpenApi, RefOr, Schema};
use utoipa::ToSchema;
use waiting_room::token::PurchaseClaims;
use waiting_room::wire::{ClientMessage, ServerMessage};
use waiting_room::AdmissionSettings;

use super::flatten;
use crate::checkout::seat_messages::SeatStreamMessage;
use crate::db::AuditAction;
use crate::event::AuditSummary;
use crate::stats::StatsError;

/// The schemas no handler's body names: the WebSocket frames (the queue socket's both
/// ways, the seat stream's, the stats socket's error), the purchase token's claims,
/// and an audit entry's payloads.
pub(super) fn add_frame_schemas(doc: &mut OpenApi) {
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
pub(super) fn name_variants(doc: &mut Value, union: &str, closed: bool) {
    let schemas = &doc["components"]["schemas"];
    let Some(variants) = schemas[union]["oneOf"].as_array().cloned() else {
        return;
    };
    let mut named = Map::new();
    let mut refs = Vec::new();
    let mut mapping = Map::new();
    for variant in variants {
        let mut object = schemas
            .as_object()
            .and_then(|all| flatten::merged(&variant, all, 0))
            .unwrap_or(variant);
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
pub(super) fn add_audit_payloads(doc: &mut Value) {
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
    let name = crate::routes::admin::AuditView::name();
    doc["components"]["schemas"][name.as_ref()]["allOf"] = Value::Array(rules);
}

fn schema_ref(name: &str) -> Value {
    serde_json::json!({ "$ref": format!("#/components/schemas/{name}") })
}
