//! Changing an event after its creation (`PATCH /api/v1/admin/events/{id}`): the
//! request, parsed here once, and its rules. The changed event is validated exactly as
//! a new one is ([`NewEvent::into_event`]). Before the opening every setting may
//! change; once the sale has opened only what does not alter the sale under way —
//! [`AFTER_OPENING`] — and a closed sale not at all.

use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use waiting_room::wire::datetime_ms;
use waiting_room::AdmissionSettings;

use crate::event::{AdmissionPatch, Event, InvalidEvent, NewAdmission, NewEvent, Section};

/// The fields that may still change once the sale has opened.
pub const AFTER_OPENING: [&str; 6] = [
    "name",
    "show_at",
    "refund_window_secs",
    "max_seats_per_account",
    "admission",
    "pow_difficulty",
];

/// Any subset of an event's settings (`PATCH /api/v1/admin/events/{id}`); omitted
/// fields keep their value, `null` clears `show_at`, `refund_window_secs` or
/// `max_seats_per_account`. The result is validated as a new event is. `sections`
/// replaces the whole seat map, only before the opening and only while no seat is
/// held, sold or held back and no order was ever written for the event.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventPatch {
    #[schema(min_length = 1, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub name: Option<String>,
    /// The opening; only before it.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub starts_at: Option<OffsetDateTime>,
    /// The show's date and time, after the opening; `null` clears it.
    #[serde(default, deserialize_with = "nullable_time")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub show_at: Option<Option<OffsetDateTime>>,
    /// Fans may cancel until this many seconds before the show; `null`: no
    /// self-service refunds.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>, minimum = 0)]
    pub refund_window_secs: Option<Option<u32>>,
    /// Seats one account may buy over all its orders; `null`: no cap. From the
    /// opening on it may be raised or lowered, not added or removed.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>, minimum = 1)]
    pub max_seats_per_account: Option<Option<u32>>,
    /// Only before the opening.
    #[schema(minimum = 1, maximum = 50)]
    pub max_seats_per_order: Option<u32>,
    /// Only before the opening.
    #[schema(minimum = 1, maximum = 3600)]
    pub hold_ttl_secs: Option<u32>,
    pub admission: Option<AdmissionPatch>,
    /// The new seat map, as at creation (unique names; at most 1,000,000 seats). Only
    /// before the opening, while every seat is free and the event has no order
    /// (checked by the database and the seat store when the edit is written).
    #[schema(schema_with = sections_schema)]
    pub sections: Option<Vec<Section>>,
    /// Proof of work on join, leading zero bits of SHA-256 (0: off); also once the
    /// sale has opened (challenges already issued keep theirs).
    #[schema(minimum = 0, maximum = 28)]
    pub pow_difficulty: Option<u32>,
}

/// `sections`: 1 to 100 of the (hand-described) `Section` schema.
fn sections_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{SchemaType, Type};
    // `null`, like a missing field, changes nothing.
    utoipa::openapi::schema::ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(utoipa::openapi::Ref::from_schema_name("Section"))
        .min_items(Some(1))
        .max_items(Some(100))
        .build()
}

