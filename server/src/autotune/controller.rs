//! The autotune loop, on every replica, every `FLOODGATE_AUTOTUNE_INTERVAL_MS`:
//!
//! 1. publish: this replica's checkout figures over the recent window
//!    (`FLOODGATE_AUTOTUNE_WINDOW_MS`), read from the metrics' cumulative counters, are
//!    written to its row of `checkout_figures`;
//! 2. lead: the replica that takes (or renews) the `autotune_lease` row for three
//!    intervals, and only it, goes on;
//! 3. merge: the rows published in the last two intervals, every replica's, summed;
//! 4. judge: each open event with autotune on, by [`super::decide`]; a change goes
//!    through [`crate::events::Events::change_admission_noted`] as the autotune
//!    account, which makes it only if autotune is still on and the rate still the one
//!    judged (an admin's change in between wins), with its audit entry and reason.
//!
//! Should two replicas both think they lead (a lease lapsing mid-tick), the second
//! change judged at the same rate finds the rate changed and is dropped.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use waiting_room::EventId;

use super::{decide, Decision, Judged};
use crate::db::{Actor, AdmissionNote, CheckoutFigureRow, Db};
use crate::event::AdmissionPatch;
use crate::metrics::checkout_window::{Figures, WindowTracker};
use crate::state::AppState;

/// The checkout's figures as every replica published them recently, summed:
/// `None` when the database could not be read.
pub async fn merged(
    db: &Db,
    now_ms: i64,
    interval: Duration,
) -> Result<(Judged, usize), sqlx::Error> {
    let fresh_ms = i64::try_from(interval.as_millis().saturating_mul(2)).unwrap_or(i64::MAX);
    let rows = db.checkout_figures(now_ms.saturating_sub(fresh_ms)).await?;
    let mut sum = Figures::default();
    for row in &rows {
        sum.add(&Figures {
            requests: row.requests,
            errors: row.errors,
            buckets: row.buckets.clone(),
        });
    }
    let judged = Judged {
        requests: sum.requests,
        p99_ms: sum.p99_ms(),
        error_rate: sum.error_rate(),
    };
    Ok((judged, rows.len()))
}

/// Runs the loop until `stop` is cancelled.
pub fn spawn(state: AppState, stop: CancellationToken) {
    let interval = Duration::from_millis(state.config.autotune_interval_ms.max(1));
    let span = Duration::from_millis(state.config.autotune_window_ms.max(1));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut controller = Controller {
            state,
            interval,
            span,
            tracker: WindowTracker::new(span),
            last_decrease: HashMap::new(),
            leading: false,
        };
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            if let Err(error) = controller.tick().await {
                tracing::warn!(%error, "autotune tick failed");
            }
        }
    });
}

struct Controller {
    state: AppState,
    interval: Duration,
    span: Duration,
    tracker: WindowTracker,
    /// When each event's rate was last lowered (by this replica, while it led).
    last_decrease: HashMap<EventId, Instant>,
    leading: bool,
}

impl Controller {
    async fn tick(&mut self) -> Result<(), sqlx::Error> {
        let state = &self.state;
        let replica = state.hub.replica().to_string();
        let now_ms = state.clock().now_ms();
        let window = self
            .tracker
            .window(Instant::now(), state.metrics.checkout.read());
        tracing::trace!(
            requests = window.requests,
            errors = window.errors,
            "autotune: this replica's window"
        );
        state
            .db
            .publish_checkout_figures(&CheckoutFigureRow {
                replica: replica.clone(),
                at_ms: now_ms,
                requests: window.requests,
                errors: window.errors,
                buckets: window.buckets,
            })
            .await?;
        let lease_ms = i64::try_from(self.interval.as_millis() * 3).unwrap_or(i64::MAX);
        let leading = state
            .db
            .take_autotune_lease(&replica, now_ms, now_ms.saturating_add(lease_ms))
            .await?;
        if leading != self.leading {
            tracing::info!(%replica, leading, "autotune lease");
            self.leading = leading;
            self.last_decrease.clear();
        }
        if !leading {
            return Ok(());
        }
        let events = state.db.autotuned_events().await?;
        if events.is_empty() {
            return Ok(());
        }
        let (judged, replicas) = merged(&state.db, now_ms, self.interval).await?;
        for (id, setting) in events {
            let Ok(event) = state.events.get(id).await else {
                continue;
            };
            let rate = event.admission.rate_per_minute;
            let may_decrease = self
                .last_decrease
                .get(&id)
                .is_none_or(|at| at.elapsed() >= self.span);
            match decide(&setting, rate, &judged, may_decrease) {
                Decision::NoTraffic => {
                    tracing::debug!(event_id = %id, requests = judged.requests, replicas,
                        "autotune: no checkout traffic to judge by, rate left as it is");
                }
                Decision::Keep => {}
                Decision::Change { to, reason, detail } => {
                    let lowered = to < rate;
                    let patch = AdmissionPatch {
                        rate_per_minute: Some(to),
                        ..AdmissionPatch::default()
                    };
                    let note = AdmissionNote::Autotune {
                        judged_rate: rate,
                        reason: reason.clone(),
                        detail: serde_json::to_value(&detail).unwrap_or_default(),
                    };
                    match state
                        .events
                        .change_admission_noted(id, &Actor::autotune(), &patch, &note)
                        .await
                    {
                        Ok(change) if change.after != change.before => {
                            tracing::info!(event_id = %id, %reason, replicas, "autotune changed the rate");
                            if lowered {
                                self.last_decrease.insert(id, Instant::now());
                            }
                        }
                        Ok(_) => tracing::info!(event_id = %id,
                            "autotune: the rate or the setting changed meanwhile; nothing done"),
                        Err(error) => {
                            tracing::warn!(event_id = %id, %error, "autotune could not change the rate")
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
