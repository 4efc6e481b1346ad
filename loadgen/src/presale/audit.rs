//! The presale audit: pure functions over what the fans saw and the server's draw
//! records, line by line.
//!
//! - **Each line opened at its time**: no fan of a line was admitted before its
//!   opening, nor given a place (`queued`, `position`, `admitted`) before it; a fan
//!   that waited in a line's pre-queue was told that line's opening.
//! - **FIFO before the opening**: the line's draw record lists its pre-queue in join
//!   order: a fan that surely joined before another (its answer came before the
//!   other's join left, as in the main FIFO audit) is listed first.
//! - **Draw order after**: the line's pre-queued fans were admitted in the record's
//!   draw order.
//! - **Behind everyone already in line**: across lines, no fan was admitted before one
//!   that surely had a place before it. A fan that joined after its line opened got its
//!   place between its join and the answer; a pre-queued fan between its line's
//!   opening and the first message giving it a place.
//! - **No people-ahead rose**, and **nothing was lost**: every fan that joined was
//!   admitted (or left by choice), and every code was redeemed.

use std::collections::{BTreeMap, HashMap};

use super::figures::{LineReport, PresaleReport};
use super::kinds::Line;
use crate::audit::{fifo, Joined};
use crate::tally::{FanRecord, Outcome};

/// Each line's draw record: pseudonyms in join order, and in draw order.
pub type Draws = HashMap<u8, (Vec<String>, Vec<String>)>;

/// Audits the lines: `draws` maps a line to its draw record (pseudonyms in join order,
/// in draw order).
pub fn audit<'a>(
    lines: &[Line],
    records: impl IntoIterator<Item = &'a FanRecord>,
    draws: &Draws,
) -> PresaleReport {
    let mut by_line: BTreeMap<u8, Vec<&FanRecord>> = BTreeMap::new();
    for f in records {
        if f.arrived_us != 0 {
            by_line.entry(f.line.line).or_default().push(f);
        }
    }
    let mut report = PresaleReport::default();
    let mut everyone = Vec::new();
    for line in lines {
        let fans = by_line.remove(&line.line).unwrap_or_default();
        let empty = (Vec::new(), Vec::new());
        let (joined, order) = draws.get(&line.line).unwrap_or(&empty);
        let (r, placed) = audit_line(line, &fans, joined, order);
        everyone.extend(placed);
        report.lines.push(r);
    }
    let across = fifo(&everyone);
    report.fifo_inversions = across.inversions;
    report.fifo_pairs_checked = across.pairs_checked;
    report
}

