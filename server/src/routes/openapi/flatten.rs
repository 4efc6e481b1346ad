//! Flattened structs, flat in the document. utoipa describes a struct with a
//! `#[serde(flatten)]` field as `allOf` the flattened type and the other fields; the
//! JSON is one flat object, and so is its schema here: every `allOf` of object schemas
//! (by reference or inline) becomes one object with all their properties and required
//! fields, so a client generator and the schema walk see the fields where they are.

use serde_json::{Map, Value};

/// Merges the `allOf` of object schemas in `doc`'s components into plain objects.
pub(super) fn flatten_all_of(doc: &mut Value) {
    let Some(schemas) = doc
        .get("components")
        .and_then(|c| c.get("schemas"))
        .and_then(Value::as_object)
        .cloned()
    else {
        return;
    };
    let flat: Vec<(String, Value)> = schemas
        .iter()
        .filter_map(|(name, schema)| Some((name.clone(), merged(schema, &schemas, 0)?)))
        .collect();
    let target = &mut doc["components"]["schemas"];
    for (name, schema) in flat {
        target[name] = schema;
    }
}

/// `schema` as one object schema, if it is an `allOf` of object schemas.
pub(super) fn merged(schema: &Value, schemas: &Map<String, Value>, depth: u8) -> Option<Value> {
    let parts = schema.get("allOf")?.as_array()?;
    let mut object = Map::new();
    object.insert("type".into(), "object".into());
    let (mut properties, mut required) = (Map::new(), Vec::new());
    // Closed when every type flattened in is closed (`deny_unknown_fields`) and the
    // struct's own fields allow nothing more: the object has exactly these properties.
    let mut closed = true;
    for part in parts {
        let by_reference = part.get("$ref").is_some();
        let part = resolved(part, schemas, depth)?;
        if part.get("type").and_then(Value::as_str) != Some("object") {
            return None;
        }
        if let Some(p) = part.get("properties").and_then(Value::as_object) {
            properties.extend(p.clone());
        }
        if let Some(r) = part.get("required").and_then(Value::as_array) {
            required.extend(r.iter().cloned());
        }
        closed &= match part.get("additionalProperties") {
            None => !by_reference,
            Some(allowed) => allowed == &Value::Bool(false),
        };
    }
    object.insert("properties".into(), Value::Object(properties));
    object.insert("required".into(), Value::Array(required));
    if closed {
        object.insert("additionalProperties".into(), Value::Bool(false));
    }
    for (key, value) in schema.as_object()? {
        if key != "allOf" {
            object.insert(key.clone(), value.clone());
        }
    }
    Some(Value::Object(object))
}

/// A part of an `allOf` as an object schema: a reference followed (and merged in
/// turn, up to a few levels), an inline schema as it is.
fn resolved(part: &Value, schemas: &Map<String, Value>, depth: u8) -> Option<Value> {
    let Some(reference) = part.get("$ref").and_then(Value::as_str) else {
        return Some(part.clone());
    };
    let target = schemas.get(reference.strip_prefix("#/components/schemas/")?)?;
    if target.get("allOf").is_some() {
        return (depth < 8).then(|| merged(target, schemas, depth + 1))?;
    }
    Some(target.clone())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_all_of_of_objects_becomes_one_object() {
        let mut doc = json!({"components": {"schemas": {
            "Inner": {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"],
                "additionalProperties": false},
            "Middle": {"allOf": [{"$ref": "#/components/schemas/Inner"},
                {"type": "object", "properties": {"b": {"type": "string"}}, "required": ["b"]}]},
            "Outer": {"description": "outer", "allOf": [{"$ref": "#/components/schemas/Middle"},
                {"type": "object", "properties": {"c": {"type": "boolean"}}}]},
            "Loose": {"type": "object", "properties": {"e": {"type": "integer"}}},
            "Open": {"allOf": [{"$ref": "#/components/schemas/Loose"},
                {"type": "object", "properties": {"d": {"type": "boolean"}}}]},
            "Choice": {"allOf": [{"type": "string"}]},
        }}});
        flatten_all_of(&mut doc);
        let outer = &doc["components"]["schemas"]["Outer"];
        assert_eq!(outer["description"], "outer");
        assert_eq!(outer["required"], json!(["a", "b"]));
        let mut keys: Vec<_> = outer["properties"].as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["a", "b", "c"]);
        assert!(outer.get("allOf").is_none());
        // Closed: every type flattened in (`Inner`, through `Middle`) is.
        assert_eq!(outer["additionalProperties"], json!(false));
        // Open: `Loose` allows more.
        let open = &doc["components"]["schemas"]["Open"];
        assert!(open.get("additionalProperties").is_none(), "{open}");
        assert_eq!(open["required"], json!([]));
        // Not objects: left as they are.
        assert_eq!(
            doc["components"]["schemas"]["Choice"],
            json!({"allOf": [{"type": "string"}]})
        );
    }
}
