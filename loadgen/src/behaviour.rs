//! Fan behaviours and their shares: each fan's behaviour and random timings follow
//! from the seed and its index alone, so every worker computes the same crowd.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::config::{Config, HoldMode};

/// What a fan does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    /// Waits as long as it takes, buys, leaves.
    Patient,
    /// Gives up (`leave`) after a random wait.
    Abandon,
    /// Drops its socket while waiting and reconnects, keeping its place.
    Reconnect,
    /// Opens several sockets (tabs) on one account.
    Tabs,
    /// Misbehaves (see [`Misbehaviour`]) but otherwise buys like anyone.
    Misbehave(Misbehaviour),
}

/// How a misbehaving fan misbehaves; each expects a particular 4xx or error frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Misbehaviour {
    /// Confirms twice (same order expected), then holds again past `max_seats`
    /// (`token_exhausted` expected).
    Replay,
    /// Holds with a tampered token (claims edited to have expired) and with its session
    /// token (`invalid_token` expected), and with its real token but no session, as a
    /// thief who copied the token holds it (`token_account_mismatch` expected).
    Forged,
    /// Holds at another event (`wrong_event` expected).
    OtherEvent,
    /// A burst of join and garbage frames (`rate_limited`, `invalid_json`, … expected).
    Flood,
}

impl Behaviour {
    pub fn name(self) -> &'static str {
        match self {
            Self::Patient => "patient",
            Self::Abandon => "abandon",
            Self::Reconnect => "reconnect",
            Self::Tabs => "tabs",
            Self::Misbehave(Misbehaviour::Replay) => "misbehave_replay",
            Self::Misbehave(Misbehaviour::Forged) => "misbehave_forged",
            Self::Misbehave(Misbehaviour::OtherEvent) => "misbehave_other_event",
            Self::Misbehave(Misbehaviour::Flood) => "misbehave_flood",
        }
    }
}

/// One fan's script: behaviour, whether it comes before the opening, and timings.
#[derive(Clone, Debug)]
pub struct Plan {
    pub index: u32,
    pub behaviour: Behaviour,
    /// Holds specific seats (otherwise best-available).
    pub specific: bool,
    /// Abandon: seconds of waiting before `leave`.
    pub abandon_after: f64,
    /// Reconnect: seconds between drops (each measured from the last connect).
    pub reconnect_after: Vec<f64>,
    /// Its line: 0 the public one, else its presale group's (see [`Config::line_of`]).
    pub line: u8,
}

/// The plan of fan `index` in a scenario.
pub fn plan(config: &Config, seed: u64, index: u32) -> Plan {
    let mut rng =
        StdRng::seed_from_u64(seed ^ u64::from(index).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let weights = [
        config.patient,
        config.abandon,
        config.reconnect,
        config.tabs,
        config.misbehave,
    ];
    let total: f64 = weights.iter().sum();
    let mut pick = rng.gen_range(0.0..total.max(f64::MIN_POSITIVE));
    let mut slot = weights.len() - 1;
    for (i, w) in weights.iter().enumerate() {
        if pick < *w {
            slot = i;
            break;
        }
        pick -= w;
    }
    let behaviour = match slot {
        0 => Behaviour::Patient,
        1 => Behaviour::Abandon,
        2 => Behaviour::Reconnect,
        3 => Behaviour::Tabs,
        _ => Behaviour::Misbehave(match rng.gen_range(0..4) {
            0 => Misbehaviour::Replay,
            1 => Misbehaviour::Forged,
            2 => Misbehaviour::OtherEvent,
            _ => Misbehaviour::Flood,
        }),
    };
    let specific = match config.hold_mode {
        HoldMode::Best => false,
        HoldMode::Specific => true,
        HoldMode::Mixed => rng.gen_bool(0.5),
    };
    let abandon_after = rng.gen_range(0.2..=config.abandon_after_secs.max(0.2));
    let reconnect_after = (0..config.reconnects)
        .map(|_| rng.gen_range(0.2..=config.reconnect_after_secs.max(0.2)))
        .collect();
    Plan {
        index,
        behaviour,
        specific,
        abandon_after,
        reconnect_after,
        line: config.line_of(index),
    }
}

/// Whether fan `index` arrives before the opening: the first `prequeue_count` fans
/// of the scenario, interleaved over the index range so every worker gets its share.
pub fn in_prequeue(config: &Config, index: u32) -> bool {
    let pre = u64::from(config.prequeue_count());
    let fans = u64::from(config.fans.max(1));
    // Fan i is early when floor((i+1)·pre/fans) > floor(i·pre/fans): exactly `pre`
    // fans, evenly spread.
    let i = u64::from(index);
    (i + 1) * pre / fans > i * pre / fans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_follow_the_weights_and_the_prequeue_count_is_exact() {
        let mut config = Config::new("http://127.0.0.1:1");
        config.fans = 10_000;
        config.prequeue = 0.25;
        let plans: Vec<Plan> = (0..config.fans).map(|i| plan(&config, 7, i)).collect();
        let patient = plans
            .iter()
            .filter(|p| p.behaviour == Behaviour::Patient)
            .count();
        assert!((6_500..7_500).contains(&patient), "{patient}");
        let early = (0..config.fans)
            .filter(|i| in_prequeue(&config, *i))
            .count();
        assert_eq!(early, 2_500);
        // Deterministic.
        assert_eq!(plan(&config, 7, 42).behaviour, plans[42].behaviour);
    }
}
