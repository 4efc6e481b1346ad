//! `loadgen`: plays tens of thousands of fans against a running Floodgate server over
//! the real API (HTTP + queue WebSockets), audits the outcome (no oversell, FIFO
//! admission, the pre-queue first, the admission rate, positions that never rise) and
//! reports it.
//!
//! [`run`] is the whole thing in-process (one worker) or with worker processes (the
//! binary's hidden `worker` subcommand); the binary in `main.rs` only parses flags.
//! Nothing here is process-global: two runs may share a process.

pub mod api;
pub mod audit;
pub mod behaviour;
pub mod checkout;
pub mod config;
pub mod coordinator;
pub mod ctx;
pub mod estimates;
pub mod fan;
pub mod line_sim;
pub mod merge;
pub mod net;
pub mod pow;
pub mod presale;
pub mod report;
pub mod socket;
pub mod tally;
pub mod worker;

pub use config::{Arrival, Config, HoldMode};
pub use report::{Percentiles, Report};

/// Runs a scenario against the server(s) in `config.urls` and returns the report.
/// `report.passed` is false on an oversell, a FIFO inversion or a 5xx (see
/// `report.failures`); an `Err` means the run itself could not be carried out.
pub async fn run(config: Config) -> anyhow::Result<Report> {
    coordinator::run(config).await
}
