//! Which API routes a replica serves: each resource module's router, merged according
//! to the replica's role. The OpenAPI document ([`super::openapi`]) is built from the
//! same routers, so what is served and what is documented cannot differ.

use utoipa_axum::router::OpenApiRouter;

use crate::config::Role;
use crate::state::AppState;

/// The API and operations routes a replica of `role` serves (every role's with `None`),
/// each registered together with its OpenAPI operation by `routes!`, so the served
/// routes and the documented ones cannot differ. The fan pages (`web`) are not API.
pub(super) fn api(role: Option<Role>) -> OpenApiRouter<AppState> {
    let serves = |other: Role| role != Some(other);
    let mut api = OpenApiRouter::new()
        .merge(super::auth::router())
        .merge(super::events::router())
        .merge(super::admin::router())
        .merge(super::autotune::router())
        .merge(super::staff::router())
        .merge(super::presale::router())
        .merge(super::report::router())
        .merge(super::event_lifecycle::router())
        .merge(super::loadtest::router())
        .merge(super::webhooks::router())
        .merge(super::gate::router());
    if serves(Role::Checkout) {
        api = api.merge(super::queue::router());
    }
    if serves(Role::Queue) {
        api = api
            .merge(super::checkout::router())
            .merge(super::held_back::router())
            .merge(super::refunds::router());
    }
    OpenApiRouter::new()
        .nest("/api/v1", api)
        .merge(super::ops::router())
}