/// Why an edit was refused.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error(transparent)]
    Invalid(#[from] InvalidEvent),
    /// The sale has opened and the patch touches a field frozen from then on.
    #[error("the sale has opened: {field} can no longer change (only {allowed} can)", allowed = AFTER_OPENING.join(", "))]
    Opened { field: &'static str },
    /// The sale has opened and the patch adds or removes the cap per account (its
    /// confirms were counted, or not, from the opening on; a value may change).
    #[error("the sale has opened: max_seats_per_account can be raised or lowered but no longer added or removed")]
    CapSwitched,
    #[error("this sale is closed")]
    Closed,
}

impl EventPatch {
    /// The fields this patch sets.
    fn fields(&self) -> Vec<&'static str> {
        let set = [
            ("name", self.name.is_some()),
            ("starts_at", self.starts_at.is_some()),
            ("show_at", self.show_at.is_some()),
            ("refund_window_secs", self.refund_window_secs.is_some()),
            (
                "max_seats_per_account",
                self.max_seats_per_account.is_some(),
            ),
            ("max_seats_per_order", self.max_seats_per_order.is_some()),
            ("hold_ttl_secs", self.hold_ttl_secs.is_some()),
            ("admission", self.admission.is_some()),
            ("sections", self.sections.is_some()),
            ("pow_difficulty", self.pow_difficulty.is_some()),
        ];
        set.into_iter()
            .filter(|(_, on)| *on)
            .map(|(f, _)| f)
            .collect()
    }

    /// `event` as this patch changes it at `now_ms`, validated as at creation (same
    /// id, same state).
    pub fn apply(self, event: &Event, now_ms: i64) -> Result<Event, EditError> {
        if event.closed {
            return Err(EditError::Closed);
        }
        if now_ms >= event.starts_at_ms {
            if let Some(field) = self
                .fields()
                .into_iter()
                .find(|f| !AFTER_OPENING.contains(f))
            {
                return Err(EditError::Opened { field });
            }
            if let Some(cap) = self.max_seats_per_account {
                if cap.is_some() != event.max_seats_per_account.is_some() {
                    return Err(EditError::CapSwitched);
                }
            }
        }
        let admission = match &self.admission {
            Some(patch) => patch.apply(event.admission.clone())?,
            None => event.admission.clone(),
        };
        let request = NewEvent {
            name: self.name.unwrap_or_else(|| event.name.clone()),
            starts_at: self
                .starts_at
                .unwrap_or_else(|| datetime_ms(event.starts_at_ms)),
            sections: self.sections.unwrap_or_else(|| event.sections.clone()),
            max_seats_per_order: self
                .max_seats_per_order
                .unwrap_or(event.max_seats_per_order),
            hold_ttl_secs: self.hold_ttl_secs.unwrap_or(event.hold_ttl_secs),
            admission: new_admission(admission.clone()),
            show_at: self
                .show_at
                .unwrap_or_else(|| event.show_at_ms.map(datetime_ms)),
            refund_window_secs: self.refund_window_secs.unwrap_or(event.refund_window_secs),
            max_seats_per_account: self
                .max_seats_per_account
                .unwrap_or(event.max_seats_per_account),
            pow_difficulty: Some(
                self.pow_difficulty
                    .unwrap_or(u32::from(event.pow_difficulty)),
            ),
        };
        let changed = request.into_event(event.grace_secs)?;
        // Every presale group opens before the public sale (docs/ARCHITECTURE.md
        // "Presale codes"): an opening moved to or before a group's is refused.
        if let Some(group) = event
            .presales
            .iter()
            .find(|p| p.opens_at_ms >= changed.starts_at_ms)
        {
            return Err(EditError::Invalid(InvalidEvent(format!(
                "starts_at must stay after every presale group's opening; {:?} opens at {}",
                group.name,
                datetime_ms(group.opens_at_ms)
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default()
            ))));
        }
        Ok(Event {
            id: event.id,
            closed: event.closed,
            shuffle_seed: event.shuffle_seed,
            presales: event.presales.clone(),
            // All of it: a new event's admission has no mode, message or safety net,
            // and an edit must neither drop nor reset them.
            admission,
            ..changed
        })
    }
}

fn new_admission(s: AdmissionSettings) -> NewAdmission {
    NewAdmission {
        rate_per_minute: s.rate_per_minute,
        max_active: s.max_active,
        session_ttl_secs: s.session_ttl_secs,
        paused: s.paused,
    }
}

