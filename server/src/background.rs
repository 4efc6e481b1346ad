//! The background loops of a replica: the event poller (closing sales after their
//! show, refreshing the events), the limiter pruner, the stats sampler and the
//! revocations poller, the webhooks' delivery worker and sale watch, and autotune's
//! controller. All stop when the token [`spawn`] answers is cancelled.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::revocations;
use crate::state::AppState;

/// How often each replica re-reads the events table.
const EVENT_REFRESH: Duration = Duration::from_secs(2);

/// The event poller, the limiter pruner and the stats sampler; cancelled on shutdown.
pub(crate) fn spawn(state: &AppState) -> CancellationToken {
    let stop = CancellationToken::new();
    state.stats.spawn_sampler(stop.clone());
    crate::autotune::controller::spawn(state.clone(), stop.clone());
    revocations::spawn_poller(
        Arc::clone(&state.revocations),
        state.db.clone(),
        Arc::clone(state.clock()),
        stop.clone(),
    );
    crate::webhooks::worker::spawn(Arc::clone(&state.webhooks), stop.clone());
    let (s, token) = (state.clone(), stop.clone());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVENT_REFRESH);
        let mut prune = 0u32;
        loop {
            tokio::select! {
                _ = token.cancelled() => return,
                _ = tick.tick() => {}
            }
            match s.events.close_due().await {
                Ok(0) => {}
                Ok(closed) => tracing::info!(closed, "sales closed after their show"),
                Err(error) => tracing::warn!(%error, "closing sales after their show failed"),
            }
            let kept = crate::events::LINE_KEPT_AFTER_CLOSE_MS;
            if let Err(error) = s.events.remove_closed_lines(kept).await {
                tracing::warn!(%error, "removing closed sales' lines failed");
            }
            if let Err(error) = s.events.refresh().await {
                tracing::warn!(error = %format!("{error:#}"), "refreshing events failed");
            }
            if s.webhooks.watches_sales() {
                watch_sales(&s).await;
            }
            prune += 1;
            if prune.is_multiple_of(30) {
                s.auth_limit.prune();
                s.signup_limit.prune();
                s.join_limit.prune();
                s.poll_limit.prune();
                s.poll_account_limit.prune();
                s.seat_map_limit.prune();
                if let Some(l) = &s.hold_limit {
                    l.prune();
                }
                // Presale guess counts whose window is over (any replica may).
                let window =
                    i64::try_from(s.config.presale_guess_window_secs * 1000).unwrap_or(i64::MAX);
                let before = s.clock().now_ms().saturating_sub(window);
                if let Err(error) = s.db.prune_code_attempts(before).await {
                    tracing::warn!(%error, "forgetting old presale guess counts failed");
                }
            }
        }
    });
    stop
}

/// Hands every open sale's states to the webhooks (opened, sold out, paused).
async fn watch_sales(s: &AppState) {
    let now = s.clock().now_ms();
    for id in s.events.open_ids() {
        let Ok(event) = s.events.get(id).await else {
            continue;
        };
        let counts = s.checkout.seats().seat_counts(id).await.ok();
        let sale = crate::webhooks::sale_watch::SaleNow {
            event: id,
            name: event.name.clone(),
            starts_at_ms: event.starts_at_ms,
            state: crate::db::SaleState {
                opened: now >= event.starts_at_ms,
                sold_out: event.state(now, counts) == crate::event::SaleState::SoldOut,
                paused: event.admission.paused,
            },
        };
        if let Err(error) = s.webhooks.observe_sale(&sale).await {
            tracing::warn!(%error, event_id = %id, "telling sale changes to webhooks failed");
        }
    }
}
