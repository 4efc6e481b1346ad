//! The document's structure, its prose and its references.

use super::frames::add_frame_schemas;
use super::prose::{lay_prose, METHODS};
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
        ("DELETE", "/api/v1/admin/events/{id}/presale/codes/{code}"),
        ("DELETE", "/api/v1/admin/events/{id}/presale/groups/{group}"),
        ("DELETE", "/api/v1/admin/webhooks/{webhook_id}"),
        ("DELETE", "/api/v1/auth/session"),
        ("DELETE", "/api/v1/auth/sessions"),
        ("DELETE", "/api/v1/holds/{hold_id}"),
        ("GET", "/.well-known/jwks.json"),
        ("GET", "/api/v1/admin/audit"),
        ("GET", "/api/v1/admin/events/{id}/audit"),
        ("GET", "/api/v1/admin/events/{id}/autotune"),
        ("GET", "/api/v1/admin/events/{id}/orders"),
        ("GET", "/api/v1/admin/events/{id}/orders.csv"),
        ("GET", "/api/v1/admin/events/{id}/presale"),
        ("GET", "/api/v1/admin/events/{id}/presale/codes"),
        ("GET", "/api/v1/admin/events/{id}/report"),
        ("GET", "/api/v1/admin/events/{id}/seats"),
        ("GET", "/api/v1/admin/events/{id}/staff"),
        ("GET", "/api/v1/admin/events/{id}/stats"),
        ("GET", "/api/v1/admin/events/{id}/stats/history"),
        ("GET", "/api/v1/admin/events/{id}/stats/ws"),
        ("GET", "/api/v1/admin/webhooks"),
        ("GET", "/api/v1/admin/webhooks/audit"),
        ("GET", "/api/v1/admin/webhooks/{webhook_id}"),
        ("GET", "/api/v1/admin/webhooks/{webhook_id}/deliveries"),
        ("GET", "/api/v1/auth/session"),
        ("GET", "/api/v1/events"),
        ("GET", "/api/v1/events/{id}"),
        ("GET", "/api/v1/events/{id}/gate/return"),
        ("GET", "/api/v1/events/{id}/prequeue"),
        ("GET", "/api/v1/events/{id}/queue/me"),
        ("GET", "/api/v1/events/{id}/queue/ws"),
        ("GET", "/api/v1/events/{id}/seats"),
        ("GET", "/api/v1/events/{id}/seats/ws"),
        ("GET", "/api/v1/gate/check"),
        ("GET", "/api/v1/openapi.json"),
        ("GET", "/api/v1/orders"),
        ("GET", "/api/v1/time"),
        ("GET", "/healthz"),
        ("GET", "/metrics"),
        ("GET", "/readyz"),
        ("PATCH", "/api/v1/admin/events/{id}"),
        ("PATCH", "/api/v1/admin/events/{id}/admission"),
        ("PATCH", "/api/v1/admin/events/{id}/presale/groups/{group}"),
        ("POST", "/api/v1/admin/events"),
        ("POST", "/api/v1/admin/events/{id}/close"),
        ("POST", "/api/v1/admin/events/{id}/presale/groups"),
        (
            "POST",
            "/api/v1/admin/events/{id}/presale/groups/{group}/codes",
        ),
        (
            "POST",
            "/api/v1/admin/events/{id}/presale/groups/{group}/codes/upload",
        ),
        ("POST", "/api/v1/admin/events/{id}/seats/hold-back"),
        ("POST", "/api/v1/admin/events/{id}/seats/release"),
        ("POST", "/api/v1/admin/fans"),
        ("POST", "/api/v1/admin/webhooks"),
        (
            "POST",
            "/api/v1/admin/webhooks/{webhook_id}/deliveries/{delivery_id}/retry",
        ),
        ("POST", "/api/v1/admin/webhooks/{webhook_id}/rotate-secret"),
        ("POST", "/api/v1/auth/login"),
        ("POST", "/api/v1/auth/password"),
        ("POST", "/api/v1/auth/register"),
        ("POST", "/api/v1/auth/session"),
        ("POST", "/api/v1/events/{id}/challenge"),
        ("POST", "/api/v1/events/{id}/holds"),
        ("POST", "/api/v1/events/{id}/presale/redeem"),
        ("POST", "/api/v1/events/{id}/queue/join"),
        ("POST", "/api/v1/events/{id}/queue/leave"),
        ("POST", "/api/v1/holds/{hold_id}/confirm"),
        ("POST", "/api/v1/orders/{order_id}/refund"),
        ("PUT", "/api/v1/admin/events/{id}/autotune"),
        ("PUT", "/api/v1/admin/events/{id}/staff"),
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
        ("admin", include_str!("../admin.rs")),
        ("auth", include_str!("../auth.rs")),
        ("checkout", include_str!("../checkout.rs")),
        ("events", include_str!("../events.rs")),
        ("gate", include_str!("../gate.rs")),
        ("held_back", include_str!("../held_back.rs")),
        ("loadtest", include_str!("../loadtest.rs")),
        ("ops", include_str!("../ops.rs")),
        ("queue", include_str!("../queue.rs")),
        ("report", include_str!("../report.rs")),
        ("mod", include_str!("../mod.rs")),
        ("api", include_str!("../api.rs")),
        ("openapi", include_str!("../openapi.rs")),
    ];
    for (name, source) in sources {
        for needle in [".route(", ".route_service(", ".nest_service("] {
            assert!(!source.contains(needle), "{name}.rs calls {needle}");
        }
    }
}

