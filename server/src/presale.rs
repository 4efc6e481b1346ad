//! Presale access codes' rules (docs/ARCHITECTURE.md "Presale codes"), with no HTTP
//! and no database: what a code is (normalised for matching: case, spaces and dashes
//! ignored), how codes are generated (10 characters of Crockford's base32, shown
//! grouped `ABCD-EFGH-JK`), how an uploaded CSV is read (`code[,max_uses]` a line,
//! header optional), and a group's name.

use rand::Rng;

use crate::db::NewCode;

/// Crockford's base32 alphabet: no I, L, O or U, so nothing reads as another.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters of a generated code: 50 bits, ~10^15 codes.
pub const GENERATED_LEN: usize = 10;
/// Lengths a code may have once normalised (uploaded codes).
pub const MIN_CODE_LEN: usize = 4;
pub const MAX_CODE_LEN: usize = 64;
/// Most codes one request generates or uploads.
pub const MAX_CODES_PER_REQUEST: usize = 10_000;
/// Most uses one code may have.
pub const MAX_USES: u32 = 100_000;
/// The largest CSV an upload takes (the router's body limit for its path; every
/// other body is held to 64 KiB).
pub const MAX_UPLOAD_BYTES: usize = 1024 * 1024;
/// How the upload's path ends (`POST …/presale/groups/{group}/codes/upload`).
pub const UPLOAD_PATH_END: &str = "/codes/upload";
/// The longest group name, in characters.
pub const MAX_NAME_CHARS: usize = 80;

/// The code as it is matched: upper case, with no spaces or dashes. `None` when what
/// remains is not 4 to 64 ASCII letters and digits.
pub fn normalise(raw: &str) -> Option<String> {
    let code: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let ok = (MIN_CODE_LEN..=MAX_CODE_LEN).contains(&code.len())
        && code.chars().all(|c| c.is_ascii_alphanumeric());
    ok.then_some(code)
}

/// `count` new random codes with `max_uses` each (from the OS's generator, through
/// `rand`'s thread-local CSPRNG).
pub fn generate(count: usize, max_uses: u32) -> Vec<NewCode> {
    let mut rng = rand::thread_rng();
    (0..count)
        .map(|_| {
            let code: String = (0..GENERATED_LEN)
                .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
                .collect();
            let label = format!("{}-{}-{}", &code[..4], &code[4..8], &code[8..]);
            NewCode {
                code,
                label,
                max_uses,
            }
        })
        .collect()
}

/// What is wrong with an uploaded CSV: the line (from 1) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {why}")]
pub struct BadCsv {
    pub line: u64,
    pub why: String,
}

/// The codes of an uploaded CSV: one `code[,max_uses]` a line (`max_uses` 1 when
/// left out), blank lines skipped, a first line `code` or `code,max_uses` taken as
/// a header. The whole file or nothing: the first bad line is the error. Codes
/// repeated in the file stay repeated (the database skips the second).
pub fn parse_csv(text: &str) -> Result<Vec<NewCode>, BadCsv> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| BadCsv {
            line: e.position().map_or(i as u64 + 1, |p| p.line()),
            why: format!("not CSV ({e})"),
        })?;
        let line = record.position().map_or(i as u64 + 1, |p| p.line());
        let fields: Vec<&str> = record.iter().collect();
        if fields.iter().all(|f| f.is_empty()) {
            continue;
        }
        if i == 0 && fields[0].eq_ignore_ascii_case("code") {
            continue;
        }
        if fields.len() > 2 {
            return Err(BadCsv {
                line,
                why: format!("{} fields; a line is code[,max_uses]", fields.len()),
            });
        }
        let code = normalise(fields[0]).ok_or_else(|| BadCsv {
            line,
            why: format!(
                "{:?} is no code: {MIN_CODE_LEN} to {MAX_CODE_LEN} letters and digits (spaces and dashes ignored)",
                fields[0]
            ),
        })?;
        let max_uses = match fields.get(1).filter(|f| !f.is_empty()) {
            None => 1,
            Some(raw) => raw
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_USES).contains(n))
                .ok_or_else(|| BadCsv {
                    line,
                    why: format!("max_uses {raw:?} is not a whole number from 1 to {MAX_USES}"),
                })?,
        };
        if out.len() == MAX_CODES_PER_REQUEST {
            return Err(BadCsv {
                line,
                why: format!("at most {MAX_CODES_PER_REQUEST} codes per upload"),
            });
        }
        out.push(NewCode {
            label: fields[0].to_owned(),
            code,
            max_uses,
        });
    }
    Ok(out)
}

/// A group's name, trimmed: 1 to 80 characters, one line with no control character.
pub fn group_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("name must be 1 to {MAX_NAME_CHARS} characters"));
    }
    if crate::text_rules::name_has_control(name) {
        return Err("name cannot contain control characters (a tab, a line break, NUL…)".into());
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_whatever_their_case_spaces_and_dashes() {
        assert_eq!(normalise(" abcd-efgh-jk ").as_deref(), Some("ABCDEFGHJK"));
        assert_eq!(normalise("ab cd").as_deref(), Some("ABCD"));
        assert_eq!(normalise("abc"), None);
        assert_eq!(normalise("ABCD_EFGH"), None);
        assert_eq!(normalise(&"A".repeat(65)), None);
        assert_eq!(normalise("ÄBCD"), None);
    }

    #[test]
    fn generated_codes_are_grouped_base32_and_differ() {
        let codes = generate(200, 3);
        let distinct: std::collections::HashSet<_> = codes.iter().map(|c| &c.code).collect();
        assert_eq!(distinct.len(), 200);
        for c in &codes {
            assert_eq!(c.code.len(), GENERATED_LEN);
            assert!(c.code.bytes().all(|b| ALPHABET.contains(&b)), "{}", c.code);
            assert_eq!(normalise(&c.label).as_ref(), Some(&c.code));
            assert_eq!(c.label.len(), 12);
            assert_eq!(c.max_uses, 3);
        }
    }

    #[test]
    fn a_csv_is_read_whole_or_refused_naming_its_line() {
        let codes = parse_csv("code,max_uses\nvip-0001\n\nVIP0002, 5\n").unwrap();
        let got: Vec<_> = codes
            .iter()
            .map(|c| (c.code.as_str(), c.max_uses))
            .collect();
        assert_eq!(got, [("VIP0001", 1), ("VIP0002", 5)]);
        assert_eq!(codes[0].label, "vip-0001");
        assert_eq!(parse_csv("").unwrap(), []);
        let bad = parse_csv("GOOD1\nGOOD2,0\n").unwrap_err();
        assert_eq!(bad.line, 2, "{bad}");
        assert_eq!(parse_csv("AB\n").unwrap_err().line, 1);
        assert_eq!(parse_csv("ABCD,1,2\n").unwrap_err().line, 1);
        assert_eq!(parse_csv("ABCD,x\n").unwrap_err().line, 1);
    }

    #[test]
    fn group_names_are_one_short_line() {
        assert_eq!(group_name("  Fan club ").unwrap(), "Fan club");
        assert!(group_name(" ").is_err());
        assert!(group_name(&"x".repeat(81)).is_err());
        assert!(group_name("a\nb").is_err());
    }
}
