//! The presale's lines, what a fan saw of its line, and which fan holds which code:
//! plain values the coordinator, the workers and the audit share.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::config::Config;

/// One line of the sale: a presale group's (slot 1..=8) or the public one (0).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Line {
    pub line: u8,
    /// The group's id (`None`: the public line).
    pub group: Option<String>,
    pub name: String,
    /// Unix ms of the line's opening.
    pub opens_at_ms: i64,
    /// The group's codes, one per fan of the line in index order.
    #[serde(default)]
    pub codes: Vec<String>,
}

/// What a fan saw of its line.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Saw {
    /// Its line (0: public).
    pub line: u8,
    /// Its code was redeemed (200).
    pub redeemed: bool,
    /// Its pseudonym in the line's draw (from `prequeue` / `queued`).
    pub pseudonym: Option<String>,
    /// The opening a `prequeue` frame announced (unix ms), the first one.
    pub starts_at_ms: Option<i64>,
    /// A later `prequeue` frame announced another opening.
    pub starts_at_changed: bool,
    /// Unix µs of the first message giving a place in line (`queued`, `position` or
    /// `admitted`): the fan was sequenced before it.
    pub sequenced_us: i64,
}

/// The lines of a presale run: groups 1..=N, then the public line; `first_opening_ms`
/// is the first group's opening.
pub fn plan_lines(config: &Config, first_opening_ms: i64) -> Vec<Line> {
    let at = |line: u8| first_opening_ms + (config.line_offset_secs(line) * 1000.0) as i64;
    let mut lines: Vec<Line> = (1..=config.presale_groups)
        .map(|line| Line {
            line,
            group: None,
            name: format!("Presale {line}"),
            opens_at_ms: at(line),
            codes: Vec::new(),
        })
        .collect();
    lines.push(Line {
        line: 0,
        group: None,
        name: "Public".into(),
        opens_at_ms: at(0),
        codes: Vec::new(),
    });
    lines
}

/// Each fan's code, for the fans `lo..hi` of a worker: a group's n-th fan (by index)
/// gets the group's n-th code.
#[derive(Debug, Default)]
pub struct Codes(HashMap<u32, String>);

impl Codes {
    pub fn new(config: &Config, lines: &[Line], lo: u32, hi: u32) -> Self {
        let mut rank: HashMap<u8, usize> = HashMap::new();
        let mut out = HashMap::new();
        for i in 0..hi {
            let line = config.line_of(i);
            if line == 0 {
                continue;
            }
            let n = rank.entry(line).or_default();
            if i >= lo {
                if let Some(code) = lines
                    .iter()
                    .find(|l| l.line == line)
                    .and_then(|l| l.codes.get(*n))
                {
                    out.insert(i, code.clone());
                }
            }
            *n += 1;
        }
        Self(out)
    }

    pub fn get(&self, index: u32) -> Option<&str> {
        self.0.get(&index).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fans_split_over_the_lines_and_each_group_fan_gets_its_own_code() {
        let mut config = Config::new("http://127.0.0.1:1");
        config.fans = 1_000;
        config.presale_groups = 2;
        config.presale_share = 0.8;
        config.presale_gap_secs = 3.0;
        let mut count = [0u32; 3];
        for i in 0..config.fans {
            count[config.line_of(i) as usize] += 1;
        }
        assert!((150..250).contains(&count[0]), "{count:?}");
        assert!(count[1].abs_diff(count[2]) < 60, "{count:?}");
        // Each line has pre-queued fans and later ones alike.
        config.prequeue = 0.5;
        for line in 0..=2 {
            let (early, late): (Vec<u32>, Vec<u32>) = (0..config.fans)
                .filter(|i| config.line_of(*i) == line)
                .partition(|i| crate::behaviour::in_prequeue(&config, *i));
            let share = early.len() as f64 / (early.len() + late.len()) as f64;
            assert!((0.4..0.6).contains(&share), "line {line}: {share}");
        }
        let mut lines = plan_lines(&config, 10_000);
        assert_eq!(
            lines
                .iter()
                .map(|l| (l.line, l.opens_at_ms))
                .collect::<Vec<_>>(),
            [(1, 10_000), (2, 13_000), (0, 16_000)]
        );
        for l in &mut lines {
            l.codes = (0..count[l.line as usize])
                .map(|n| format!("{}-{n}", l.line))
                .filter(|_| l.line != 0)
                .collect();
        }
        // Two workers: every group fan has a code, none twice, public fans none.
        let (a, b) = (
            Codes::new(&config, &lines, 0, 400),
            Codes::new(&config, &lines, 400, 1_000),
        );
        let mut seen = std::collections::HashSet::new();
        for i in 0..config.fans {
            let code = if i < 400 { a.get(i) } else { b.get(i) };
            assert_eq!(code.is_some(), config.line_of(i) != 0, "fan {i}");
            if let Some(code) = code {
                assert!(code.starts_with(&config.line_of(i).to_string()));
                assert!(seen.insert(code.to_owned()), "{code} twice");
            }
        }
        assert_eq!(seen.len() as u32, count[1] + count[2]);
    }
}
