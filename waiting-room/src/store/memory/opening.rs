//! The opening's draw in the embedded store, in the same steps as on Redis
//! (`lua/open.lua`, `lua/draw_move.lua`): a freeze that gives the pre-queue its
//! sequence numbers at once ([`Change::Frozen`]), then batches in draw order, a fan who
//! left meanwhile leaving a gap ([`Change::Left`]), and the sale open with the last
//! batch ([`Change::Opened`]). One process, so no lease: a step is never busy. With
//! presale groups each line opens in turn, in time order, one draw at a time.

use super::queue::{EventQueue, MemoryDraw, Place};
use crate::shuffle::{pseudonym, ShuffleSeed};
use crate::store::{draw_order, Change, Opening};
use crate::UserId;

impl EventQueue {
    /// One step of the opening at `now`: the next line's freeze when due (lines in
    /// time order, `QueueConfig::openings`), then one batch of at most `batch` fans.
    pub(super) fn open_step(&mut self, seed: &ShuffleSeed, batch: usize, now: i64) -> Opening {
        if self.drawing.is_none() {
            let next = self
                .config
                .openings()
                .into_iter()
                .find(|&(slot, _)| !self.line_open(slot));
            let Some((slot, at)) = next else {
                return Opening::Open;
            };
            if now < at {
                return Opening::NotDue;
            }
            let seed = if slot == 0 {
                *seed
            } else {
                seed.for_presale(slot)
            };
            self.freeze(slot, &seed);
        }
        if self.drawing.is_none() {
            return Opening::Opened; // an empty pre-queue opens at the freeze
        }
        self.move_batch(batch.max(1))
    }

    /// Line `slot`'s opening is complete: admission runs from now on.
    fn line_opened(&mut self, slot: u8, first: u64, record: crate::store::DrawRecord) {
        self.lines_open |= 1 << slot;
        self.opened = true;
        self.draws.insert(slot, record);
        self.append(Change::Opened {
            first,
            count: 0,
            slot,
        });
    }

    fn freeze(&mut self, slot: u8, seed: &ShuffleSeed) {
        let first = self.next_seq;
        let joined: Vec<(String, UserId)> = std::mem::take(&mut self.prequeues[usize::from(slot)])
            .into_values()
            .map(|user| {
                let ticket = self.tickets.get(&user).map(|t| pseudonym(&t.id));
                (ticket.unwrap_or_default(), user)
            })
            .collect();
        let (ordered, record) = draw_order(seed, joined);
        let count = ordered.len() as u64;
        if count == 0 {
            self.line_opened(slot, first, record);
            return;
        }
        self.next_seq += count;
        self.view.insert_range(first, count);
        self.append(Change::Frozen { first, count, slot });
        self.drawing = Some(MemoryDraw {
            slot,
            first,
            moved: 0,
            users: ordered.into_iter().map(|e| e.1).collect(),
            record,
        });
    }

    fn move_batch(&mut self, batch: usize) -> Opening {
        let Some(draw) = self.drawing.as_mut() else {
            return Opening::Open;
        };
        let (from, slot) = (draw.moved as usize, draw.slot);
        let to = (from + batch).min(draw.users.len());
        let mut gaps = Vec::new();
        for (i, user) in draw.users[from..to].iter().enumerate() {
            let seq = draw.first + (from + i) as u64;
            match self.tickets.get_mut(user) {
                // Still the frozen ticket: a new one after a leave is queued already
                // (its line draws) or pre-queued in another line.
                Some(t) if matches!(t.place, Place::Prequeue { slot: s, .. } if s == slot) => {
                    t.place = Place::Queued(seq);
                    self.queue.insert(seq, *user);
                }
                _ => {
                    self.view.remove(seq);
                    gaps.push(seq);
                }
            }
        }
        draw.moved = to as u64;
        let (moved, total, first) = (draw.moved, draw.users.len() as u64, draw.first);
        if !gaps.is_empty() {
            self.append(Change::Left { seqs: gaps });
        }
        if moved < total {
            return Opening::Drawing { moved, total };
        }
        let done = self.drawing.take().expect("drawing above");
        self.line_opened(slot, first, done.record);
        Opening::Opened
    }

    /// Waiting sequence numbers above `after`, ascending: the queue's, and during a draw
    /// the places not moved yet (the queue holds none of those).
    pub(super) fn waiting_seqs(&self, after: u64) -> impl Iterator<Item = u64> + '_ {
        let unmoved = self.drawing.as_ref().map_or(0..0, MemoryDraw::unmoved);
        let from = after.saturating_add(1);
        let below = self
            .queue
            .range(from..unmoved.start.max(from))
            .map(|(s, _)| *s);
        let range = unmoved.start.max(from)..unmoved.end.max(from);
        let above = self.queue.range(unmoved.end.max(from)..).map(|(s, _)| *s);
        below.chain(range).chain(above)
    }
}
