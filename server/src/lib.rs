//! floodgate, the server: HTTP + WebSocket API over the waiting-room domain.
//!
//! [`Application::build`] (`startup`) wires configuration to a bound listener, the
//! services and the shared state; [`Application::run_until_stopped`] (`shutdown`)
//! serves the router ([`app`], `middleware`) with the `background` loops until the
//! shutdown future resolves, then closes every socket with a reason and drains them
//! with a deadline (axum does not wait for upgraded WebSockets).

pub mod argon_pool;
pub mod auth;
pub mod autotune;
pub mod backpressure;
pub mod bound_token;
pub mod checkout;
pub mod cli;
pub mod config;
pub mod contract_errors;
pub mod cookie;
pub mod db;
pub mod draw;
pub mod email;
pub mod error;
pub mod event;
pub mod event_edit;
pub mod events;
pub mod export;
pub mod extract;
pub mod gate;
pub mod limits;
pub mod listener;
pub mod metrics;
pub mod observe;
pub mod password_rules;
pub mod presale;
pub mod proof_of_work;
pub mod report;
pub mod revocations;
pub mod routes;
pub mod security_headers;
pub mod state;
pub mod stats;
pub mod telemetry;
pub mod test_faults;
pub mod text_rules;
pub mod verify_shuffle;
pub mod webhooks;
pub mod ws;

mod background;
mod bootstrap;
mod middleware;
mod shutdown;
mod startup;

pub use middleware::app;
pub use startup::{Application, Stores};
