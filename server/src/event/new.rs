//! The request to create an event (parsed and validated here, once, into an
//! [`Event`]) and the live admission patch.

use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::ToSchema;
use waiting_room::shuffle::ShuffleSeed;
use waiting_room::{AdmissionMode, AdmissionSettings, EventId, SafetyNet};

use super::model::{Event, InvalidEvent, Section, MAX_CAPACITY};

/// `POST /api/v1/admin/events`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEvent {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[schema(min_items = 1, max_items = 100)]
    pub sections: Vec<Section>,
    #[serde(default = "default_max_seats")]
    #[schema(minimum = 1, maximum = 50, default = 4)]
    pub max_seats_per_order: u32,
    #[serde(default = "default_hold_ttl")]
    #[schema(minimum = 1, maximum = 3600, default = 300)]
    pub hold_ttl_secs: u32,
    pub admission: NewAdmission,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub show_at: Option<OffsetDateTime>,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 31_622_400)]
    pub refund_window_secs: Option<u32>,
    #[serde(default)]
    #[schema(minimum = 1, maximum = 10_000)]
    pub max_seats_per_account: Option<u32>,
    /// Proof of work on join, leading zero bits (0..=28); absent: the server's default
    /// (`FLOODGATE_POW_DEFAULT_DIFFICULTY`, filled in before [`Self::into_event`]).
    #[serde(default)]
    #[schema(nullable = false, minimum = 0, maximum = 28)]
    pub pow_difficulty: Option<u32>,
}

/// The longest refund window: a year before the show.
pub const MAX_REFUND_WINDOW_SECS: u32 = 366 * 24 * 3600;
/// The highest per-account cap.
pub const MAX_SEATS_PER_ACCOUNT: u32 = 10_000;

/// Admission settings for a new event.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAdmission {
    #[schema(minimum = 1, maximum = 6_000_000)]
    pub rate_per_minute: u32,
    #[schema(minimum = 1, maximum = 10_000_000)]
    pub max_active: u32,
    #[serde(default = "default_session_ttl")]
    #[schema(minimum = 10, maximum = 86_400, default = 600)]
    pub session_ttl_secs: u32,
    #[serde(default)]
    #[schema(default = false)]
    pub paused: bool,
}

fn default_max_seats() -> u32 {
    4
}
fn default_hold_ttl() -> u32 {
    300
}
fn default_session_ttl() -> u32 {
    600
}

/// Any subset of the admission settings; the result must be in range
/// (`PATCH /api/v1/admin/events/{id}/admission`, and `admission` in an event's edit).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdmissionPatch {
    #[schema(minimum = 1, maximum = 6_000_000)]
    pub rate_per_minute: Option<u32>,
    #[schema(minimum = 1, maximum = 10_000_000)]
    pub max_active: Option<u32>,
    #[schema(minimum = 10, maximum = 86_400)]
    pub session_ttl_secs: Option<u32>,
    pub paused: Option<bool>,
    /// The admission mode (docs/ARCHITECTURE.md, "Admission modes").
    pub mode: Option<AdmissionMode>,
    /// The admin's words to the fans in `queue_all` and `reject`: one to 500
    /// characters (line breaks and tabs allowed, no other control character); `""`
    /// removes it (the page then shows its own text).
    #[schema(
        max_length = 500,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    pub message: Option<String>,
    /// The safety net (docs/ARCHITECTURE.md, "The safety net"): both levels, or
    /// `null` to switch it off; absent: unchanged.
    #[serde(default, deserialize_with = "some_or_null")]
    #[schema(value_type = Option<SafetyNet>)]
    pub safety_net: Option<Option<SafetyNet>>,
}

/// A field that may be absent (`None`), `null` (`Some(None)`) or a value.
fn some_or_null<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

impl AdmissionPatch {
    pub fn apply(&self, mut s: AdmissionSettings) -> Result<AdmissionSettings, InvalidEvent> {
        if let Some(v) = self.rate_per_minute {
            s.rate_per_minute = v;
        }
        if let Some(v) = self.max_active {
            s.max_active = v;
        }
        if let Some(v) = self.session_ttl_secs {
            s.session_ttl_secs = v;
        }
        if let Some(v) = self.paused {
            s.paused = v;
        }
        if let Some(v) = self.mode {
            s.mode = v;
        }
        if let Some(text) = &self.message {
            s.message = mode_message(text)?;
        }
        if let Some(net) = self.safety_net {
            s.safety_net = net;
        }
        s.validate().map_err(invalid_setting)?;
        Ok(s)
    }
}

