//! Proof of work on join, the server's side: the difficulty in force per event (its
//! own, raised while joins come in faster than `FLOODGATE_POW_BURST_JOINS_PER_SEC`;
//! [`waiting_room::pow::adaptive`]), the challenges handed out
//! (`POST /events/{id}/challenge`, and with every `pow_required` refusal), and the
//! check of the solution a join brings (`pow=<challenge>:<nonce>` in the query of
//! the queue socket's handshake or of `POST …/queue/join`).
//!
//! A join that would create a ticket needs a solution whose challenge it spends (the
//! store checks and spends it in the join's own atomic step); a join that finds the
//! fan's ticket (a reconnect, a second tab) needs none. An event whose difficulty is
//! 0 asks nothing and no join takes any of these steps.

use std::collections::HashMap;
use std::sync::Mutex;

use waiting_room::pow::adaptive::{Adaptive, AdaptiveSettings};
use waiting_room::pow::{self, Challenge, PowRefusal, Solved};
use waiting_room::store::PowGate;
use waiting_room::token::SigningKeys;
use waiting_room::{EventId, UserId};

use crate::config::Config;
use crate::event::Event;

/// The query parameter carrying a solution.
pub const PARAM: &str = "pow";

/// The difficulty each event is at on this replica, and how challenges are made.
pub struct PowGuard {
    settings: AdaptiveSettings,
    ttl_ms: i64,
    /// A `std` lock: a few arithmetic steps per join, never held across `.await`.
    load: Mutex<HashMap<EventId, Adaptive>>,
}

impl PowGuard {
    pub fn new(config: &Config) -> Self {
        Self {
            settings: AdaptiveSettings {
                burst_joins_per_sec: config.pow_burst_joins_per_sec,
                interval_ms: i64::try_from(config.pow_interval_secs.saturating_mul(1000))
                    .unwrap_or(i64::MAX),
                step_up: 2,
                step_down: 1,
                max_extra: config.pow_max_extra_bits,
            },
            ttl_ms: i64::try_from(config.pow_challenge_ttl_secs.saturating_mul(1000))
                .unwrap_or(i64::MAX / 2),
            load: Mutex::default(),
        }
    }

    /// Counts a join of `event` (only events that ask for proof of work).
    pub fn record_join(&self, event: &Event, now_ms: i64) {
        if event.pow_difficulty == 0 {
            return;
        }
        self.lock()
            .entry(event.id)
            .or_insert_with(|| Adaptive::new(now_ms))
            .record(&self.settings, now_ms);
    }

    /// The difficulty in force for `event` whose own is `base`.
    pub fn difficulty(&self, event: EventId, base: u8, now_ms: i64) -> u8 {
        if base == 0 {
            return 0;
        }
        match self.lock().get_mut(&event) {
            Some(load) => load.difficulty(&self.settings, base, now_ms),
            None => base,
        }
    }

    /// A fresh challenge for `user` joining `event`, at the difficulty in force.
    pub fn challenge(
        &self,
        keys: &SigningKeys,
        event: EventId,
        base: u8,
        user: UserId,
        now_ms: i64,
    ) -> Challenge {
        let difficulty = self.difficulty(event, base, now_ms);
        pow::issue(keys, event, user, difficulty, now_ms, self.ttl_ms)
    }

    /// Why a join `proof` came with was refused (`used`: its challenge was spent),
    /// and the fresh challenge to solve.
    pub fn refusal(
        &self,
        keys: &SigningKeys,
        proof: &JoinProof,
        user: UserId,
        used: bool,
        now_ms: i64,
    ) -> (PowRefusal, Challenge) {
        let why = proof.refusal(used, now_ms);
        (
            why,
            self.challenge(keys, proof.event, proof.base, user, now_ms),
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<EventId, Adaptive>> {
        self.load.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What a join brought, checked once (at the handshake, or on the HTTP join).
#[derive(Clone, Debug)]
pub struct JoinProof {
    pub event: EventId,
    /// The event's own difficulty, for the fresh challenge of a refusal.
    pub base: u8,
    solved: Result<Solved, PowRefusal>,
}

impl JoinProof {
    /// Checks `presented` for `user` joining `event`; `None` when the event asks no
    /// proof of work (nothing to check, nothing changes).
    pub fn check(
        keys: &SigningKeys,
        event: &Event,
        user: UserId,
        presented: Option<&str>,
        now_ms: i64,
    ) -> Option<Self> {
        if event.pow_difficulty == 0 {
            return None;
        }
        let solved = match presented {
            None | Some("") => Err(PowRefusal::Missing),
            Some(solution) => pow::check(keys, solution, event.id, user, now_ms),
        };
        Some(Self {
            event: event.id,
            base: event.pow_difficulty,
            solved,
        })
    }

    /// What the store is to check at `now_ms` (a solution that expired since counts
    /// as none).
    pub fn gate(&self, now_ms: i64) -> PowGate {
        match &self.solved {
            Ok(solved) if solved.expires_at_ms > now_ms => PowGate::Solved(solved.clone()),
            _ => PowGate::Missing,
        }
    }

    /// Why the store refused a join this proof came with (`used`: its challenge was
    /// spent already).
    pub fn refusal(&self, used: bool, now_ms: i64) -> PowRefusal {
        match &self.solved {
            Err(why) => why.clone(),
            Ok(_) if used => PowRefusal::Used,
            Ok(solved) if solved.expires_at_ms <= now_ms => PowRefusal::Expired,
            Ok(_) => PowRefusal::Missing,
        }
    }
}

/// The solution in a request's query (`pow=<challenge>:<nonce>`), if any.
pub fn presented(uri: &axum::http::Uri) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Query {
        pow: Option<String>,
    }
    axum::extract::Query::<Query>::try_from_uri(uri)
        .ok()
        .and_then(|q| q.0.pow)
}

/// The challenge as clients get it (the `ChallengeBody` schema).
pub use waiting_room::wire::PowChallenge as ChallengeBody;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_solution_is_read_from_the_query() {
        let uri: axum::http::Uri = "/q?accessToken=x&pow=abc.def:42".parse().unwrap();
        assert_eq!(presented(&uri).as_deref(), Some("abc.def:42"));
        let none: axum::http::Uri = "/q?accessToken=x".parse().unwrap();
        assert_eq!(presented(&none), None);
    }

    #[test]
    fn a_spent_or_lapsed_solution_is_told_apart() {
        let proof = JoinProof {
            event: EventId::new(),
            base: 8,
            solved: Ok(Solved {
                id: "x".into(),
                expires_at_ms: 100,
            }),
        };
        assert!(matches!(proof.gate(99), PowGate::Solved(_)));
        assert_eq!(proof.gate(100), PowGate::Missing);
        assert_eq!(proof.refusal(true, 50), PowRefusal::Used);
        assert_eq!(proof.refusal(false, 100), PowRefusal::Expired);
    }
}
