//! Edge protection: per-IP rate limits (governor's keyed GCRA) on authentication and
//! on entering the queue, caps on concurrently open sockets (per process and per client
//! address), and a cap on the size of request headers.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::ApiError;

type KeyedLimiter<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

/// The key a client address is counted under by the per-address limits: an IPv4
/// address as is (an IPv4-mapped IPv6 address as its IPv4), an IPv6 address by its
/// /64, the block one subscriber usually gets, so a client cannot step around a limit
/// by using the next address of its own network.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
    }
}

/// What a limiter counts by. A client address counts under its [`client_key`] (an
/// IPv6 address by its /64), so every per-address limit keys the same way.
pub trait LimitKey: Hash + Eq + Clone {
    fn key(self) -> Self {
        self
    }
}

impl LimitKey for IpAddr {
    fn key(self) -> Self {
        client_key(self)
    }
}

impl LimitKey for waiting_room::UserId {}

/// A per-address limiter (keyed by [`client_key`]): `per_sec` sustained, bursts of 4×
/// that, or [`KeyLimiter::per_minute`].
pub type IpLimiter = KeyLimiter<IpAddr>;

/// The same limit kept per account (the queue polls).
pub type AccountLimiter = KeyLimiter<waiting_room::UserId>;

/// A limiter keyed by `K`: `per_sec` sustained, bursts of 4× that.
pub struct KeyLimiter<K: LimitKey> {
    limiter: KeyedLimiter<K>,
    clock: DefaultClock,
}

impl<K: LimitKey> KeyLimiter<K> {
    pub fn new(per_sec: u32) -> Self {
        let rate = NonZeroU32::new(per_sec.max(1)).expect("at least 1");
        let burst = NonZeroU32::new(per_sec.max(1).saturating_mul(4)).expect("at least 4");
        Self {
            limiter: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
            clock: DefaultClock::default(),
        }
    }