/// Prose that gives a schema or a parameter a shape, or names a schema or property the
/// code lacks, is refused: the data schemas are the types', the parameters the
/// handlers'.
#[test]
fn prose_gives_schemas_words_only() {
    let prose = serde_json::json!({"operations": {"getEvent": {"parameters": [
        {"name": "id", "in": "path", "description": "fine", "schema": {"type": "integer"}},
    ]}}, "components": {"schemas": {
        "HoldAnswer": {
            "description": "words are fine",
            "required": ["hold_id"],
            "properties": {"total_cents": {"type": "string"}, "nope": {"description": "x"}},
        },
        "NoSuchType": {"description": "gone"},
    }}});
    let errors = lay_prose(generated().unwrap(), prose).unwrap_err();
    assert_eq!(errors.len(), 5, "{errors:?}");
    let served: Value = serde_json::from_str(PROSE).unwrap();
    for (name, _) in served["components"]["schemas"].as_object().unwrap() {
        assert!(
            generated().unwrap()["components"]["schemas"][name].is_object(),
            "{name}"
        );
    }
}

/// No handler answers (or takes) an untyped body: every JSON body of every operation
/// has a schema with a shape (a derived type, or a list or union of them), never none
/// or a bare object, which is what a `Json<Value>` handler documents.
#[test]
fn every_json_body_has_a_typed_schema() {
    let doc = generated().unwrap();
    let mut untyped = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().into_iter().flatten();
            let request = op.get("requestBody").map(|b| ("request".to_owned(), b));
            for (what, body) in responses.map(|(s, r)| (s.clone(), r)).chain(request) {
                for (content_type, media) in body["content"].as_object().into_iter().flatten() {
                    if content_type.contains("json") && !typed(&media["schema"], &doc) {
                        untyped.push(format!("{method} {path} {what}"));
                    }
                }
            }
        }
    }
    assert!(untyped.is_empty(), "untyped bodies: {untyped:?}");
}

/// Whether `schema` says what the body is.
fn typed(schema: &Value, doc: &Value) -> bool {
    if let Some(name) = schema["$ref"].as_str() {
        let name = name.trim_start_matches("#/components/schemas/");
        return typed(&doc["components"]["schemas"][name], doc);
    }
    if let Some(variants) = schema["oneOf"].as_array() {
        return variants.iter().all(|v| typed(v, doc));
    }
    if schema["type"] == "array" {
        return typed(&schema["items"], doc);
    }
    let bare_object = schema["type"] == "object"
        && schema.get("properties").is_none()
        && schema.get("additionalProperties").is_none();
    schema.get("type").is_some() && !bare_object || schema.get("allOf").is_some()
}

