//! The hold request's body, parsed against the seat map.

use std::collections::HashSet;

use serde::Deserialize;

use crate::event::Event;

/// `POST /events/{id}/holds`: specific seats, or `quantity` adjacent best-available
/// seats (optionally within `section`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = HoldRequest)]
#[serde(deny_unknown_fields)]
pub struct HoldBody {
    /// Seat ids (`<section>-<row>-<seat>`), distinct; the order is kept in the answer.
    #[schema(nullable = false, min_items = 1, value_type = Option<Vec<String>>)]
    pub seats: Option<Vec<String>>,
    /// How many adjacent seats in one row.
    #[schema(nullable = false, minimum = 1)]
    pub quantity: Option<u32>,
    /// Only in this section (with `quantity`).
    #[schema(nullable = false, example = "A")]
    pub section: Option<String>,
}

/// A hold request that asks for something the seat map or the token does not allow
/// (the API answers 400 with the code of each case).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadHoldRequest {
    #[error("section goes with quantity, not seats")]
    SectionWithSeats,
    #[error("seats must not be empty")]
    NoSeats,
    #[error("send either seats or quantity")]
    SeatsOrQuantity,
    #[error("{requested} seats requested; this token allows at most {max}")]
    TooManySeats { requested: usize, max: u32 },
    #[error("no such seats: {0:?}")]
    UnknownSeats(Vec<String>),
    #[error("a seat is listed twice")]
    DuplicateSeat,
    #[error("quantity must be at least 1")]
    ZeroQuantity,
    #[error("no section {0:?}")]
    UnknownSection(String),
}

/// What the request asked for, parsed against the seat map.
pub(super) enum Wanted {
    Seats(Vec<u32>),
    Best {
        quantity: u32,
        section: Option<usize>,
    },
}

impl Wanted {
    /// How many seats it asks for.
    pub(super) fn count(&self) -> u32 {
        match self {
            Self::Seats(seats) => u32::try_from(seats.len()).unwrap_or(u32::MAX),
            Self::Best { quantity, .. } => *quantity,
        }
    }
}

pub(super) fn parse_body(
    body: HoldBody,
    event: &Event,
    max_seats: u32,
) -> Result<Wanted, BadHoldRequest> {
    let layout = event.layout();
    let too_many = |requested: usize| BadHoldRequest::TooManySeats {
        requested,
        max: max_seats,
    };
    match (body.seats, body.quantity) {
        (Some(ids), None) => {
            if body.section.is_some() {
                return Err(BadHoldRequest::SectionWithSeats);
            }
            if ids.is_empty() {
                return Err(BadHoldRequest::NoSeats);
            }
            if ids.len() > max_seats as usize {
                return Err(too_many(ids.len()));
            }
            let unknown: Vec<String> = ids
                .iter()
                .filter(|id| layout.parse(id).is_none())
                .cloned()
                .collect();
            if !unknown.is_empty() {
                return Err(BadHoldRequest::UnknownSeats(unknown));
            }
            let seats: Vec<u32> = ids.iter().filter_map(|id| layout.parse(id)).collect();
            let distinct: HashSet<u32> = seats.iter().copied().collect();
            if distinct.len() != seats.len() {
                return Err(BadHoldRequest::DuplicateSeat);
            }
            Ok(Wanted::Seats(seats))
        }
        (None, Some(quantity)) => {
            if quantity == 0 {
                return Err(BadHoldRequest::ZeroQuantity);
            }
            if quantity > max_seats {
                return Err(too_many(quantity as usize));
            }
            let section = match &body.section {
                Some(name) => Some(
                    layout
                        .section(name)
                        .ok_or_else(|| BadHoldRequest::UnknownSection(name.clone()))?,
                ),
                None => None,
            };
            Ok(Wanted::Best { quantity, section })
        }
        _ => Err(BadHoldRequest::SeatsOrQuantity),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use waiting_room::{AdmissionSettings, EventId};

    use super::*;
    use crate::event::Section;

    fn event() -> Event {
        let section = |name: &str, rows, seats_per_row| Section {
            name: name.into(),
            rows,
            seats_per_row,
            price_cents: 100,
        };
        Event {
            id: EventId::new(),
            name: "fuzz".into(),
            starts_at_ms: 0,
            closed: false,
            max_seats_per_order: 4,
            hold_ttl_secs: 60,
            admission: AdmissionSettings {
                rate_per_minute: 60,
                max_active: 10,
                session_ttl_secs: 60,
                paused: false,
                mode: Default::default(),
                message: None,
                safety_net: None,
            },
            grace_secs: 30,
            sections: vec![section("A", 3, 5), section("Balcony", 2, 12)],
            show_at_ms: None,
            refund_window_secs: None,
            max_seats_per_account: None,
            shuffle_seed: None,
            pow_difficulty: 0,
            presales: Vec::new(),
        }
    }

    /// Seat ids as a fuzzer would send them: real ones, near misses and any text.
    fn seat_id() -> impl Strategy<Value = String> {
        prop_oneof![
            ("A|Balcony|B|a", 0u32..5, 0u32..14).prop_map(|(s, r, n)| format!("{s}-{r}-{n}")),
            "[AB0-9+ -]{0,8}",
            ".{0,12}",
        ]
    }

    fn body() -> impl Strategy<Value = String> {
        let seats = proptest::option::of(proptest::collection::vec(seat_id(), 0..7));
        let quantity = proptest::option::of(prop_oneof![0i64..6, any::<i64>()]);
        let section = proptest::option::of(prop_oneof![
            Just("A".to_owned()),
            Just("Balcony".to_owned()),
            ".{0,8}"
        ]);
        (seats, quantity, section).prop_map(|(seats, quantity, section)| {
            let mut body = serde_json::Map::new();
            if let Some(seats) = seats {
                body.insert("seats".into(), seats.into());
            }
            if let Some(quantity) = quantity {
                body.insert("quantity".into(), quantity.into());
            }
            if let Some(section) = section {
                body.insert("section".into(), section.into());
            }
            serde_json::Value::Object(body).to_string()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5_000))]

        /// Any hold body is a refusal or a request for at most `max_seats` distinct
        /// seats that exist, named by their one id each; nothing panics.
        #[test]
        fn any_hold_body_asks_for_real_distinct_seats_or_is_refused(json in body()) {
            let event = event();
            let layout = event.layout();
            let Ok(body) = serde_json::from_str::<HoldBody>(&json) else {
                return Ok(());
            };
            let ids = body.seats.clone();
            match parse_body(body, &event, 4) {
                Ok(Wanted::Seats(seats)) => {
                    let ids = ids.expect("seats came from ids");
                    prop_assert!(seats.len() <= 4 && !seats.is_empty());
                    let distinct: HashSet<u32> = seats.iter().copied().collect();
                    prop_assert_eq!(distinct.len(), seats.len());
                    for (seat, id) in seats.iter().zip(&ids) {
                        prop_assert!(*seat < layout.capacity());
                        prop_assert_eq!(&layout.name(*seat), id);
                    }
                }
                Ok(Wanted::Best { quantity, section }) => {
                    prop_assert!((1..=4).contains(&quantity));
                    prop_assert!(section.is_none_or(|s| s < layout.sections().len()));
                }
                Err(refusal) => prop_assert!(!refusal.to_string().is_empty()),
            }
        }
    }
}