/// What the audit log records of an edit: the settings that changed, before and
/// after (`None` when nothing changed).
pub fn changes(
    before: &Event,
    after: &Event,
) -> Result<Option<(serde_json::Value, serde_json::Value)>, serde_json::Error> {
    let (b, a) = (
        serde_json::to_value(Editable::of(before))?,
        serde_json::to_value(Editable::of(after))?,
    );
    let (mut old, mut new) = (serde_json::Map::new(), serde_json::Map::new());
    if let (Some(b), Some(a)) = (b.as_object(), a.as_object()) {
        for (key, value) in a {
            if b.get(key) != Some(value) {
                old.insert(key.clone(), b.get(key).cloned().unwrap_or_default());
                new.insert(key.clone(), value.clone());
            }
        }
    }
    Ok((!new.is_empty()).then(|| (old.into(), new.into())))
}

/// The settings an edit may change, as the audit log shows them.
#[derive(Serialize)]
struct Editable<'a> {
    name: &'a str,
    #[serde(with = "time::serde::rfc3339")]
    starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    show_at: Option<OffsetDateTime>,
    refund_window_secs: Option<u32>,
    max_seats_per_account: Option<u32>,
    max_seats_per_order: u32,
    hold_ttl_secs: u32,
    admission: AdmissionSettings,
    sections: &'a [Section],
    pow_difficulty: u8,
}

impl<'a> Editable<'a> {
    fn of(e: &'a Event) -> Self {
        Self {
            name: &e.name,
            starts_at: datetime_ms(e.starts_at_ms),
            show_at: e.show_at_ms.map(datetime_ms),
            refund_window_secs: e.refund_window_secs,
            max_seats_per_account: e.max_seats_per_account,
            max_seats_per_order: e.max_seats_per_order,
            hold_ttl_secs: e.hold_ttl_secs,
            admission: e.admission.clone(),
            sections: &e.sections,
            pow_difficulty: e.pow_difficulty,
        }
    }
}

/// A field that may be `null` (clear it) or absent (keep it).
fn nullable<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

