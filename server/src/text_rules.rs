//! What text the API keeps may hold. PostgreSQL's `text` cannot store a NUL byte
//! (SQLite can), and no name a person reads needs a control character: names are
//! one line with none (C0 with NUL, DEL, C1); free text (a refund's reason) may keep
//! tabs and line breaks. Refused at the edge with the field's 400, the same on both
//! databases.

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
