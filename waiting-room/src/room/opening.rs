//! The room's part in the opening's draw (issue 19): once the opening is due, each
//! admission step advances the draw by at most [`BATCHES_PER_STEP`] store calls of
//! [`DRAW_BATCH`] fans ([`crate::store::QueueStore::open_step`]), so the room keeps reading its log,
//! pushing positions and renewing its lease between them. Only one replica draws at a
//! time (the store's lease): the others' steps find it busy and go on; one of them
//! takes over if the drawer stops.

use super::Room;
use crate::shuffle::ShuffleSeed;
use crate::store::{Opening, StoreError, DRAW_BATCH};

/// Draw calls one admission step makes at most: ~40,000 fans, well under a second of
/// Redis work.
pub const BATCHES_PER_STEP: usize = 4;

/// What one step's part of the opening did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Advanced {
    /// It wrote to the change log (froze, moved fans or opened the sale).
    pub wrote: bool,
    /// The draw goes on: the next step should come on cadence, not after an idle wait.
    pub drawing: bool,
}

impl Room {
    /// Advances the due openings (presale groups' lines, then the public one, in time
    /// order) by at most [`BATCHES_PER_STEP`] calls.
    pub(super) async fn advance_opening(&self) -> Result<Advanced, StoreError> {
        let seed = self.shuffle_seed.unwrap_or_else(ShuffleSeed::random);
        let mut advanced = Advanced::default();
        for _ in 0..BATCHES_PER_STEP {
            match self.store.open_step(self.event, &seed, DRAW_BATCH).await? {
                Opening::Drawing { moved, total } => {
                    tracing::debug!(event = %self.event, moved, total, "drawing the pre-queue");
                    advanced = Advanced {
                        wrote: true,
                        drawing: true,
                    };
                }
                // One line opened; the next may be due too (presale groups): go on.
                Opening::Opened => {
                    tracing::info!(event = %self.event, "a line opened; its pre-queue drawn");
                    advanced = Advanced {
                        wrote: true,
                        drawing: false,
                    };
                }
                // Another replica draws: look again at the next step.
                Opening::Busy => {
                    advanced.drawing = true;
                    break;
                }
                Opening::NotDue => {
                    let now_ms = self.clock.now_ms();
                    self.lock().opening_not_due(now_ms);
                    break;
                }
                Opening::Open => {
                    let mut st = self.lock();
                    st.openings_done = true;
                    st.lines_open = u16::MAX; // every line (a reload does not say which)
                    break;
                }
            }
        }
        Ok(advanced)
    }
}