/// The route modules answer typed bodies: no `Json<Value>` and no `json!` body in any
/// file under `src/routes` (the document's own builder, `openapi`, and tests aside).
#[test]
fn route_modules_build_no_untyped_json() {
    fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(files.len() > 10, "{files:?}");
    let mut untyped = Vec::new();
    for path in files {
        let name = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if name.starts_with("openapi") || name.ends_with("tests.rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        let code = source.split("#[cfg(test)]").next().unwrap();
        let found = code.matches("Json<Value>").count() + code.matches("json!(").count();
        if found > 0 {
            untyped.push(format!("{name}: {found}"));
        }
    }
    assert!(
        untyped.is_empty(),
        "untyped JSON bodies built in {untyped:?}"
    );
}

/// Prose that names what the code lacks is refused.
#[test]
fn prose_for_a_missing_route_is_an_error() {
    let generated = serde_json::to_value(super::documented().into_openapi()).unwrap();
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
    let codes = doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]
        ["enum"]
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

#[test]
fn derived_request_schemas_refuse_unknown_fields() {
    let served: Value = serde_json::from_str(served()).unwrap();
    let schema = &served["components"]["schemas"]["PasswordChange"];
    assert_eq!(
        schema["additionalProperties"],
        Value::Bool(false),
        "{schema}"
    );
    assert_eq!(schema["properties"]["new_password"]["minLength"], 8);
}

/// The box office's answers have derived schemas, not hand-written ones: the code
/// alone puts them in the document, and the prose does not redefine them.
#[test]
fn box_office_answer_schemas_are_derived() {
    let mut generated = documented().into_openapi();
    add_frame_schemas(&mut generated);
    let generated = serde_json::to_value(generated).unwrap();
    let prose: Value = serde_json::from_str(PROSE).unwrap();
    for name in [
        "OrderLine",
        "AdminSeatMap",
        "HoldConflictError",
        "EventPatch",
        "AdmissionPatch",
    ] {
        assert!(
            generated["components"]["schemas"][name].is_object(),
            "{name} is not derived"
        );
        assert!(
            prose["components"]["schemas"].get(name).is_none(),
            "{name} is hand-written in the prose"
        );
    }
    let conflict = &generated["components"]["schemas"]["HoldConflictError"]["oneOf"];
    assert_eq!(
        conflict,
        &serde_json::json!([
            {"$ref": "#/components/schemas/SeatsUnavailableError"},
            {"$ref": "#/components/schemas/Error"},
        ])
    );
}

/// The stats schemas are derived from the one snapshot type, not written in the
/// prose: each schema lists exactly the keys its body serialises.
#[test]
fn the_stats_schemas_are_the_snapshot_types() {
    use crate::stats::{Sample, Snapshot, Stats, StatsHistory};
    let prose: Value = serde_json::from_str(PROSE).unwrap();
    for name in ["Stats", "StatsSample", "StatsHistory", "StatsError"] {
        assert!(
            prose["components"]["schemas"].get(name).is_none(),
            "{name} is written by hand in prose.json"
        );
    }
    let sample = Sample {
        at_ms: 1,
        waiting: 2,
        prequeue: 3,
        admitted_last_minute: 4,
        active: 5,
        held: 6,
        sold: 7,
        rate_per_minute: 60,
        max_active: 10,
        paused: false,
        mode: Default::default(),
    };
    let stats = Stats {
        snapshot: Snapshot {
            sample,
            admitted_total: 8,
            held_back: 0,
            capacity: 100,
            opened: true,
        },
        revenue_cents: 0,
        connected: 0,
        eta_clear_secs: None,
        fairness: Default::default(),
        safety_net: crate::stats::NetState::Off,
        arrivals_last_minute: 0,
    };
    let history = StatsHistory {
        interval_secs: 5,
        samples: vec![sample],
    };
    let doc = doc();
    let keys = |value: &Value| {
        let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    for (name, body) in [
        ("Stats", serde_json::to_value(&stats).unwrap()),
        ("StatsSample", serde_json::to_value(sample).unwrap()),
        ("StatsHistory", serde_json::to_value(&history).unwrap()),
    ] {
        let schema = &doc["components"]["schemas"][name];
        assert_eq!(keys(&schema["properties"]), keys(&body), "{name}");
        assert_eq!(schema["additionalProperties"], false, "{name}");
        let mut required: Vec<String> = serde_json::from_value(schema["required"].clone()).unwrap();
        required.sort();
        assert_eq!(required, keys(&body), "{name}: every key is always there");
    }
}
