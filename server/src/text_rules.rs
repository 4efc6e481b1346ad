//! What text the API keeps may hold. PostgreSQL's `text` cannot store a NUL byte
//! (SQLite can), and no name a person reads needs a control character: names are
//! one line with none (C0 with NUL, DEL, C1); free text (a refund's reason) may keep
//! tabs and line breaks. Refused at the edge with the field's 400, the same on both
//! databases.

// The same rules as JSON Schema patterns (the OpenAPI document's, written out in the
// `#[schema(pattern = …)]` attributes, which take literals only; a test below checks
// they agree): control characters are U+0000–U+001F and U+007F–U+009F (`char::is_control`).

/// Whether a one-line name holds a control character.
pub fn name_has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// Whether free text holds a control character other than a tab or a line break.
pub fn free_text_has_control(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The served document's patterns refuse exactly what these functions refuse.
    #[test]
    fn the_documents_patterns_agree_with_the_rules() {
        let doc: serde_json::Value =
            serde_json::from_str(crate::routes::openapi_document()).unwrap();
        let schemas = &doc["components"]["schemas"];
        let q = doc["paths"]["/api/v1/admin/events/{id}/orders"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "q")
            .unwrap()["schema"]["pattern"]
            .clone();
        let patterns = [
            (&schemas["NewEvent"]["properties"]["name"]["pattern"], true),
            (
                &schemas["EventPatch"]["properties"]["name"]["pattern"],
                true,
            ),
            (&q, true),
            (
                &schemas["RefundBody"]["properties"]["reason"]["pattern"],
                false,
            ),
            (
                &schemas["AdmissionPatch"]["properties"]["message"]["pattern"],
                false,
            ),
        ];
        let samples: Vec<char> = (0u32..0x200)
            .chain([0x2028, 0x200b, 0xfeff, 0x1f600])
            .filter_map(char::from_u32)
            .collect();
        for (pattern, name) in patterns {
            assert!(pattern.is_string(), "no pattern: {doc:.0}");
            let schema = serde_json::json!({"type": "string", "pattern": pattern});
            let v = jsonschema::validator_for(&schema).unwrap();
            for c in &samples {
                let text = format!("a{c}b");
                let refused = if name {
                    name_has_control(&text)
                } else {
                    free_text_has_control(&text)
                };
                assert_eq!(
                    !v.is_valid(&serde_json::json!(text)),
                    refused,
                    "{pattern} on U+{:04X}",
                    *c as u32
                );
            }
        }
    }

    #[test]
    fn names_refuse_every_control_and_free_text_keeps_line_breaks() {
        for bad in ["a\0b", "tab\there", "line\nbreak", "del\u{7f}", "c1\u{85}"] {
            assert!(name_has_control(bad), "{bad:?}");
        }
        assert!(!name_has_control("Arena tour — night 1 (moved) ¶ 夜"));
        assert!(!free_text_has_control("a reason\r\nover\ttwo lines"));
        for bad in ["a\0b", "bell\u{7}", "del\u{7f}", "c1\u{9d}"] {
            assert!(free_text_has_control(bad), "{bad:?}");
        }
    }
}
