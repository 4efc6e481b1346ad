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

use crate::cookie::SESSION_COOKIE;

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
    let mut generated = super::api(None).into_openapi();
    // utoipa's default names utoipa's own authors; the prose gives the title and words.
    generated.info = Info::new("Floodgate", "1");
    add_security_schemes(&mut generated);
    let mut generated = serde_json::to_value(generated).map_err(|e| vec![e.to_string()])?;
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
        "sessionCookie",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(SESSION_COOKIE))),
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        document().unwrap_or_else(|e| panic!("{}", e.join("\n")))
    }

    /// Every (method, path) the document lists.
    fn operations(doc: &Value) -> Vec<(String, String)> {
        let mut all = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                if METHODS.contains(&method.as_str()) {
                    all.push((method.to_uppercase(), path.clone()));
                }
            }
        }
        all.sort();
        all
    }

    #[test]
    fn the_served_text_is_the_document() {
        let served: Value = serde_json::from_str(served()).unwrap();
        assert_eq!(served, doc());
    }

    /// The API the router serves, every role's routes, exactly. The router and this list
    /// come from the same `routes!` calls, so this pins the set rather than guarding
    /// against drift: a new route shows up here and in the document together.
    #[test]
    fn the_document_lists_every_api_route() {
        let expected = [
            ("DELETE", "/api/v1/auth/session"),
            ("DELETE", "/api/v1/holds/{hold_id}"),
            ("GET", "/.well-known/jwks.json"),
            ("GET", "/api/v1/admin/events/{id}/audit"),
            ("GET", "/api/v1/admin/events/{id}/stats"),
            ("GET", "/api/v1/admin/events/{id}/stats/history"),
            ("GET", "/api/v1/admin/events/{id}/stats/ws"),
            ("GET", "/api/v1/auth/session"),
            ("GET", "/api/v1/events"),
            ("GET", "/api/v1/events/{id}"),
            ("GET", "/api/v1/events/{id}/queue/me"),
            ("GET", "/api/v1/events/{id}/queue/ws"),
            ("GET", "/api/v1/events/{id}/seats"),
            ("GET", "/api/v1/events/{id}/seats/ws"),
            ("GET", "/api/v1/openapi.json"),
            ("GET", "/api/v1/orders"),
            ("GET", "/api/v1/time"),
            ("GET", "/healthz"),
            ("GET", "/metrics"),
            ("GET", "/readyz"),
            ("PATCH", "/api/v1/admin/events/{id}/admission"),
            ("POST", "/api/v1/admin/events"),
            ("POST", "/api/v1/admin/fans"),
            ("POST", "/api/v1/auth/login"),
            ("POST", "/api/v1/auth/register"),
            ("POST", "/api/v1/auth/session"),
            ("POST", "/api/v1/events/{id}/holds"),
            ("POST", "/api/v1/events/{id}/queue/join"),
            ("POST", "/api/v1/events/{id}/queue/leave"),
            ("POST", "/api/v1/holds/{hold_id}/confirm"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        assert_eq!(operations(&doc()), expected);
    }

    /// The API modules add routes only through `routes!` (which documents them); a plain
    /// `.route(` would serve an undocumented path.
    #[test]
    fn api_modules_route_only_through_routes_macro() {
        let sources = [
            ("admin", include_str!("admin.rs")),
            ("auth", include_str!("auth.rs")),
            ("checkout", include_str!("checkout.rs")),
            ("events", include_str!("events.rs")),
            ("loadtest", include_str!("loadtest.rs")),
            ("ops", include_str!("ops.rs")),
            ("queue", include_str!("queue.rs")),
            ("mod", include_str!("mod.rs")),
        ];
        for (name, source) in sources {
            for needle in [".route(", ".route_service(", ".nest_service("] {
                assert!(!source.contains(needle), "{name}.rs calls {needle}");
            }
        }
    }

    /// Prose that names what the code lacks is refused.
    #[test]
    fn prose_for_a_missing_route_is_an_error() {
        let generated = serde_json::to_value(super::super::api(None).into_openapi()).unwrap();
        let prose = serde_json::json!({"operations": {
            "placeHold": {"responses": {"418": {"description": "teapot"}}},
            "noSuchThing": {"description": "gone"},
        }});
        let errors = lay_prose(generated, prose).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
    }

    #[test]
    fn every_reference_resolves() {
        fn walk(node: &Value, doc: &Value, missing: &mut Vec<String>) {
            match node {
                Value::Object(map) => {
                    if let Some(Value::String(r)) = map.get("$ref") {
                        let target = r
                            .strip_prefix('#')
                            .and_then(|p| doc.pointer(p))
                            .filter(|t| !t.is_null());
                        if target.is_none() {
                            missing.push(r.clone());
                        }
                    }
                    map.values().for_each(|v| walk(v, doc, missing));
                }
                Value::Array(items) => items.iter().for_each(|v| walk(v, doc, missing)),
                _ => {}
            }
        }
        let doc = doc();
        let mut missing = Vec::new();
        walk(&doc, &doc, &mut missing);
        assert!(missing.is_empty(), "{missing:?}");
    }

    /// Every security scheme an operation asks for is declared.
    #[test]
    fn every_security_requirement_is_declared() {
        let doc = doc();
        let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
        for item in doc["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                for requirement in op["security"].as_array().into_iter().flatten() {
                    for name in requirement.as_object().unwrap().keys() {
                        assert!(schemes.contains_key(name), "{name}");
                    }
                }
            }
        }
        assert_eq!(
            doc["components"]["securitySchemes"]["sessionCookie"]["name"],
            SESSION_COOKIE
        );
    }

    #[test]
    fn openapi_document_parses() {
        let doc = doc();
        assert_eq!(doc["openapi"].as_str().map(|v| &v[..2]), Some("3."));
        assert!(doc["paths"]["/api/v1/events/{id}/queue/ws"].is_object());
        for path in ["audit", "stats/history"] {
            let path = format!("/api/v1/admin/events/{{id}}/{path}");
            assert!(doc["paths"][&path]["get"].is_object(), "{path}");
        }
        let stats = &doc["components"]["schemas"]["Stats"]["required"];
        for field in ["at_ms", "revenue_cents", "connected", "eta_clear_secs"] {
            assert!(stats.as_array().unwrap().contains(&field.into()), "{field}");
        }
    }

    /// The document says what the code does: session tokens are HS256 (not EdDSA),
    /// and every error code the server can answer is in `Error`'s list.
    #[test]
    fn openapi_document_matches_the_code() {
        let doc = doc();
        let schemes = &doc["components"]["securitySchemes"];
        let bearer = schemes["bearer"]["description"].as_str().unwrap();
        assert!(
            bearer.contains("HS256") && !bearer.contains("EdDSA"),
            "{bearer}"
        );
        let purchase = schemes["purchaseToken"]["description"].as_str().unwrap();
        assert!(
            !purchase.contains("same key as session tokens"),
            "{purchase}"
        );
        let codes = doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]
            ["code"]["enum"]
            .as_array()
            .unwrap();
        let listed = |code: &str| codes.iter().any(|c| c == code);
        for status in 400..600 {
            let Ok(status) = axum::http::StatusCode::from_u16(status) else {
                continue;
            };
            let (code, _) = crate::contract_errors::describe(status);
            assert!(
                listed(code),
                "{code} (for {status}) is not in Error's codes"
            );
        }
        for code in [
            "invalid_path",
            "invalid_query",
            "websocket_required",
            "payload_too_large",
            "headers_too_large",
            "method_not_allowed",
            "timeout",
            "bad_origin",
        ] {
            assert!(listed(code), "{code} is not in Error's codes");
        }
    }
}
