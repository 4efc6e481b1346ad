//! The simulation's figures: a JSON summary (serde) and Markdown tables for people.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use super::redis_info::Delta;
use crate::report::{Hist, Percentiles};

/// Everything one run measured.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// The command line's settings, as given.
    pub settings: BTreeMap<String, String>,
    /// Each batch of joins: the pre-queue, then after the opening up to each depth.
    pub joins: Vec<JoinPhase>,
    pub opening: Option<OpFigures>,
    /// Memory of the pre-queue just before the opening.
    pub prequeue_memory: Option<Memory>,
    pub depths: Vec<DepthFigures>,
    /// The closed sale's line removed (`QueueStore::remove_line`, UNLINK) at the
    /// deepest line.
    pub close: Option<OpFigures>,
}

/// Joins from `from` to `to` fans, `concurrency` at a time over the connections.
#[derive(Debug, Default, Serialize)]
pub struct JoinPhase {
    pub phase: String,
    pub from: u64,
    pub to: u64,
    pub secs: f64,
    pub joins_per_sec: f64,
    /// Wall time of one join as its caller saw it, ms.
    pub latency_ms: Percentiles,
    pub redis: Delta,
    /// Redis' own time in the join script, per join (µs).
    pub redis_us_per_join: f64,
    /// Redis CPU per join (µs): 1e6 / this is what one master takes per second.
    pub redis_cpu_us_per_join: f64,
}

/// The figures at one depth.
#[derive(Debug, Default, Serialize)]
pub struct DepthFigures {
    /// Waiting fans (the queue's length) when the operations ran.
    pub waiting: u64,
    pub memory: Memory,
    pub ops: Vec<OpFigures>,
}

/// Redis memory for the line.
#[derive(Debug, Default, Serialize)]
pub struct Memory {
    /// `used_memory` gained since before the first join, bytes.
    pub used_bytes: i64,
    /// The same per waiting (or pre-queued) fan.
    pub bytes_per_fan: f64,
    /// `MEMORY USAGE` of each key of the event (sampled), bytes.
    pub keys: BTreeMap<String, u64>,
}

/// One operation timed over a few repetitions.
#[derive(Debug, Default, Serialize)]
pub struct OpFigures {
    pub name: String,
    pub reps: u32,
    /// Wall time per repetition, ms.
    pub latency_ms: Percentiles,
    pub redis: Delta,
    /// Redis' own time per script call (µs).
    pub redis_us_per_call: f64,
    /// Redis' own time in the scripts per repetition (µs): unlike the figure per call,
    /// not diluted by the refused calls of a script Redis forgot (NOSCRIPT, then the
    /// call again) after a restore.
    pub redis_us_per_rep: f64,
    /// Redis CPU per repetition (µs), INFO readings included.
    pub redis_cpu_us_per_rep: f64,
    /// What the operation saw (e.g. people ahead, fans admitted), or its error.
    pub note: String,
    /// Repetitions that failed.
    pub errors: u32,
    /// The steady window only: Redis CPU per waiting fan per second (µs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_fan_second_us: Option<f64>,
}

impl OpFigures {
    pub fn new(name: &str, reps: u32, wall_us: &Hist, redis: Delta, note: String) -> Self {
        Self {
            name: name.to_owned(),
            reps,
            latency_ms: wall_us.summary(1000.0),
            redis_us_per_call: per(redis.script_us as f64, redis.script_calls),
            redis_us_per_rep: per(redis.script_us as f64, u64::from(reps)),
            redis_cpu_us_per_rep: per(redis.cpu_us, u64::from(reps)),
            redis,
            note,
            errors: 0,
            per_fan_second_us: None,
        }
    }
}

impl Memory {
    pub fn new(used_bytes: i64, fans: u64, keys: BTreeMap<String, u64>) -> Self {
        Self {
            used_bytes,
            bytes_per_fan: per(used_bytes as f64, fans),
            keys,
        }
    }
}

