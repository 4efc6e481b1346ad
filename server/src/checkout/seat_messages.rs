//! The seat map and the seat stream's messages as types. [`super::render`] writes them
//! by hand into one string (a big venue's snapshot has no intermediate map); these
//! types are what that text is, for the OpenAPI document, and its tests parse the
//! rendered text back into them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use waiting_room::seats::SeatLayout;

/// A seat id, `<section>-<row>-<seat>`, rows and seats counted from 1.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(
    pattern = "^[A-Za-z0-9]{1,16}-[1-9][0-9]*-[1-9][0-9]*$",
    example = "A-1-5"
)]
#[serde(transparent)]
pub struct SeatId(pub String);

/// A seat's state as fans see it: a seat held back from sale reads `sold`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = SeatState)]
#[serde(rename_all = "snake_case")]
pub enum FanSeatState {
    Free,
    Held,
    Sold,
}

/// Every seat of the event by id (`GET …/seats`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeatMap {
    /// Seat id → state, for every seat.
    #[schema(example = json!({"A-1-1": "free", "A-1-2": "held", "A-1-3": "sold"}))]
    pub seats: BTreeMap<String, FanSeatState>,
}

/// `GET …/seats`: every seat by id, or with `?format=compact` one character each.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum SeatMapAnswer {
    Full(SeatMap),
    Compact(CompactSeatMap),
}

/// Every seat's state, one character per seat index (`GET …/seats?format=compact`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompactSeatMap {
    #[schema(inline)]
    pub format: CompactFormat,
    /// The seat map's shape, sections in order.
    #[schema(inline)]
    pub sections: Vec<SectionShape>,
    /// `f` free, `h` held, `s` sold or held back; one character per seat.
    #[schema(pattern = "^[fhs]*$", example = "fhs")]
    pub states: String,
}

/// `compact`.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CompactFormat {
    Compact,
}

/// A section's shape in a compact seat map.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SectionShape {
    #[schema(example = "A")]
    pub name: String,
    #[schema(minimum = 1)]
    pub rows: u32,
    #[schema(minimum = 1)]
    pub seats_per_row: u32,
}

impl SectionShape {
    /// The shapes of `layout`'s sections, in order.
    pub fn of(layout: &SeatLayout) -> Vec<Self> {
        layout
            .sections()
            .iter()
            .map(|s| Self {
                name: s.name.clone(),
                rows: s.rows,
                seats_per_row: s.seats_per_row,
            })
            .collect()
    }
}

/// Server → client on the seat stream, a JSON text frame: a snapshot (full or
/// compact), then deltas; `closed` last if the sale closes.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum SeatStreamMessage {
    Snapshot(SeatSnapshotMessage),
    CompactSnapshot(CompactSeatSnapshotMessage),
    Delta(SeatDeltaMessage),
    Closed(ClosedMessage),
}

/// The sale is closed: the stream's last message (the queue socket's too).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosedMessage {
    #[serde(rename = "type")]
    #[schema(inline)]
    pub kind: ClosedType,
}

/// `closed`.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ClosedType {
    Closed,
}

/// Every seat by id: the stream's first message (default format).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeatSnapshotMessage {
    #[serde(rename = "type")]
    #[schema(inline)]
    pub kind: SnapshotType,
    /// Seat id → state, for every seat.
    pub seats: BTreeMap<String, FanSeatState>,
}

/// Every seat, one character each (as `CompactSeatMap`): the first message with
/// `?format=compact`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompactSeatSnapshotMessage {
    #[serde(rename = "type")]
    #[schema(inline)]
    pub kind: SnapshotType,
    #[schema(inline)]
    pub format: CompactFormat,
    /// The seat map's shape, sections in order.
    #[schema(inline)]
    pub sections: Vec<SectionShape>,
    /// `f` free, `h` held, `s` sold; one character per seat.
    #[schema(pattern = "^[fhs]*$", example = "fhs")]
    pub states: String,
}

/// `snapshot`.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SnapshotType {
    Snapshot,
}

/// The seats that changed since the previous delta, with their new states.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeatDeltaMessage {
    #[serde(rename = "type")]
    #[schema(inline)]
    pub kind: DeltaType,
    #[schema(inline, min_items = 1)]
    pub changes: Vec<SeatChange>,
}

/// `delta`.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeltaType {
    Delta,
}

/// One seat's new state.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeatChange {
    pub seat: SeatId,
    pub state: FanSeatState,
}
