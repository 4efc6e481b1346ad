//! Request metrics for `/metrics`: the time to answer each request, by route template
//! and status code, and the count of 5xx answers ([`ObserveLayer`], a route layer),
//! and for autotune the holds' and confirms' times and failures (an unanswered one
//! counted as failed: see [`Observed`]'s drop);
//! the store decorator ([`store`]) times the store's calls.

pub mod store;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::response::Response;
use tower::{Layer, Service};

use crate::metrics::checkout_window::is_checkout_route;
use crate::metrics::Metrics;

/// Times each request into [`Metrics`] (a route layer, so the route template is
/// known). A plain tower layer: `axum::middleware::from_fn` boxed two futures and the
/// route's service on every request.
#[derive(Clone)]
pub struct ObserveLayer(pub Arc<Metrics>);

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Observe {
            inner,
            metrics: Arc::clone(&self.0),
        }
    }
}

/// The service of [`ObserveLayer`].
#[derive(Clone)]
pub struct Observe<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

impl<S> Service<Request> for Observe<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Observed<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let route = request.extensions().get::<MatchedPath>().cloned();
        Observed {
            inner: self.inner.call(request),
            metrics: Arc::clone(&self.metrics),
            route,
            started: Instant::now(),
        }
    }
}

pin_project_lite::pin_project! {
    /// The route's answer, timed.
    pub struct Observed<F> {
        #[pin]
        inner: F,
        metrics: Arc<Metrics>,
        route: Option<MatchedPath>,
        started: Instant,
    }

    impl<F> PinnedDrop for Observed<F> {
        // A checkout request dropped before its answer (the request timeout fired, or
        // its client went away) counts for autotune as a failed one: its route is
        // still here only then (the answer takes it).
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(route) = this.route.take() {
                if is_checkout_route(route.as_str()) {
                    this.metrics.checkout.observe(this.started.elapsed(), true);
                }
            }
        }
    }
}

impl<F, E> Future for Observed<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = std::task::ready!(this.inner.poll(cx))?;
        if response.status().is_server_error() {
            Metrics::inc(&this.metrics.http_errors_5xx);
        }
        if let Some(route) = this.route.take() {
            let took = this.started.elapsed();
            let status = response.status();
            this.metrics
                .http
                .observe(route.as_str(), status.as_u16(), took);
            if is_checkout_route(route.as_str()) {
                this.metrics
                    .checkout
                    .observe(took, status.is_server_error());
            }
        }
        Poll::Ready(Ok(response))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::StatusCode;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    #[tokio::test]
    async fn times_requests_by_route_and_counts_5xx() {
        let metrics = Arc::new(Metrics::default());
        let inner = Router::new()
            .route("/items/{id}", get(|| async { "ok" }))
            .route("/broken", get(|| async { StatusCode::SERVICE_UNAVAILABLE }));
        let app = Router::new()
            .nest("/api", inner)
            .route_layer(ObserveLayer(metrics.clone()));
        for uri in ["/api/items/1", "/api/items/2", "/api/broken", "/nowhere"] {
            let request = axum::http::Request::get(uri).body(Body::empty()).unwrap();
            app.clone().oneshot(request).await.unwrap();
        }
        let text = metrics.render(&[]);
        let value = |prefix: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(prefix))
                .unwrap_or_else(|| panic!("no {prefix} in {text}"))
                .trim()
                .to_owned()
        };
        assert_eq!(
            value("floodgate_http_request_seconds_count{route=\"/api/items/{id}\",status=\"200\"}"),
            "2"
        );
        assert_eq!(
            value("floodgate_http_request_seconds_count{route=\"/api/broken\",status=\"503\"}"),
            "1"
        );
        assert_eq!(value("floodgate_http_5xx_total "), "1");
        assert!(!text.contains("nowhere"), "unmatched paths make no series");
    }
}
