//! Serving and shutting down: [`Application::run_until_signalled`] serves until the
//! shutdown signal, then stops in the order a load balancer expects (readiness off,
//! a delay, sockets closed with 1012 and drained, requests in flight finished, the
//! background loops and the rooms stopped), all within the grace period. axum does
//! not wait for upgraded WebSockets, hence the session tracker.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use axum::serve::ListenerExt;

use crate::startup::Application;
use crate::{background, listener, middleware};

impl Application {
    /// Serves until `shutdown` resolves, then drains (see
    /// [`Application::run_until_signalled`]; here nothing cuts the delay short).
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        self.run_until_signalled(shutdown, std::future::pending())
            .await
    }

    /// Serves until `shutdown` resolves, then stops in the order a load balancer
    /// expects, all within `FLOODGATE_SHUTDOWN_GRACE_SECS` of the signal:
    ///
    /// 1. `/readyz` answers 503 at once, while everything else is served as before
    ///    for `FLOODGATE_SHUTDOWN_DELAY_SECS` (cut short when `hurry` resolves), so
    ///    balancers take this replica out before anything closes;
    /// 2. the drain: every socket is closed with 1012 and a reason (fans reconnect,
    ///    to another replica, and keep their place), the listener stops accepting,
    ///    and the requests in flight (holds, confirms) finish;
    /// 3. the rooms write their last presence changes (the closed sockets' grace
    ///    starts now), and the background loops and the rooms stop.
    ///
    /// Requests and sockets still open at the deadline are left to close with the
    /// process.
    pub async fn run_until_signalled(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
        hurry: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        use std::future::IntoFuture;
        use tokio::time::Instant;

        let Self {
            listener, state, ..
        } = self;
        let background = background::spawn(&state);
        let app = middleware::app(state.clone());
        let grace = Duration::from_secs(state.config.shutdown_grace_secs);
        let delay = Duration::from_secs(state.config.shutdown_delay_secs).min(grace);
        let (signalled, mut deadline_rx) = tokio::sync::oneshot::channel::<Instant>();
        let signal = {
            let state = state.clone();
            async move {
                shutdown.await;
                let _ = signalled.send(Instant::now() + grace);
                state.draining.cancel();
                tracing::info!(
                    delay_secs = delay.as_secs(),
                    grace_secs = grace.as_secs(),
                    "shutting down: /readyz answers 503; draining after the delay"
                );
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = hurry => {}
                }
                tracing::info!("draining: closing sockets (1012), finishing requests in flight");
                state.shutdown.cancel();
            }
        };
        tracing::info!(addr = %listener.local_addr()?, role = ?state.config.role, "floodgate listening");
        let listener = listener::GuardedListener::new(
            listener,
            listener::connection_cap(&state.config),
            listener::write_timeout(&state.config),
            state.metrics.rate_limited.clone(),
        )
        // A no-op tap: it is what lets axum's `ConnectInfo<SocketAddr>` (which
        // `routes::client` reads) apply to a listener of our own.
        .tap_io(|_| {});
        let serve = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(signal)
        .into_future();
        tokio::pin!(serve);
        // Serve until the requests in flight at the drain are answered, or until the
        // deadline (known once the signal came).
        let mut deadline: Option<Instant> = None;
        let mut waiting_for_signal = true;
        let served = loop {
            tokio::select! {
                served = &mut serve => break Some(served),
                at = &mut deadline_rx, if waiting_for_signal => {
                    waiting_for_signal = false;
                    deadline = at.ok();
                }
                _ = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => break None,
            }
        };
        let deadline = deadline
            .or_else(|| deadline_rx.try_recv().ok())
            .unwrap_or_else(|| Instant::now() + grace);
        match served {
            Some(served) => served.context("serving")?,
            None => tracing::warn!("requests still in flight at the shutdown deadline"),
        }
        // Sessions saw the cancellation and are closing their sockets; wait for them.
        state.sessions.close();
        if tokio::time::timeout_at(deadline, state.sessions.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                open = state.sessions.len(),
                "sockets still open at the shutdown deadline"
            );
        }
        background.cancel();
        // The sockets just closed start their grace now, not at our lease's end.
        if tokio::time::timeout_at(deadline, state.hub.flush_presence())
            .await
            .is_err()
        {
            tracing::warn!("presence not written by the shutdown deadline");
        }
        state.hub.shutdown();
        state.checkout.shutdown();
        tracing::info!("floodgate stopped");
        Ok(())
    }
}