fn nullable_time<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<OffsetDateTime>>, D::Error> {
    time::serde::rfc3339::option::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(starts_at_ms: i64) -> Event {
        let body = serde_json::json!({
            "name": "Spring tour",
            "starts_at": "2030-01-01T00:00:00Z",
            "sections": [{"name": "A", "rows": 2, "seats_per_row": 2, "price_cents": 100}],
            "admission": {"rate_per_minute": 60, "max_active": 10},
        });
        let request: NewEvent = serde_json::from_value(body).unwrap();
        let mut e = request.into_event(60).unwrap();
        e.starts_at_ms = starts_at_ms;
        e
    }

    fn patch(v: serde_json::Value) -> EventPatch {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn an_edit_keeps_or_sets_the_mode_its_message_and_the_safety_net() {
        let mut e = event(10_000);
        e.admission.mode = waiting_room::AdmissionMode::QueueAll;
        e.admission.message = Some("Back at noon".into());
        e.admission.safety_net = Some(waiting_room::SafetyNet {
            max_shoppers: 50,
            max_arrivals_per_minute: 600,
        });
        // An edit of the rate (the console's form) used to reset all three.
        let out = patch(serde_json::json!({"admission": {"rate_per_minute": 90}}))
            .apply(&e, 0)
            .unwrap();
        assert_eq!(out.admission.rate_per_minute, 90);
        assert_eq!(out.admission.mode, e.admission.mode);
        assert_eq!(out.admission.message, e.admission.message);
        assert_eq!(out.admission.safety_net, e.admission.safety_net);
        let out = patch(serde_json::json!({"name": "Renamed"}))
            .apply(&e, 0)
            .unwrap();
        assert_eq!(out.admission, e.admission);
        let out = patch(serde_json::json!({"admission": {"mode": "reject"}}))
            .apply(&e, 20_000)
            .unwrap();
        assert_eq!(out.admission.mode, waiting_room::AdmissionMode::Reject);
        assert_eq!(out.admission.message.as_deref(), Some("Back at noon"));
    }

    #[test]
    fn before_the_opening_everything_changes_and_is_validated() {
        let e = event(10_000);
        let out = patch(serde_json::json!({
            "name": " New ", "starts_at": "1970-01-01T00:00:20Z", "hold_ttl_secs": 60,
            "admission": {"paused": true},
        }))
        .apply(&e, 0)
        .unwrap();
        assert_eq!((out.id, out.name.as_str()), (e.id, "New"));
        assert_eq!((out.starts_at_ms, out.hold_ttl_secs), (20_000, 60));
        assert!(out.admission.paused);
        let (before, after) = changes(&e, &out).unwrap().unwrap();
        assert_eq!(before["hold_ttl_secs"], 300);
        assert_eq!(after["hold_ttl_secs"], 60);
        assert!(after.get("max_seats_per_order").is_none(), "{after}");
        let late = patch(serde_json::json!({"show_at": "1970-01-01T00:00:05Z"}));
        assert!(matches!(late.apply(&e, 0), Err(EditError::Invalid(_))));
        let zero = patch(serde_json::json!({"max_seats_per_account": 0}));
        assert!(matches!(zero.apply(&e, 0), Err(EditError::Invalid(_))));
        assert!(changes(&e, &e).unwrap().is_none());
        let mut grouped = e.clone();
        grouped.presales.push(crate::event::Presale {
            id: "g".into(),
            slot: 1,
            name: "Fan club".into(),
            opens_at_ms: 15_000,
        });
        let before_group = patch(serde_json::json!({"starts_at": "1970-01-01T00:00:15Z"}));
        assert!(matches!(
            before_group.apply(&grouped, 0),
            Err(EditError::Invalid(_))
        ));
        let after_group = patch(serde_json::json!({"starts_at": "1970-01-01T00:00:16Z"}));
        assert_eq!(
            after_group.apply(&grouped, 0).unwrap().presales,
            grouped.presales
        );

        let seats = serde_json::json!({"sections": [
            {"name": "B", "rows": 3, "seats_per_row": 4, "price_cents": 250}]});
        let out = patch(seats.clone()).apply(&e, 0).unwrap();
        assert_eq!((out.capacity(), out.sections[0].name.as_str()), (12, "B"));
        let (before, after) = changes(&e, &out).unwrap().unwrap();
        assert_eq!(before["sections"][0]["name"], "A");
        assert_eq!(after["sections"], seats["sections"]);
        let empty = patch(serde_json::json!({"sections": []}));
        assert!(matches!(empty.apply(&e, 0), Err(EditError::Invalid(_))));
        let twice = patch(serde_json::json!({"sections": [
            {"name": "B", "rows": 1, "seats_per_row": 1, "price_cents": 1},
            {"name": "B", "rows": 1, "seats_per_row": 1, "price_cents": 1}]}));
        assert!(matches!(twice.apply(&e, 0), Err(EditError::Invalid(_))));
    }

    #[test]
    fn after_the_opening_only_some_fields_change_and_a_closed_sale_none() {
        let e = event(10_000);
        let ok = patch(serde_json::json!({"name": "Later", "max_seats_per_account": null}));
        assert_eq!(ok.apply(&e, 10_000).unwrap().name, "Later");
        let moved = patch(serde_json::json!({"starts_at": "1970-01-01T00:00:30Z"}));
        assert!(matches!(
            moved.apply(&e, 10_000),
            Err(EditError::Opened { field: "starts_at" })
        ));
        let seats = patch(serde_json::json!({"sections": [
            {"name": "B", "rows": 1, "seats_per_row": 1, "price_cents": 1}]}));
        assert!(matches!(
            seats.apply(&e, 10_000),
            Err(EditError::Opened { field: "sections" })
        ));
        let mut closed = event(10_000);
        closed.closed = true;
        let named = patch(serde_json::json!({"name": "x"}));
        assert!(matches!(named.apply(&closed, 0), Err(EditError::Closed)));
        assert!(serde_json::from_value::<EventPatch>(serde_json::json!({"nope": 1})).is_err());
        assert!(serde_json::from_value::<EventPatch>(
            serde_json::json!({"refund_window_secs": -1})
        )
        .is_err());
    }
}