/// A mode message as kept: trimmed, `None` when empty; refused over
/// [`AdmissionSettings::MAX_MESSAGE_CHARS`] characters or with a control character
/// other than a tab or a line break (`crate::text_rules`).
fn mode_message(text: &str) -> Result<Option<String>, InvalidEvent> {
    let max = AdmissionSettings::MAX_MESSAGE_CHARS;
    if text.chars().count() > max {
        return Err(InvalidEvent(format!(
            "message must be at most {max} characters"
        )));
    }
    if crate::text_rules::free_text_has_control(text) {
        return Err(InvalidEvent(
            "message cannot contain control characters other than tabs and line breaks".into(),
        ));
    }
    let text = text.trim();
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

fn invalid_setting(field: &str) -> InvalidEvent {
    InvalidEvent(format!("{field} is out of range"))
}

impl NewEvent {
    /// Validates the request into an event (with a fresh id).
    pub fn into_event(self, grace_secs: u32) -> Result<Event, InvalidEvent> {
        let bad = InvalidEvent;
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(bad("name must be 1 to 200 characters".into()));
        }
        if crate::text_rules::name_has_control(&name) {
            return Err(bad(
                "name cannot contain control characters (a tab, a line break, NUL…)".into(),
            ));
        }
        if self.sections.is_empty() || self.sections.len() > 100 {
            return Err(bad("sections: 1 to 100 sections".into()));
        }
        let mut names = std::collections::HashSet::new();
        for s in &self.sections {
            if s.name.is_empty()
                || s.name.len() > 16
                || !s.name.chars().all(|c| c.is_ascii_alphanumeric())
            {
                return Err(bad(format!(
                    "section name {:?}: 1 to 16 letters or digits",
                    s.name
                )));
            }
            if !names.insert(s.name.as_str()) {
                return Err(bad(format!("section name {:?} is used twice", s.name)));
            }
            if !(1..=1000).contains(&s.rows) || !(1..=1000).contains(&s.seats_per_row) {
                return Err(bad(format!(
                    "section {}: rows and seats_per_row must be 1 to 1000",
                    s.name
                )));
            }
            if s.price_cents < 0 {
                return Err(bad(format!(
                    "section {}: price_cents must not be negative",
                    s.name
                )));
            }
        }
        if !(1..=50).contains(&self.max_seats_per_order) {
            return Err(bad("max_seats_per_order must be 1 to 50".into()));
        }
        if !(1..=3600).contains(&self.hold_ttl_secs) {
            return Err(bad("hold_ttl_secs must be 1 to 3600".into()));
        }
        let admission = AdmissionSettings {
            rate_per_minute: self.admission.rate_per_minute,
            max_active: self.admission.max_active,
            session_ttl_secs: self.admission.session_ttl_secs,
            paused: self.admission.paused,
            mode: AdmissionMode::Queue,
            message: None,
            safety_net: None,
        };
        admission.validate().map_err(invalid_setting)?;
        let starts_at_ms = unix_ms(self.starts_at);
        let show_at_ms = self.show_at.map(unix_ms);
        validate_box_office(
            starts_at_ms,
            show_at_ms,
            self.refund_window_secs,
            self.max_seats_per_account,
        )?;
        let pow_difficulty = validate_pow_difficulty(self.pow_difficulty.unwrap_or(0))?;
        let event = Event {
            id: EventId::new(),
            name,
            starts_at_ms,
            closed: false,
            max_seats_per_order: self.max_seats_per_order,
            hold_ttl_secs: self.hold_ttl_secs,
            admission,
            grace_secs,
            sections: self.sections,
            show_at_ms,
            refund_window_secs: self.refund_window_secs,
            max_seats_per_account: self.max_seats_per_account,
            shuffle_seed: Some(ShuffleSeed::random()),
            pow_difficulty,
            presales: Vec::new(),
        };
        if event.capacity() > MAX_CAPACITY {
            return Err(bad(format!(
                "an event holds at most {MAX_CAPACITY} seats; these sections have {}",
                event.capacity()
            )));
        }
        Ok(event)
    }
}

/// `pow_difficulty` in range: 0 (off) to [`waiting_room::pow::MAX_DIFFICULTY`] bits.
pub fn validate_pow_difficulty(bits: u32) -> Result<u8, InvalidEvent> {
    let max = waiting_room::pow::MAX_DIFFICULTY;
    u8::try_from(bits)
        .ok()
        .filter(|b| *b <= max)
        .ok_or_else(|| InvalidEvent(format!("pow_difficulty must be 0 to {max}")))
}

fn unix_ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// The box office's rules on an event's show time, refund window and per-account cap.
pub fn validate_box_office(
    starts_at_ms: i64,
    show_at_ms: Option<i64>,
    refund_window_secs: Option<u32>,
    max_seats_per_account: Option<u32>,
) -> Result<(), InvalidEvent> {
    let bad = InvalidEvent;
    if show_at_ms.is_some_and(|show| show <= starts_at_ms) {
        return Err(bad("show_at must be after starts_at".into()));
    }
    if let Some(window) = refund_window_secs {
        if show_at_ms.is_none() {
            return Err(bad(
                "refund_window_secs needs show_at: the window ends that long before the show"
                    .into(),
            ));
        }
        if window > MAX_REFUND_WINDOW_SECS {
            return Err(bad(format!(
                "refund_window_secs must be 0 to {MAX_REFUND_WINDOW_SECS}"
            )));
        }
    }
    if max_seats_per_account.is_some_and(|cap| !(1..=MAX_SEATS_PER_ACCOUNT).contains(&cap)) {
        return Err(bad(format!(
            "max_seats_per_account must be 1 to {MAX_SEATS_PER_ACCOUNT}"
        )));
    }
    Ok(())
}
