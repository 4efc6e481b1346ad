//! Request metrics for `/metrics`: the time to answer each request, by route template
//! and status code, and the count of 5xx answers; the store decorator ([`store`]) times
//! the store's calls.

pub mod store;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::metrics::Metrics;

/// Middleware (a route layer, so the route template is known).
pub async fn observe(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let started = Instant::now();
    let response = next.run(request).await;
    if response.status().is_server_error() {
        Metrics::inc(&metrics.http_errors_5xx);
    }
    if let Some(route) = route {
        metrics.http.observe(
            route.as_str(),
            response.status().as_u16(),
            started.elapsed(),
        );
    }
    response
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
        let app =
            Router::new()
                .nest("/api", inner)
                .route_layer(axum::middleware::from_fn_with_state(
                    metrics.clone(),
                    observe,
                ));
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
