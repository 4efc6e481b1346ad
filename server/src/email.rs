//! Email addresses, parsed once at the edge ("parse, don't validate"): an [`Email`]
//! is normalised and free of characters that let two addresses look alike.
//!
//! What counts as the same account: two inputs are the same address when they are
//! equal after trimming surrounding whitespace, Unicode NFKC normalisation and
//! lower-casing the whole address (local part included: that is how accounts have
//! always been stored, so `Fan@x.com` and `fan@x.com` are one account). NFKC, the
//! compatibility form, folds look-alikes that are the same letter in another width
//! or style (full-width `ａｄｍｉｎ`, mathematical `𝐚𝐝𝐦𝐢𝐧`, the ligature `ﬁ`) into
//! the plain letters, so they name the account those letters name.
//!
//! Refused (`invalid_email`): control characters (C0 with NUL, DEL, C1), bidi
//! controls (U+061C, U+200E/F, U+202A–202E, U+2066–2069), zero-width and other
//! invisible characters (U+00AD, U+200B–200D, U+2060, U+FEFF), any whitespace inside,
//! and a local part or domain label that mixes Latin letters with Cyrillic or Greek
//! ones (`pаypal.com` with a Cyrillic `а`). A label wholly in one script is fine.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

/// Longest address accepted (RFC 5321's path limit less the angle brackets).
const MAX_LEN: usize = 254;

/// A normalised email address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

/// Why a string is not an [`Email`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("that is not an email address")]
    Shape,
    #[error("email addresses may not contain control, invisible or direction characters")]
    Hidden,
    #[error("an email address may not mix Latin with Cyrillic or Greek letters in one part")]
    MixedScript,
}

