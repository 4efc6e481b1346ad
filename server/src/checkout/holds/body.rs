//! The hold request's body, parsed against the seat map.

use std::collections::HashSet;

use serde::Deserialize;

use crate::event::Event;

/// `POST /events/{id}/holds`: specific seats, or `quantity` adjacent best-available
/// seats (optionally within `section`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldBody {
    pub seats: Option<Vec<String>>,
    pub quantity: Option<u32>,
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
