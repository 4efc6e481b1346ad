//! The words laid over the generated document (`openapi/prose.json`): descriptions and
//! examples by operation id, status, parameter and schema name. Prose naming what the
//! code does not have, or giving a schema anything but words, is an error.

use serde_json::{Map, Value};

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

pub(super) const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Lays `prose` over the generated document; the errors name whatever prose has no
/// counterpart in the code.
pub(super) fn lay_prose(mut doc: Value, prose: Value) -> Result<Value, Vec<String>> {
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
