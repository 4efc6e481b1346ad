//! The presale audit's figures and verdicts (see [`super::audit`]).

use serde::{Deserialize, Serialize};

/// One line's figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LineReport {
    pub line: u8,
    pub name: String,
    pub opens_at_ms: i64,
    /// Fans of the line who arrived, and of them: pre-queued, admitted.
    pub fans: u64,
    pub prequeued: u64,
    pub admitted: u64,
    /// Group fans whose code was not redeemed.
    pub not_redeemed: u64,
    /// Tickets in the line's draw record.
    pub drawn: u64,
    /// Fans admitted or given a place before the line's opening.
    pub opened_early: u64,
    /// Pre-queued fans told another opening than their line's.
    pub wrong_opening: u64,
    /// Pre-queued fans the line's draw record lacks (or that gave no pseudonym).
    pub missing_from_draw: u64,
    /// FIFO before the opening: inversions in the record's join order, and pairs checked.
    pub join_order_inversions: u64,
    pub join_order_pairs: u64,
    /// Pre-queued fans admitted out of the record's draw order, and fans checked.
    pub draw_order_inversions: u64,
    pub draw_order_checked: u64,
    /// How long after the line's opening its pre-queued fans heard of their places:
    /// the first one and the last one (ms; `None` without pre-queued fans placed).
    /// The draw's own time; a figure, not a verdict.
    #[serde(default)]
    pub first_placed_after_ms: Option<i64>,
    #[serde(default)]
    pub last_placed_after_ms: Option<i64>,
    /// Fans whose people-ahead rose.
    pub positions_rose: u64,
    /// Fans who joined and were neither admitted nor left by choice.
    pub lost: u64,
}

/// The presale audit's figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PresaleReport {
    pub lines: Vec<LineReport>,
    /// Across lines: fans admitted before one that surely had a place before them.
    pub fifo_inversions: u64,
    pub fifo_pairs_checked: u64,
}

impl PresaleReport {
    /// The verdicts: one line per failed check.
    pub fn failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        for l in &self.lines {
            let checks = [
                (l.not_redeemed, "codes not redeemed"),
                (
                    l.opened_early,
                    "fans admitted or placed before the line opened",
                ),
                (l.wrong_opening, "fans told another opening"),
                (
                    l.missing_from_draw,
                    "pre-queued fans missing from the draw record",
                ),
                (
                    l.join_order_inversions,
                    "inversions of the pre-queue's join order",
                ),
                (l.draw_order_inversions, "fans admitted out of draw order"),
                (l.positions_rose, "fans whose people-ahead rose"),
                (l.lost, "fans lost"),
            ];
            for (n, what) in checks {
                if n > 0 {
                    out.push(format!("{}: {n} {what}", l.name));
                }
            }
        }
        if self.fifo_inversions > 0 {
            out.push(format!(
                "{} fans admitted before one that had a place before them (across lines)",
                self.fifo_inversions
            ));
        }
        out
    }
}
