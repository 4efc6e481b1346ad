//! The opening's draw: the pre-queue put in the order of the seed, and the record of
//! both orders that [`super::QueueStore::draw`] pages through.

use super::error::StoreError;
use crate::shuffle::ShuffleSeed;
use crate::UserId;

/// One page of an opening's draw record
/// ([`QueueStore::draw`](super::QueueStore::draw)).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DrawPage {
    /// Tickets the pre-queue held at the opening (the whole record's length).
    pub total: u64,
    /// Pseudonyms in the order the pre-queue held them (join order), this page.
    pub joined: Vec<String>,
    /// Pseudonyms in the order the draw gave them (admission order), this page.
    pub order: Vec<String>,
}

/// The pre-queue in draw order: its `(pseudonym, user)` entries, given in join
/// order, sorted by [`crate::shuffle::shuffled`]; with the draw's record.
pub(crate) fn draw_order(
    seed: &ShuffleSeed,
    joined: Vec<(String, UserId)>,
) -> (Vec<(String, UserId)>, DrawRecord) {
    let joined_names: Vec<String> = joined.iter().map(|e| e.0.clone()).collect();
    let ordered = crate::shuffle::shuffled(seed, joined);
    let order = ordered.iter().map(|e| e.0.clone()).collect();
    (
        ordered,
        DrawRecord {
            joined: joined_names,
            order,
        },
    )
}

/// The whole draw record: pseudonyms in join order and in draw order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct DrawRecord {
    pub joined: Vec<String>,
    pub order: Vec<String>,
}

impl DrawRecord {
    pub(crate) fn page(&self, offset: u64, limit: u64) -> DrawPage {
        let from = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.joined.len());
        let to = from
            .saturating_add(usize::try_from(limit).unwrap_or(usize::MAX))
            .min(self.joined.len());
        DrawPage {
            total: self.joined.len() as u64,
            joined: self.joined[from..to].to_vec(),
            order: self.order[from..to].to_vec(),
        }
    }
}

/// Fans one batch of the opening's draw moves at most ([`super::QueueStore::open_step`]):
/// on Redis ~9 µs a fan, so ~90 ms a call.
pub const DRAW_BATCH: usize = 10_000;

/// Where an opening stands after one [`super::QueueStore::open_step`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opening {
    /// The next line's opening is not due yet (earlier lines may be open).
    NotDue,
    /// Every line opened already before this call.
    Open,
    /// The draw runs: `moved` of its `total` fans have their places.
    Drawing { moved: u64, total: u64 },
    /// Another caller draws (its lease runs): this call did nothing.
    Busy,
    /// This call completed one line's opening (more may follow: step again).
    Opened,
}

/// [`super::QueueStore::open`]: `step` (an `open_step`) until every due opening is
/// done (each line's draw, in time order) or another caller draws; whether this
/// caller completed an opening.
pub(crate) async fn open_in_steps<F, Fut>(mut step: F) -> Result<bool, StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Opening, StoreError>>,
{
    let mut opened = false;
    loop {
        match step().await? {
            Opening::Drawing { .. } => {}
            Opening::Opened => opened = true,
            Opening::NotDue | Opening::Open | Opening::Busy => return Ok(opened),
        }
    }
}
