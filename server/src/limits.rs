//! Edge protection: per-IP rate limits (governor's keyed GCRA) on authentication and
//! on entering the queue, a cap on concurrently open queue sockets, and a cap on the
//! size of request headers.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::error::ApiError;

type KeyedLimiter = RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock>;

/// A per-IP limiter: `per_sec` sustained, bursts of 4× that.
pub struct IpLimiter {
    limiter: KeyedLimiter,
    clock: DefaultClock,
}

impl IpLimiter {
    pub fn new(per_sec: u32) -> Self {
        let rate = NonZeroU32::new(per_sec.max(1)).expect("at least 1");
        let burst = NonZeroU32::new(per_sec.max(1).saturating_mul(4)).expect("at least 4");
        Self {
            limiter: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one request's worth from `ip`'s budget, or says when to retry.
    pub fn check(&self, ip: IpAddr) -> Result<(), ApiError> {
        self.limiter.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            ApiError::RateLimited {
                retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
        })
    }

    /// Forgets idle addresses (called periodically to bound memory).
    pub fn prune(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// Counts open queue sockets against a cap.
#[derive(Clone)]
pub struct SocketGate {
    open: Arc<AtomicUsize>,
    max: usize,
}

/// One open socket; dropping it frees the slot.
pub struct SocketSlot(Arc<AtomicUsize>);

impl Drop for SocketSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl SocketGate {
    pub fn new(max: usize) -> Self {
        Self {
            open: Arc::default(),
            max,
        }
    }

    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    pub fn acquire(&self) -> Result<SocketSlot, ApiError> {
        let before = self.open.fetch_add(1, Ordering::Relaxed);
        let slot = SocketSlot(Arc::clone(&self.open));
        if before >= self.max {
            return Err(ApiError::Overloaded); // `slot` drops and gives the count back
        }
        Ok(slot)
    }
}

/// Most bytes of request headers (names, values and line framing) we serve: far
/// above what browsers send (a few KiB, cookies included), and below hyper's own
/// limit (about 400 KiB, or more than 100 header lines), past which hyper answers 431
/// itself, with an empty body, before any of our code runs.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Middleware: 431 `headers_too_large` for requests whose headers exceed
/// [`MAX_HEADER_BYTES`].
pub async fn header_limit(request: Request, next: Next) -> Response {
    let size: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if size > MAX_HEADER_BYTES {
        return ApiError::HeadersTooLarge.into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_address_with_retry_after() {
        let l = IpLimiter::new(1);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        for _ in 0..4 {
            l.check(a).unwrap();
        }
        match l.check(a) {
            Err(ApiError::RateLimited { retry_after_secs }) => assert_eq!(retry_after_secs, 1),
            other => panic!("{other:?}"),
        }
        l.check(b).unwrap();
    }

    #[test]
    fn socket_gate_caps_and_frees() {
        let gate = SocketGate::new(1);
        let slot = gate.acquire().unwrap();
        assert!(gate.acquire().is_err());
        assert_eq!(gate.open(), 1);
        drop(slot);
        assert!(gate.acquire().is_ok());
    }
}