/// One line's checks; also each admitted fan's place interval for the check across lines.
fn audit_line(
    line: &Line,
    fans: &[&FanRecord],
    joined: &[String],
    order: &[String],
) -> (LineReport, Vec<Joined>) {
    let opens_us = line.opens_at_ms * 1000;
    let index = |list: &[String]| -> HashMap<String, i64> {
        list.iter()
            .enumerate()
            .map(|(i, p)| (p.clone(), i as i64))
            .collect()
    };
    let (in_joined, in_order) = (index(joined), index(order));
    let mut r = LineReport {
        line: line.line,
        name: line.name.clone(),
        opens_at_ms: line.opens_at_ms,
        drawn: joined.len() as u64,
        ..LineReport::default()
    };
    let (mut by_join, mut by_draw, mut placed) = (Vec::new(), Vec::new(), Vec::new());
    for f in fans {
        r.fans += 1;
        r.prequeued += u64::from(f.prequeue);
        r.positions_rose += u64::from(f.rose);
        if line.line != 0 && !f.line.redeemed {
            r.not_redeemed += 1;
        }
        let early_admission = f.admitted_ms.is_some_and(|t| t < line.opens_at_ms);
        let early_place = f.line.sequenced_us != 0 && f.line.sequenced_us < opens_us;
        r.opened_early += u64::from(early_admission || early_place);
        if f.ack_us != 0 && matches!(f.outcome, Outcome::StillWaiting | Outcome::Failed) {
            r.lost += 1;
        }
        if let Some(admitted_ms) = f.admitted_ms {
            r.admitted += 1;
            // Where the fan's place was given: between its line's opening and the
            // first message of it (pre-queued), or its join and the answer.
            let interval = if f.prequeue {
                (f.line.sequenced_us != 0).then_some((opens_us, f.line.sequenced_us))
            } else {
                (f.sent_us != 0 && f.ack_us != 0).then_some((f.sent_us, f.ack_us))
            };
            if let Some((sent_us, ack_us)) = interval {
                placed.push(Joined {
                    sent_us,
                    ack_us,
                    admitted_ms,
                });
            }
        }
        if !f.prequeue {
            continue;
        }
        if f.line.sequenced_us != 0 {
            let after = (f.line.sequenced_us - opens_us) / 1000;
            r.first_placed_after_ms = Some(r.first_placed_after_ms.map_or(after, |m| m.min(after)));
            r.last_placed_after_ms = Some(r.last_placed_after_ms.map_or(after, |m| m.max(after)));
        }
        let told = f.line.starts_at_ms.map(|t| (t - line.opens_at_ms).abs());
        if told.is_none_or(|d| d >= 1000) || f.line.starts_at_changed {
            r.wrong_opening += 1;
        }
        let Some(p) = &f.line.pseudonym else {
            r.missing_from_draw += 1;
            continue;
        };
        match in_joined.get(p) {
            Some(i) if f.sent_us != 0 && f.ack_us != 0 => by_join.push(Joined {
                sent_us: f.sent_us,
                ack_us: f.ack_us,
                admitted_ms: *i,
            }),
            Some(_) => {}
            None => r.missing_from_draw += 1,
        }
        if let (Some(i), Some(admitted_ms)) = (in_order.get(p), f.admitted_ms) {
            by_draw.push(Joined {
                sent_us: *i,
                ack_us: *i,
                admitted_ms,
            });
        }
    }
    let joins = fifo(&by_join);
    r.join_order_inversions = joins.inversions;
    r.join_order_pairs = joins.pairs_checked;
    r.draw_order_inversions = fifo(&by_draw).inversions;
    r.draw_order_checked = by_draw.len() as u64;
    (r, placed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::behaviour::Behaviour;
    use crate::presale::kinds::Saw;

    /// A fan of `line` who joined in `sent..ack` (µs), pre-queued or not, with its
    /// pseudonym, the first message placing it (µs) and its admission (ms).
    #[allow(clippy::too_many_arguments)]
    fn fan(
        line: u8,
        prequeue: bool,
        sent: i64,
        ack: i64,
        pseudonym: &str,
        sequenced: i64,
        admitted: Option<i64>,
        starts_at: i64,
    ) -> FanRecord {
        FanRecord {
            behaviour: Behaviour::Patient,
            prequeue,
            arrived_us: sent,
            sent_us: sent,
            ack_us: ack,
            admitted_ms: admitted,
            rose: false,
            eta: Default::default(),
            outcome: if admitted.is_some() {
                Outcome::Bought
            } else {
                Outcome::StillWaiting
            },
            line: Saw {
                line,
                redeemed: true,
                pseudonym: Some(pseudonym.into()),
                starts_at_ms: prequeue.then_some(starts_at),
                starts_at_changed: false,
                sequenced_us: sequenced,
            },
        }
    }

    fn line(line: u8, opens_at_ms: i64) -> Line {
        Line {
            line,
            group: None,
            name: format!("L{line}"),
            opens_at_ms,
            codes: Vec::new(),
        }
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// Group 1 opens at 10 s, the public line at 20 s: a, b pre-queued in group 1
    /// (drawn b, a); c joined group 1 at 12 s; d pre-queued in the public line.
    fn good() -> (Vec<Line>, Vec<FanRecord>, Draws) {
        let lines = vec![line(1, 10_000), line(0, 20_000)];
        let fans = vec![
            fan(
                1,
                true,
                1_000_000,
                1_001_000,
                "a",
                10_002_000,
                Some(10_100),
                10_000,
            ),
            fan(
                1,
                true,
                2_000_000,
                2_001_000,
                "b",
                10_002_000,
                Some(10_050),
                10_000,
            ),
            fan(
                1,
                false,
                12_000_000,
                12_001_000,
                "c",
                12_001_000,
                Some(12_100),
                0,
            ),
            fan(
                0,
                true,
                3_000_000,
                3_001_000,
                "d",
                20_002_000,
                Some(20_100),
                20_000,
            ),
        ];
        let draws = HashMap::from([
            (1, (strings(&["a", "b"]), strings(&["b", "a"]))),
            (0, (strings(&["d"]), strings(&["d"]))),
        ]);
        (lines, fans, draws)
    }

    #[test]
    fn lines_opening_in_turn_in_draw_order_pass() {
        let (lines, fans, draws) = good();
        let r = audit(&lines, &fans, &draws);
        assert_eq!(r.failures(), Vec::<String>::new(), "{r:?}");
        assert_eq!(r.lines[0].join_order_pairs, 1);
        assert_eq!(r.lines[0].draw_order_checked, 2);
        assert!(r.fifo_pairs_checked > 0);
        assert_eq!(
            (r.lines[0].fans, r.lines[0].prequeued, r.lines[1].drawn),
            (3, 2, 1)
        );
    }

    #[test]
    fn a_line_admitted_before_its_opening_or_out_of_order_fails() {
        // The public fan admitted before its line opened.
        let (lines, mut fans, draws) = good();
        fans[3].admitted_ms = Some(11_000);
        let r = audit(&lines, &fans, &draws);
        assert_eq!(r.lines[1].opened_early, 1, "{r:?}");
        // a placed before the public fan d, yet admitted after it.
        assert!(r.fifo_inversions > 0);

        // Admitted against the draw order (a before b, but the draw says b first).
        let (lines, mut fans, draws) = good();
        fans[0].admitted_ms = Some(10_010);
        assert_eq!(
            audit(&lines, &fans, &draws).lines[0].draw_order_inversions,
            1
        );

        // The record's join order inverted (b surely joined after a).
        let (lines, fans, mut draws) = good();
        draws.get_mut(&1).unwrap().0 = strings(&["b", "a"]);
        assert_eq!(
            audit(&lines, &fans, &draws).lines[0].join_order_inversions,
            1
        );

        // A late group fan admitted before the drawn ones that had their places first.
        let (lines, mut fans, draws) = good();
        fans[2].admitted_ms = Some(10_020);
        assert!(audit(&lines, &fans, &draws).fifo_inversions > 0);
    }

    #[test]
    fn wrong_openings_missing_tickets_rises_and_lost_fans_fail() {
        let (lines, mut fans, draws) = good();
        fans[0].line.starts_at_ms = Some(20_000);
        fans[1].line.pseudonym = Some("zz".into());
        fans[2].rose = true;
        fans[3].admitted_ms = None;
        fans[3].outcome = Outcome::StillWaiting;
        fans[2].line.redeemed = false;
        let r = audit(&lines, &fans, &draws);
        let l = &r.lines[0];
        assert_eq!(
            (
                l.wrong_opening,
                l.missing_from_draw,
                l.positions_rose,
                l.not_redeemed
            ),
            (1, 1, 1, 1)
        );
        assert_eq!(r.lines[1].lost, 1);
        assert_eq!(r.failures().len(), 5, "{:?}", r.failures());
    }
}
