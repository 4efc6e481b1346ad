//! An event's admission settings and queue schedule, as the store sees them.

use serde::{Deserialize, Serialize};

/// What admins tune live. Changes take effect at the next admission step (≤ 250 ms).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdmissionSettings {
    /// Fans admitted per minute, at most; the bucket holds one second of burst.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 6_000_000))]
    pub rate_per_minute: u32,
    /// Admitted fans whose shopping session is still running, at most.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 10_000_000))]
    pub max_active: u32,
    /// How long an admitted fan's shopping session (and purchase token) lasts.
    #[cfg_attr(feature = "openapi", schema(minimum = 10, maximum = 86_400))]
    pub session_ttl_secs: u32,
    /// While paused nobody is admitted; the queue keeps its order.
    pub paused: bool,
}

impl AdmissionSettings {
    /// Upper bounds accepted from admins; beyond them a typo becomes an outage.
    pub const MAX_RATE_PER_MINUTE: u32 = 6_000_000;
    pub const MAX_ACTIVE: u32 = 10_000_000;
    pub const MAX_SESSION_TTL_SECS: u32 = 24 * 3600;

    /// Checks the settings are in range; returns the name of the first bad field.
    pub fn validate(&self) -> Result<(), &'static str> {
        if self.rate_per_minute == 0 || self.rate_per_minute > Self::MAX_RATE_PER_MINUTE {
            return Err("rate_per_minute");
        }
        if self.max_active == 0 || self.max_active > Self::MAX_ACTIVE {
            return Err("max_active");
        }
        if self.session_ttl_secs < 10 || self.session_ttl_secs > Self::MAX_SESSION_TTL_SECS {
            return Err("session_ttl_secs");
        }
        Ok(())
    }
}

/// Everything the store needs to run one event's queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueConfig {
    /// The opening, in Unix milliseconds: joins before it go to the pre-queue.
    pub starts_at_ms: i64,
    /// How long a ticket keeps its place with no socket open.
    pub grace_ms: u64,
    pub admission: AdmissionSettings,
}