/// `total / n`, 0 for none.
pub fn per(total: f64, n: u64) -> f64 {
    if n == 0 {
        0.0
    } else {
        total / n as f64
    }
}

impl Report {
    /// The tables: joins, memory by depth, and each operation by depth.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        out.push_str("| joins | fans | joins/s | join p50 / p99 (ms) | Redis µs per join (script / CPU) | one master's ceiling (1e6 / CPU µs) |\n|---|---|---|---|---|---|\n");
        for j in &self.joins {
            let _ = writeln!(
                out,
                "| {} | {} → {} | {} | {} / {} | {:.1} / {:.1} | {}/s |",
                j.phase,
                thousands(j.from),
                thousands(j.to),
                thousands(j.joins_per_sec as u64),
                j.latency_ms.p50,
                j.latency_ms.p99,
                j.redis_us_per_join,
                j.redis_cpu_us_per_join,
                thousands(per(1e6, j.redis_cpu_us_per_join as u64) as u64),
            );
        }
        if let Some(m) = &self.prequeue_memory {
            let _ = writeln!(
                out,
                "\nPre-queue before the opening: {} bytes of Redis memory per fan.",
                m.bytes_per_fan.round()
            );
        }
        if let Some(o) = &self.opening {
            let _ = writeln!(
                out,
                "Opening (freeze, draw in batches): {} ms wall, {:.0} ms of Redis script time over {} calls; {}.",
                o.latency_ms.p50,
                o.redis.script_us as f64 / 1000.0,
                o.redis.script_calls,
                o.note
            );
        }
        out.push_str(&self.depth_tables());
        if let Some(c) = &self.close {
            let _ = writeln!(
                out,
                "\nClose (the line removed with UNLINK): {} ms wall, {:.1} ms of Redis script time; {}.",
                c.latency_ms.p50,
                c.redis.script_us as f64 / 1000.0,
                c.note
            );
        }
        out
    }

    fn depth_tables(&self) -> String {
        let mut out = String::new();
        let head: String = self
            .depths
            .iter()
            .map(|d| format!(" {} |", thousands(d.waiting)))
            .collect();
        let rule = "---|".repeat(self.depths.len());
        let _ = write!(out, "\n| memory, waiting fans → |{head}\n|---|{rule}\n");
        let _ = writeln!(
            out,
            "| Redis used_memory per fan (bytes) |{}",
            cells(&self.depths, |d| format!("{:.0}", d.memory.bytes_per_fan))
        );
        let keys: Vec<&String> = self
            .depths
            .first()
            .map(|d| d.memory.keys.keys().collect())
            .unwrap_or_default();
        for key in keys {
            let _ = writeln!(
                out,
                "| `{key}` (MB) |{}",
                cells(&self.depths, |d| {
                    let bytes = d.memory.keys.get(key).copied().unwrap_or(0);
                    format!("{:.1}", bytes as f64 / 1e6)
                })
            );
        }
        let _ = write!(
            out,
            "\n| operation: wall p50 / p99 ms (Redis script µs per repetition) |{head}\n|---|{rule}\n"
        );
        let names: Vec<&String> = self
            .depths
            .iter()
            .flat_map(|d| d.ops.iter().map(|o| &o.name))
            .fold(Vec::new(), |mut seen, n| {
                if !seen.contains(&n) {
                    seen.push(n);
                }
                seen
            });
        for name in names {
            let _ = writeln!(
                out,
                "| {name} |{}",
                cells(&self.depths, |d| {
                    match d.ops.iter().find(|o| &o.name == name) {
                        Some(o) => {
                            let mut cell = format!(
                                "{} / {} ({:.0})",
                                o.latency_ms.p50, o.latency_ms.p99, o.redis_us_per_rep
                            );
                            if o.errors > 0 {
                                cell.push_str(&format!(", {} of {} failed", o.errors, o.reps));
                            }
                            cell
                        }
                        None => "—".to_owned(),
                    }
                })
            );
        }
        let steady = |d: &DepthFigures| d.ops.iter().find_map(|o| o.per_fan_second_us);
        if self.depths.iter().any(|d| steady(d).is_some()) {
            let _ = write!(
                out,
                "\n| steady window, waiting fans → |{head}\n|---|{rule}\n"
            );
            let _ = writeln!(
                out,
                "| Redis CPU per waiting fan per second (µs) |{}",
                cells(&self.depths, |d| steady(d)
                    .map_or_else(|| "—".to_owned(), |v| format!("{v:.4}")))
            );
        }
        out
    }
}

