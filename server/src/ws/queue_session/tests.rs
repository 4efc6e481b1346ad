use super::*;
use proptest::prelude::*;
use serde_json::json;

#[test]
fn parse_tells_errors_apart() {
    assert_eq!(parse(r#"{"type":"join"}"#).unwrap(), ClientMessage::Join);
    let code = |r: Result<ClientMessage, ServerMessage>| match r {
        Err(ServerMessage::Error { code, .. }) => code,
        other => panic!("{other:?}"),
    };
    assert_eq!(code(parse("{nope")), "invalid_json");
    assert_eq!(code(parse(r#"{"type":"dance"}"#)), "unknown_type");
    assert_eq!(code(parse(r#"{"kind":"join"}"#)), "invalid_message");
    assert_eq!(code(parse("[]")), "invalid_message");
}

/// Frames as a fuzzer would send them: any text, and JSON objects made of the keys
/// and values a frame has, in any mix.
fn frames() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        Just(json!("join")),
        Just(json!("leave")),
        ".{0,8}".prop_map(|s| json!(s)),
        any::<i64>().prop_map(|n| json!(n)),
        Just(json!(null)),
        Just(json!([])),
        Just(json!({})),
    ];
    let key = prop_oneof![Just("type".to_owned()), "[a-z]{0,6}"];
    let object = proptest::collection::btree_map(key, value, 0..4)
        .prop_map(|map| serde_json::to_string(&map).unwrap());
    prop_oneof![".{0,64}", object]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5_000))]

    /// Any frame is a message or one of the three documented errors, and a message
    /// only when the frame's `type` names it; nothing panics.
    #[test]
    fn any_frame_is_a_message_or_a_documented_error(frame in frames()) {
        let named = serde_json::from_str::<serde_json::Value>(&frame)
            .ok()
            .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned));
        match parse(&frame) {
            Ok(message) => {
                let kind = serde_json::to_value(&message).unwrap()["type"].clone();
                prop_assert_eq!(Some(kind.as_str().unwrap().to_owned()), named);
            }
            Err(ServerMessage::Error { code, message, .. }) => {
                prop_assert!(
                    ["invalid_json", "unknown_type", "invalid_message"].contains(&code.as_str()),
                    "{code}"
                );
                prop_assert!(!message.is_empty());
            }
            Err(other) => prop_assert!(false, "{other:?}"),
        }
    }
}
