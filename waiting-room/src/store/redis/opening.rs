//! The opening's draw on Redis in bounded calls (issue 19; docs/ARCHITECTURE.md, "The
//! opening's draw in batches"): `lua/open.lua` freezes the pre-queue in O(1), this
//! store reads the frozen set in pages (`lua/prequeue.lua`), computes the seed's order
//! in Rust ([`draw_order`]) and moves it in batches (`lua/draw_move.lua`), each a
//! compare-and-set on the fans moved so far. The order depends on the frozen set and
//! the seed stored at the freeze alone, so a store that takes over an interrupted
//! draw (the drawer's lease lapsed) computes the same one and continues where the
//! last batch stopped.

use std::sync::Arc;

use redis::Value;

use super::keys::EventKeys;
use super::plan::Plan;
use super::{bad, decode, get, RedisStore};
use crate::shuffle::ShuffleSeed;
use crate::store::{draw_order, Opening, StoreError};
use crate::EventId;

impl RedisStore {
    pub(super) async fn open_step_batched(
        &self,
        event: EventId,
        seed: &ShuffleSeed,
        batch: usize,
    ) -> Result<Opening, StoreError> {
        let k = self.keys(event);
        let mut inv = self.scripts.open.prepare_invoke();
        inv.key(&k.cfg)
            .key(&k.st)
            .key(&k.pre)
            .key(&k.prf)
            .key(&k.log);
        inv.key(&k.drj).key(&k.dro);
        for key in k
            .pre_groups
            .iter()
            .chain(&k.drj_groups)
            .chain(&k.dro_groups)
        {
            inv.key(key);
        }
        inv.arg(self.log_capacity)
            .arg(&*self.draw_token)
            .arg(self.draw_lease_ms)
            .arg(seed.to_hex());
        // Every group's seed (eight HMACs, only while openings remain): the script
        // picks the line that is due.
        for slot in 1..=crate::MAX_PRESALE_GROUPS {
            inv.arg(seed.for_presale(slot).to_hex());
        }
        let reply: Vec<Value> = self.run(&inv).await?;
        let [code, first, total, moved, seed, slot] = &reply[..] else {
            return Err(bad("an opening reply"));
        };
        let (first, total, moved): (u64, u64, u64) = (get(first)?, get(total)?, get(moved)?);
        let slot: u8 = get(slot)?;
        if slot > crate::MAX_PRESALE_GROUPS {
            return Err(bad(format!("an opening of line {slot}")));
        }
        let opening = match get::<i64>(code)? {
            0 => Opening::Open,
            1 => Opening::NotDue,
            3 => Opening::Opened,
            4 => Opening::Busy,
            2 => {
                let seed: String = get(seed)?;
                let seed = ShuffleSeed::from_hex(&seed).ok_or_else(|| bad("the draw's seed"))?;
                match self
                    .plan(event, &k, &seed, slot, first, total, batch)
                    .await?
                {
                    Some(plan) => self.move_batch(&k, &plan, moved, batch).await?,
                    None => Opening::Busy,
                }
            }
            other => return Err(bad(format!("opening code {other}"))),
        };
        if !matches!(opening, Opening::Drawing { .. }) {
            self.plans.lock().expect("plans lock").remove(&event);
        }
        Ok(opening)
    }

    /// The draw of line `slot`'s frozen pre-queue (`first`, `total` fans) under
    /// `seed`: this store's, or read in pages of `page` and computed; `None` if the
    /// lease was lost.
    #[allow(clippy::too_many_arguments)]
    async fn plan(
        &self,
        event: EventId,
        k: &EventKeys,
        seed: &ShuffleSeed,
        slot: u8,
        first: u64,
        total: u64,
        page: usize,
    ) -> Result<Option<Arc<Plan>>, StoreError> {
        if let Some(plan) = self.plans.lock().expect("plans lock").get(&event) {
            if plan.slot == slot && plan.first == first && plan.users.len() as u64 == total {
                return Ok(Some(plan.clone()));
            }
        }
        let mut joined = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
        while (joined.len() as u64) < total {
            let mut inv = self.scripts.prequeue.prepare_invoke();
            inv.key(&k.st).key(&k.prf).key(&k.tk).key(&k.drt);
            inv.arg(&*self.draw_token)
                .arg(self.draw_lease_ms)
                .arg(joined.len())
                .arg(page.max(1));
            let reply: Vec<Value> = self.run(&inv).await?;
            let Some(entries) = decode::prequeue(&reply)? else {
                return Ok(None);
            };
            if entries.is_empty() {
                return Err(bad(format!(
                    "the frozen pre-queue ended at {} of {total}",
                    joined.len()
                )));
            }
            joined.extend(entries);
        }
        // ~1 s of CPU a million fans: off the async workers.
        let seed = *seed;
        let (ordered, record) = tokio::task::spawn_blocking(move || draw_order(&seed, joined))
            .await
            .map_err(|e| StoreError::Backend(format!("computing the draw: {e}").into()))?;
        let plan = Arc::new(Plan {
            slot,
            first,
            users: ordered.into_iter().map(|e| e.1).collect(),
            joined: record.joined,
            order: record.order,
        });
        self.plans
            .lock()
            .expect("plans lock")
            .insert(event, plan.clone());
        Ok(Some(plan))
    }

    /// Moves the next batch of `plan` after the `moved` fans moved so far.
    async fn move_batch(
        &self,
        k: &EventKeys,
        plan: &Plan,
        moved: u64,
        batch: usize,
    ) -> Result<Opening, StoreError> {
        let total = plan.users.len() as u64;
        let from = usize::try_from(moved).map_err(|_| bad("moved"))?;
        let to = from.saturating_add(batch.max(1)).min(plan.users.len());
        if from >= to {
            return Err(bad(format!("a draw moved {moved} of {total}")));
        }
        let mut inv = self.scripts.draw_move.prepare_invoke();
        inv.key(&k.st).key(&k.q).key(&k.prf).key(&k.tk).key(&k.log);
        let (drj, dro) = k.draw_of(plan.slot);
        inv.key(drj).key(dro).key(&k.drt);
        inv.arg(self.log_capacity)
            .arg(&*self.draw_token)
            .arg(self.draw_lease_ms)
            .arg(moved)
            .arg(to - from);
        for user in &plan.users[from..to] {
            inv.arg(user.to_string());
        }
        inv.arg(&plan.joined[from..to])
            .arg(&plan.order[from..to])
            .arg(plan.slot);
        let reply: Vec<i64> = self.run(&inv).await?;
        let [code, now_moved] = reply[..] else {
            return Err(bad("a draw batch reply"));
        };
        let moved = u64::try_from(now_moved).map_err(|_| bad("moved"))?;
        Ok(match code {
            1 => Opening::Opened,
            0 | -2 => Opening::Drawing { moved, total },
            _ => Opening::Busy,
        })
    }
}
