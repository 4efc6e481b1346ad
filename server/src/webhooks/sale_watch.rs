//! Sale facts without a request of their own (the opening comes with the clock, sold
//! out with the last seat, a pause with an admin's change on any replica): the event
//! poller hands each open sale's states here every few seconds; a change from the
//! states last told is written, with its deliveries, in one conditional transaction,
//! so that of the replicas that saw it exactly one tells it. Nothing is read or
//! written while no endpoint listens to a sale type.

use serde_json::json;
use waiting_room::{AdmissionSettings, EventId};

use super::{rfc3339, EventType, Webhooks};
use crate::db::{NewDelivery, SaleState};

/// Whether an admission change switched the mode or its message (what
/// `sale.mode_changed` tells).
pub fn mode_changed(before: &AdmissionSettings, after: &AdmissionSettings) -> bool {
    (before.mode, &before.message) != (after.mode, &after.message)
}

/// One sale as the poller sees it now.
#[derive(Clone, Debug)]
pub struct SaleNow {
    pub event: EventId,
    pub name: String,
    pub starts_at_ms: i64,
    pub state: SaleState,
}

impl Webhooks {
    /// The outbox rows telling `sale.mode_changed` when an admission change switched
    /// the mode or its message (`before` and `after` as the database applies them,
    /// under the event's row lock); none otherwise. The change writes them in its own
    /// transaction, so a crash cannot keep the change and lose its telling; after the
    /// commit, [`Webhooks::written`] wakes the worker.
    pub fn mode_change_rows(
        &self,
        event: EventId,
        before: &AdmissionSettings,
        after: &AdmissionSettings,
    ) -> Vec<NewDelivery> {
        if !mode_changed(before, after) {
            return Vec::new();
        }
        self.prepare(EventType::SaleModeChanged, || {
            json!({
                "event_id": event.to_string(),
                "mode": after.mode,
                "previous_mode": before.mode,
                "message": after.message,
            })
        })
    }

    /// Whether the poller need look at sales at all.
    pub fn watches_sales(&self) -> bool {
        [
            EventType::SaleOpened,
            EventType::SaleSoldOut,
            EventType::SalePaused,
            EventType::SaleResumed,
        ]
        .into_iter()
        .any(|t| self.wanted(t))
    }

    /// Compares `sale` with what was last told and tells the changes.
    pub async fn observe_sale(&self, sale: &SaleNow) -> Result<(), sqlx::Error> {
        let db = self.db();
        let Some(told) = db.webhook_sale_state(sale.event).await? else {
            // First look: the states now are the baseline (nothing changed yet).
            return db.init_webhook_sale_state(sale.event, sale.state).await;
        };
        let now = sale.state;
        if told == now {
            return Ok(());
        }
        let mut rows = Vec::new();
        let data = || {
            json!({
                "event_id": sale.event.to_string(),
                "name": sale.name,
                "starts_at": rfc3339(sale.starts_at_ms),
            })
        };
        if now.opened && !told.opened {
            rows.extend(self.prepare(EventType::SaleOpened, data));
        }
        if now.sold_out && !told.sold_out {
            rows.extend(self.prepare(EventType::SaleSoldOut, data));
        }
        if now.paused != told.paused {
            let kind = if now.paused {
                EventType::SalePaused
            } else {
                EventType::SaleResumed
            };
            rows.extend(self.prepare(kind, data));
        }
        if db
            .change_webhook_sale_state(sale.event, told, now, &rows)
            .await?
            && !rows.is_empty()
        {
            self.written();
        }
        Ok(())
    }
}