impl Email {
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let nfkc: String = raw.trim().nfkc().collect();
        // Lower-casing can leave a string that is not NFKC (rarely); normalise again.
        let email: String = nfkc.to_lowercase().nfkc().collect();
        if email.chars().any(hidden) {
            return Err(EmailError::Hidden);
        }
        let (local, domain) = email.split_once('@').ok_or(EmailError::Shape)?;
        let plausible = email.len() <= MAX_LEN
            && !email.chars().any(char::is_whitespace)
            && !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.');
        if !plausible {
            return Err(EmailError::Shape);
        }
        if std::iter::once(local)
            .chain(domain.split('.'))
            .any(mixes_scripts)
        {
            return Err(EmailError::MixedScript);
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Characters that do not show, or that reorder what does.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Script {
    Latin,
    Cyrillic,
    Greek,
}

fn script(c: char) -> Option<Script> {
    match c {
        'a'..='z' | 'A'..='Z' => Some(Script::Latin),
        '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' if c.is_alphabetic() => {
            Some(Script::Latin)
        }
        '\u{0370}'..='\u{03FF}' | '\u{1F00}'..='\u{1FFF}' if c.is_alphabetic() => {
            Some(Script::Greek)
        }
        '\u{0400}'..='\u{052F}' | '\u{1C80}'..='\u{1C8F}' | '\u{A640}'..='\u{A69F}'
            if c.is_alphabetic() =>
        {
            Some(Script::Cyrillic)
        }
        _ => None,
    }
}

/// Whether `part` holds letters of more than one of Latin, Cyrillic and Greek.
fn mixes_scripts(part: &str) -> bool {
    let mut seen = None;
    for s in part.chars().filter_map(script) {
        match seen {
            None => seen = Some(s),
            Some(first) if first != s => return true,
            Some(_) => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(raw: &str) -> Result<String, EmailError> {
        Email::parse(raw).map(|e| e.0)
    }

    #[test]
    fn normalises_case_space_and_composition() {
        assert_eq!(parse(" Fan@Example.COM ").unwrap(), "fan@example.com");
        // Decomposed é (e + U+0301) and composed é are one address.
        assert_eq!(parse("Jose\u{301}@x.com").unwrap(), "jos\u{E9}@x.com");
        assert_eq!(parse("jos\u{E9}@x.com").unwrap(), "jos\u{E9}@x.com");
    }

    #[test]
    fn folds_compatibility_look_alikes() {
        // Full-width letters and at sign, mathematical bold, a ligature, a circled digit.
        assert_eq!(
            parse("\u{FF41}\u{FF44}\u{FF4D}\u{FF49}\u{FF4E}\u{FF20}example.com").unwrap(),
            "admin@example.com"
        );
        assert_eq!(
            parse("\u{FF21}\u{FF24}\u{FF2D}\u{FF29}\u{FF2E}@example.com").unwrap(),
            "admin@example.com"
        );
        assert_eq!(
            parse("\u{1D41A}\u{1D41D}min@example.com").unwrap(),
            "admin@example.com"
        );
        assert_eq!(parse("\u{FB01}n@example.com").unwrap(), "fin@example.com");
        assert_eq!(
            parse("fan\u{2460}@example.com").unwrap(),
            "fan1@example.com"
        );
        // A no-break space folds to a space, which is refused inside an address.
        assert_eq!(parse("fan\u{A0}one@x.com"), Err(EmailError::Shape));
    }

    #[test]
    fn refuses_bad_shapes() {
        for bad in [
            "",
            "fan",
            "@x.com",
            "fan@",
            "fan@com",
            "a b@x.com",
            "fan@.com",
            "fan@x.com.",
        ] {
            assert_eq!(parse(bad), Err(EmailError::Shape), "{bad:?}");
        }
        let long = format!("{}@x.com", "a".repeat(250));
        assert_eq!(parse(&long), Err(EmailError::Shape));
    }

    #[test]
    fn refuses_control_characters() {
        for bad in [
            "nul\0@x.com",
            "bell\u{7}@x.com",
            "del\u{7F}@x.com",
            "c1\u{85}@x.com",
            "c1\u{9B}@x.com",
        ] {
            assert_eq!(parse(bad), Err(EmailError::Hidden), "{bad:?}");
        }
    }

    #[test]
    fn refuses_bidi_controls() {
        for c in [
            '\u{200E}', '\u{200F}', '\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}', '\u{061C}',
        ] {
            let bad = format!("fan{c}@x.com");
            assert_eq!(parse(&bad), Err(EmailError::Hidden), "{bad:?}");
        }
    }

    #[test]
    fn refuses_zero_width_characters() {
        for c in [
            '\u{200B}', '\u{200C}', '\u{200D}', '\u{FEFF}', '\u{2060}', '\u{00AD}',
        ] {
            let bad = format!("fa{c}n@x.com");
            assert_eq!(parse(&bad), Err(EmailError::Hidden), "{bad:?}");
        }
    }

    #[test]
    fn refuses_mixed_scripts_within_a_part() {
        for bad in [
            "fan@p\u{0430}ypal.com",  // Cyrillic а
            "\u{0430}dmin@x.com",     // in the local part
            "fan@\u{03BF}penai.com",  // Greek ο
            "fan@x.\u{0441}om",       // Cyrillic с in the top-level label
            "\u{03B1}\u{0431}@x.com", // Greek and Cyrillic
        ] {
            assert_eq!(parse(bad), Err(EmailError::MixedScript), "{bad:?}");
        }
    }

    #[test]
    fn accepts_one_script_per_part() {
        for good in [
            "\u{0438}\u{0432}\u{0430}\u{043D}@\u{043F}\u{0440}\u{0438}\u{043C}\u{0435}\u{0440}.\u{0440}\u{0444}",
            "fan@\u{03B5}\u{03BB}.com",  // a Greek label beside a Latin one
            "m\u{FC}ller@stra\u{DF}e.de",
            "fan+tag@floodgate.test",
            "\u{7528}\u{6237}@\u{4F8B}\u{5B50}.\u{516C}\u{53F8}",
        ] {
            assert!(parse(good).is_ok(), "{good:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5_000))]

        /// Any text is an address or a refusal, never a panic; an accepted address is
        /// its own normal form (parsing it again gives it back) and has an address's
        /// shape.
        #[test]
        fn any_text_is_an_address_or_a_refusal(
            raw in prop_oneof![
                ".{0,80}",
                "[a-zA-Z0-9._%+\u{0400}-\u{04ff}\u{ff00}-\u{ffef}-]{1,12}@[a-zA-Z0-9.\u{0391}-\u{03c9}-]{1,12}",
            ],
        ) {
            if let Ok(email) = parse(&raw) {
                prop_assert_eq!(parse(&email), Ok(email.clone()));
                prop_assert!(email.len() <= MAX_LEN);
                prop_assert!(!email.chars().any(char::is_whitespace));
                let (local, domain) = email.split_once('@').unwrap();
                prop_assert!(!local.is_empty() && domain.contains('.'));
            }
        }
    }
}
