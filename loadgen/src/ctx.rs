//! What every fan of a worker shares: the tally, the HTTP client, the targets and
//! source addresses, the scenario's parameters and the cached seat map. The worker
//! builds it; the fan, socket and checkout modules read it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::api::{Http, SeatMap};
use crate::net::{Sources, Target};
use crate::tally::Tally;

/// What every fan of a worker shares.
pub struct Ctx {
    pub tally: Tally,
    pub http: Http,
    pub targets: Vec<Target>,
    pub sources: Sources,
    pub stop: CancellationToken,
    pub event: String,
    pub decoy: String,
    pub seed: u64,
    pub opens_at_us: i64,
    pub storm_at: Option<tokio::time::Instant>,
    /// Unix µs when the coordinator changes the admission rate (`--rate-change-at-secs`).
    pub rate_change_at_us: Option<i64>,
    pub session_ttl_ms: i64,
    pub quantity: u32,
    pub max_seats: u32,
    pub tab_count: u32,
    pub flood_frames: u32,
    /// The event's proof of work (leading zero bits; 0: none) and whether fans solve it.
    pub pow_difficulty: u8,
    pub pow_solve: bool,
    /// Fans join with a frame after the socket opens, not with `?join=1`.
    pub join_frame: bool,
    pub seats: tokio::sync::Mutex<Option<(std::time::Instant, Arc<SeatMap>)>>,
    /// Presale: the access code of each of the worker's group fans.
    pub codes: crate::presale::kinds::Codes,
    /// Presale: the HTTP clients codes are redeemed through, each from its own source
    /// address when spreading (see [`crate::presale::setup::redeemers`]).
    pub redeemers: Vec<Http>,
}

impl Ctx {
    /// The seat snapshot, shared by the worker's fans for up to 250 ms (`fresh`: refetch).
    pub async fn seat_map(&self, url: usize, fresh: bool) -> Arc<SeatMap> {
        let mut cache = self.seats.lock().await;
        if let Some((at, map)) = cache.as_ref() {
            if !fresh && at.elapsed() < Duration::from_millis(250) {
                return map.clone();
            }
        }
        let map = match SeatMap::fetch(&self.http, &self.targets[url].base, &self.event).await {
            Ok(map) => Arc::new(map),
            Err(_) => {
                self.tally.error("seat_snapshot_failed", false);
                Arc::new(SeatMap::default())
            }
        };
        *cache = Some((Instant::now(), map.clone()));
        map
    }
}