    /// `per_minute` sustained, bursts of `burst` (each at least 1).
    pub fn per_minute(per_minute: u32, burst: u32) -> Self {
        let rate = NonZeroU32::new(per_minute.max(1)).expect("at least 1");
        let burst = NonZeroU32::new(burst.max(1)).expect("at least 1");
        Self {
            limiter: RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst)),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one request's worth from `key`'s budget, or says when to retry.
    pub fn check(&self, key: K) -> Result<(), Limited> {
        self.limiter.check_key(&key.key()).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            Limited::RateLimited {
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

/// Why a request or a socket was refused; the routes answer 429 `rate_limited` (with
/// `Retry-After`) or 503 `overloaded`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Limited {
    /// The client's budget (requests, or sockets from its address) is spent.
    #[error("too many requests; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// The client's address has as many sockets open as it may.
    #[error("too many sockets open from this address; retry in {retry_after_secs} s")]
    TooManySockets { retry_after_secs: u64 },
    /// The process has as many sockets open as it serves.
    #[error("this server is at capacity; try again shortly")]
    Overloaded,
}

/// Counts open sockets (queue, seat and stats) against a cap for the process (a
/// semaphore's permits) and a cap per client address.
#[derive(Clone)]
pub struct SocketGate {
    permits: Arc<Semaphore>,
    max: usize,
    per_ip: Arc<PerIp>,
}

/// Open sockets per address. A `std` mutex: held for one map update, never across
/// `.await`; entries are removed when their count reaches zero, so the map holds only
/// addresses with a socket open.
struct PerIp {
    max: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

impl PerIp {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One open socket; dropping it frees its slots.
pub struct SocketSlot {
    _permit: OwnedSemaphorePermit,
    ip: Option<(Arc<PerIp>, IpAddr)>,
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        if let Some((per_ip, ip)) = &self.ip {
            let mut open = per_ip.lock();
            if let Some(n) = open.get_mut(ip) {
                *n -= 1;
                if *n == 0 {
                    open.remove(ip);
                }
            }
        }
    }
}

/// How long a client at its per-address cap is told to wait.
const PER_IP_RETRY_SECS: u64 = 5;

impl SocketGate {
    pub fn new(max: usize, max_per_ip: usize) -> Self {
        let max = max.min(Semaphore::MAX_PERMITS);
        Self {
            permits: Arc::new(Semaphore::new(max)),
            max,
            per_ip: Arc::new(PerIp {
                max: max_per_ip,
                open: Mutex::default(),
            }),
        }
    }

    pub fn open(&self) -> usize {
        self.max - self.permits.available_permits()
    }

    /// A slot for a socket from `ip`: [`Limited::Overloaded`] at the process's cap,
    /// [`Limited::TooManySockets`] at the address's.
    pub fn acquire(&self, ip: IpAddr) -> Result<SocketSlot, Limited> {
        let permit = Arc::clone(&self.permits)
            .try_acquire_owned()
            .map_err(|_| Limited::Overloaded)?;
        let mut open = self.per_ip.lock();
        let n = open.entry(ip).or_default();
        if *n >= self.per_ip.max {
            if *n == 0 {
                open.remove(&ip);
            }
            return Err(Limited::TooManySockets {
                retry_after_secs: PER_IP_RETRY_SECS,
            }); // `permit` drops and gives the count back
        }
        *n += 1;
        drop(open);
        Ok(SocketSlot {
            _permit: permit,
            ip: Some((Arc::clone(&self.per_ip), ip)),
        })
    }

    /// Addresses with a socket open (for tests and metrics).
    pub fn addresses(&self) -> usize {
        self.per_ip.lock().len()
    }
}

/// Most bytes of request headers (names, values and line framing) we serve: far
/// above what browsers send (a few KiB, cookies included), and below hyper's own
/// limit (about 400 KiB, or more than 100 header lines), past which hyper answers 431
/// itself, with an empty body, before any of our code runs.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// The request check (`tower_http::validate_request`, no boxed future): 431
/// `headers_too_large` for requests whose headers exceed [`MAX_HEADER_BYTES`].
#[expect(
    clippy::result_large_err,
    reason = "the signature tower_http::validate_request asks for; refusals are rare"
)]
pub fn header_limit(request: &mut Request) -> Result<(), Response> {
    let size: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if size > MAX_HEADER_BYTES {
        return Err(ApiError::HeadersTooLarge.into_response());
    }
    Ok(())
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
            Err(Limited::RateLimited { retry_after_secs }) => assert_eq!(retry_after_secs, 1),
            other => panic!("{other:?}"),
        }
        l.check(b).unwrap();
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let l = IpLimiter::per_minute(1, 2);
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let same_64: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let next_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        l.check(a).unwrap();
        l.check(same_64).unwrap();
        match l.check(a) {
            Err(Limited::RateLimited { retry_after_secs }) => {
                assert!((1..=60).contains(&retry_after_secs), "{retry_after_secs}")
            }
            other => panic!("{other:?}"),
        }
        l.check(next_64).unwrap();
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(client_key(mapped), IpAddr::from([192, 0, 2, 7]));
        assert_eq!(
            client_key(IpAddr::from([192, 0, 2, 7])),
            IpAddr::from([192, 0, 2, 7])
        );
    }

    #[test]
    fn socket_gate_caps_and_frees() {
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let gate = SocketGate::new(1, 10);
        let slot = gate.acquire(ip).unwrap();
        assert!(matches!(gate.acquire(ip), Err(Limited::Overloaded)));
        assert_eq!(gate.open(), 1);
        drop(slot);
        assert!(gate.acquire(ip).is_ok());
    }

    #[test]
    fn socket_gate_caps_each_address_and_forgets_idle_ones() {
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let gate = SocketGate::new(100, 2);
        let first = gate.acquire(a).unwrap();
        let _second = gate.acquire(a).unwrap();
        match gate.acquire(a) {
            Err(e @ Limited::TooManySockets { .. }) => {
                assert_eq!(crate::error::ApiError::from(e).code(), "rate_limited")
            }
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("a third socket from one address"),
        }
        assert_eq!(gate.open(), 2, "a refused socket gives its count back");
        let other = gate.acquire(b).unwrap();
        assert_eq!(gate.addresses(), 2);
        drop(first);
        let _third = gate.acquire(a).unwrap();
        drop(other);
        assert_eq!(
            gate.addresses(),
            1,
            "an address with no socket is forgotten"
        );
    }
}
