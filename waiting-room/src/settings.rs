//! An event's admission settings and queue schedule, as the store sees them.

use serde::{Deserialize, Serialize};

/// How the room treats joins and admission (docs/ARCHITECTURE.md, "Admission modes").
/// Every fan keeps its place through every switch; people-ahead never rises.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AdmissionMode {
    /// The line, admitted at `rate_per_minute` up to `max_active` (the default).
    #[default]
    Queue,
    /// Nobody is admitted; joins still queue; fans are shown the admin's message.
    QueueAll,
    /// Maintenance: a join that would take a new place is refused, nobody is
    /// admitted, fans already in line keep their places and see the message.
    Reject,
    /// No rate: a join with nobody waiting ahead is admitted at once, capped by
    /// `max_active` only; a line left from before drains first, in order.
    Passthrough,
}

impl AdmissionMode {
    /// The name used on the wire and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queue => "queue",
            Self::QueueAll => "queue_all",
            Self::Reject => "reject",
            Self::Passthrough => "passthrough",
        }
    }

    /// The mode named `s` (as [`Self::as_str`] writes it).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "queue" => Self::Queue,
            "queue_all" => Self::QueueAll,
            "reject" => Self::Reject,
            "passthrough" => Self::Passthrough,
            _ => return None,
        })
    }

    /// Whether the admission step admits anybody in this mode.
    pub fn admits(self) -> bool {
        matches!(self, Self::Queue | Self::Passthrough)
    }
}

/// What admins tune live. Changes take effect at the next admission step (≤ 250 ms).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// How joins and admission are treated ([`AdmissionMode`]); `queue` by default.
    #[serde(default)]
    pub mode: AdmissionMode,
    /// The admin's words to the fans, shown in `queue_all` and `reject` (`null`: the
    /// page's own text). At most [`Self::MAX_MESSAGE_CHARS`] characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true, max_length = 500))]
    pub message: Option<String>,
    /// The safety net (docs/ARCHITECTURE.md, "The safety net"), in mode `queue`: a
    /// join is admitted at once while nobody waits, fewer than `max_shoppers` shop and
    /// fewer than `max_arrivals_per_minute` joined in the last minute; `null`: off.
    /// (Always answered; absent from audit entries written before it existed.)
    #[serde(default)]
    pub safety_net: Option<SafetyNet>,
}

/// The safety net's levels: past either, fans queue (rate-limited) as usual.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SafetyNet {
    /// Admitted fans still shopping, below which a join may be admitted at once.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 10_000_000))]
    pub max_shoppers: u32,
    /// Joins (new places) in the last minute, below which a join may be admitted at once.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 6_000_000))]
    pub max_arrivals_per_minute: u32,
}

impl AdmissionSettings {
    /// The longest mode message, in characters.
    pub const MAX_MESSAGE_CHARS: usize = 500;

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
        if self
            .message
            .as_ref()
            .is_some_and(|m| m.chars().count() > Self::MAX_MESSAGE_CHARS)
        {
            return Err("message");
        }
        if let Some(net) = self.safety_net {
            if net.max_shoppers == 0 || net.max_shoppers > Self::MAX_ACTIVE {
                return Err("safety_net.max_shoppers");
            }
            if net.max_arrivals_per_minute == 0
                || net.max_arrivals_per_minute > Self::MAX_RATE_PER_MINUTE
            {
                return Err("safety_net.max_arrivals_per_minute");
            }
        }
        Ok(())
    }
}

/// Everything the store needs to run one event's queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueConfig {
    /// The opening, in Unix milliseconds: joins before it go to the pre-queue.
    pub starts_at_ms: i64,
    /// How long a ticket keeps its place with no socket open.
    pub grace_ms: u64,
    pub admission: AdmissionSettings,
    /// Presale groups' own openings (issue 20; docs/ARCHITECTURE.md "Presales"), each
    /// before `starts_at_ms`, at most [`MAX_PRESALE_GROUPS`], slots distinct. Empty:
    /// one opening, the public one.
    #[serde(default)]
    pub presales: Vec<PresaleOpening>,
}

/// Presale groups one event may have: the slots `1..=MAX_PRESALE_GROUPS` (slot 0 is the
/// public line, which opens at the event's `starts_at`).
pub const MAX_PRESALE_GROUPS: u8 = 8;

/// One presale group's line (issue 20 part 2): fans who join through the group wait in
/// its own pre-queue, which is drawn (shuffled with the seed
/// [`crate::shuffle::ShuffleSeed::for_presale`]) at `opens_at_ms` and appended behind
/// everyone already in line, so nobody's people-ahead rises because a group opened.
/// A group fan who joins after its opening queues at the back at once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresaleOpening {
    /// `1..=MAX_PRESALE_GROUPS`; the store's name for the group's line.
    pub slot: u8,
    /// The group's opening, in Unix milliseconds (before the public `starts_at_ms`).
    pub opens_at_ms: i64,
}

impl QueueConfig {
    /// The opening of line `slot` (0: the public line, `starts_at_ms`; a presale
    /// group's `opens_at_ms`), `None` for a slot the config does not have (or
    /// outside `0..=MAX_PRESALE_GROUPS`).
    pub fn opening_of(&self, slot: u8) -> Option<i64> {
        match slot {
            0 => Some(self.starts_at_ms),
            1..=MAX_PRESALE_GROUPS => self
                .presales
                .iter()
                .find(|p| p.slot == slot)
                .map(|p| p.opens_at_ms),
            _ => None,
        }
    }

    /// Every line's opening, `(slot, at)`, in the order the store opens them: by time,
    /// then slot (the public line, slot 0, first of a tie). Presale slots outside
    /// `1..=MAX_PRESALE_GROUPS` and repeated slots are left out.
    pub fn openings(&self) -> Vec<(u8, i64)> {
        let mut lines = vec![(0, self.starts_at_ms)];
        for p in &self.presales {
            if (1..=MAX_PRESALE_GROUPS).contains(&p.slot) && !lines.iter().any(|l| l.0 == p.slot) {
                lines.push((p.slot, p.opens_at_ms));
            }
        }
        lines.sort_by_key(|&(slot, at)| (at, slot));
        lines
    }
}