/// One table cell per depth.
fn cells(depths: &[DepthFigures], cell: impl Fn(&DepthFigures) -> String) -> String {
    depths.iter().map(|d| format!(" {} |", cell(d))).collect()
}

/// 1234567 as "1,234,567".
pub fn thousands(n: u64) -> String {
    let digits: Vec<char> = n.to_string().chars().collect();
    let groups: Vec<String> = digits
        .rchunks(3)
        .rev()
        .map(|group| group.iter().collect())
        .collect();
    groups.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(name: &str, p50_us: u64, script_us: u64) -> OpFigures {
        let mut hist = Hist::default();
        hist.record(p50_us);
        let redis = Delta {
            script_calls: 2,
            script_us,
            cpu_us: 300.0,
            memory_bytes: 0,
        };
        OpFigures::new(name, 3, &hist, redis, String::new())
    }

    #[test]
    fn numbers_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(10_000_000), "10,000,000");
    }

    #[test]
    fn per_call_figures_divide_by_the_calls() {
        let o = op("status", 1_500, 40);
        assert_eq!(o.redis_us_per_call, 20.0);
        assert!((o.redis_us_per_rep - 40.0 / 3.0).abs() < 1e-9);
        assert_eq!(o.redis_cpu_us_per_rep, 100.0);
        assert_eq!(o.latency_ms.p50, 1.5);
        assert_eq!(per(5.0, 0), 0.0);
        assert_eq!(Memory::new(1_000, 4, BTreeMap::new()).bytes_per_fan, 250.0);
    }

    #[test]
    fn the_table_has_a_column_per_depth_and_a_row_per_operation() {
        let depth = |waiting, ops| DepthFigures {
            waiting,
            memory: Memory::new(
                waiting as i64 * 200,
                waiting,
                BTreeMap::from([("q".to_owned(), 2_000_000)]),
            ),
            ops,
        };
        let report = Report {
            depths: vec![
                depth(10_000, vec![op("status", 100, 10), op("leave", 200, 20)]),
                depth(1_000_000, vec![op("status", 300, 30)]),
            ],
            ..Report::default()
        };
        let md = report.markdown();
        assert!(
            md.contains("| memory, waiting fans → | 10,000 | 1,000,000 |"),
            "{md}"
        );
        assert!(
            md.contains("| Redis used_memory per fan (bytes) | 200 | 200 |"),
            "{md}"
        );
        assert!(md.contains("| `q` (MB) | 2.0 | 2.0 |"), "{md}");
        assert!(
            md.contains("| status | 0.1 / 0.1 (3) | 0.3 / 0.3 (10) |"),
            "{md}"
        );
        assert!(md.contains("| leave | 0.2 / 0.2 (7) | — |"), "{md}");
        assert!(!md.contains("steady window"), "no window, no table: {md}");
        let mut window = op("steady window, 30 s", 1, 0);
        window.per_fan_second_us = Some(0.0123);
        let report = Report {
            depths: vec![
                depth(10_000, vec![window]),
                depth(1_000_000, vec![op("status", 300, 30)]),
            ],
            ..Report::default()
        };
        let md = report.markdown();
        assert!(
            md.contains("| Redis CPU per waiting fan per second (µs) | 0.0123 | — |"),
            "{md}"
        );
    }
}
