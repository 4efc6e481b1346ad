//! An event's report: seats and takings per section, sales per minute, the funnel from
//! joining the line to buying, and the times fans spent in line and shopping. The
//! figures an operator needs to set the next sale's rate and session length.
//!
//! Where each figure comes from: sold and refunded seats (the order lines of confirmed
//! and refunded orders), takings, buyers, sales per minute and the
//! buyers' times from the database (the system of record; each order keeps the times
//! its purchase token told at confirm); held and free seats from the seat store's
//! current state; the funnel's first steps from the stores' counters (joined: the
//! accounts with a ticket; admitted: the queue's count; held: purchase tokens that held
//! at least once), each kept since the store built the event (an embedded store starts
//! empty after a restart). Nothing here runs on the fans' path: each figure is read
//! when the report is asked for.

use serde::Serialize;
use utoipa::ToSchema;
use waiting_room::seats::store::SeatState;
use waiting_room::store::StoreError;
use waiting_room::EventId;

use crate::db::{MinuteSales, OrderTimes};
use crate::events::EventError;
use crate::state::AppState;

/// Seconds in one point of [`Report::sales_per_minute`].
pub const SALES_INTERVAL_SECS: u32 = 60;

/// `GET /api/v1/admin/events/{id}/report`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Report {
    #[schema(value_type = String, format = "uuid")]
    pub event_id: EventId,
    pub name: String,
    /// When the report was made (RFC 3339).
    #[schema(format = DateTime)]
    pub generated_at: String,
    pub capacity: u64,
    pub sections: Vec<SectionReport>,
    /// Seats in confirmed orders.
    pub sold: u64,
    /// Seats of refunded orders (given back to sale).
    pub refunded: u64,
    pub held: u64,
    pub held_back: u64,
    pub free: u64,
    pub orders: u64,
    pub refunded_orders: u64,
    /// Takings net of refunds.
    pub revenue_cents: i64,
    /// Takings of every order ever confirmed, refunded ones included.
    pub gross_cents: i64,
    pub refunded_cents: i64,
    pub sales_per_minute: SalesSeries,
    pub funnel: Funnel,
    pub times: QueueTimes,
}

/// One section's seats and takings.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SectionReport {
    pub name: String,
    pub capacity: u64,
    pub price_cents: i64,
    pub sold: u64,
    pub refunded: u64,
    pub held: u64,
    pub held_back: u64,
    pub free: u64,
    /// Takings net of refunds (sold seats at the section's price).
    pub revenue_cents: i64,
    pub refunded_cents: i64,
    pub gross_cents: i64,
}

/// Sales per minute, oldest first; minutes without a sale are left out.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SalesSeries {
    pub interval_secs: u32,
    pub points: Vec<SalesPoint>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SalesPoint {
    /// The minute's start (RFC 3339).
    #[schema(format = DateTime)]
    pub at: String,
    pub at_ms: i64,
    pub orders: u64,
    pub seats: u64,
    pub gross_cents: i64,
}

/// From joining the line to buying. Each step after the first tells how many of the
/// step before did not reach it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Funnel {
    /// `joined`, `admitted`, `held`, `bought`, in that order.
    pub steps: Vec<FunnelStep>,
    /// Buyers per admitted fan (0 to 1); null before anyone is admitted.
    pub admitted_who_bought: Option<f64>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FunnelStep {
    pub step: String,
    pub fans: u64,
    /// Fans of the step before who did not reach this one (0 for the first).
    pub abandoned: u64,
    /// `abandoned` over the step before's fans (0 to 1); null for the first step or
    /// when the step before had nobody.
    pub abandoned_share: Option<f64>,
}

/// Buyers' times, in seconds; null while no order tells them.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct QueueTimes {
    /// Orders whose purchase token told the buyer's times (orders from before those
    /// were recorded do not).
    pub orders_measured: u64,
    /// From joining (or the opening, for fans who joined before it) to admission.
    pub queue_median_secs: Option<f64>,
    pub queue_p90_secs: Option<f64>,
    /// From admission to the confirmed order.
    pub purchase_median_secs: Option<f64>,
}

/// Makes the report of event `id`.
pub async fn report(state: &AppState, id: EventId) -> Result<Report, EventError> {
    let event = state.events.get(id).await?;
    let layout = event.layout();
    let sections = layout.sections();
    let mut starts = Vec::with_capacity(sections.len());
    let mut at = 0u32;
    for s in sections {
        starts.push(at);
        at += s.rows * s.seats_per_row;
    }
    let sales = state.db.sales_per_section(id, &starts).await?;
    let totals = state.db.order_totals(id).await?;
    let per_minute = state.db.sales_per_minute(id).await?;
    let times = state.db.order_times(id).await?;
    let states = match state.checkout.seats().seat_snapshot(id).await {
        Ok(s) => s.states,
        Err(StoreError::UnknownEvent) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let mut queue = match state.hub.store().stats(id).await {
        Err(StoreError::UnknownEvent) => Default::default(),
        other => other?,
    };
    // A closed sale's line may be gone from the store: its figures were saved first.
    if let Some(saved) = state.db.queue_totals(id).await? {
        queue.joined = queue.joined.max(saved.joined);
        queue.admitted_total = queue.admitted_total.max(saved.admitted);
    }
    let holders = match state.checkout.seats().holders(id).await {
        Err(StoreError::UnknownEvent) => 0,
        other => other?,
    };

    let mut rows = Vec::with_capacity(sections.len());
    for (i, s) in sections.iter().enumerate() {
        let capacity = s.rows * s.seats_per_row;
        let range = starts[i] as usize..(starts[i] + capacity) as usize;
        let (mut held, mut held_back, mut free) = (0u64, 0u64, 0u64);
        for byte in states.get(range).unwrap_or(&[]) {
            match SeatState::from_u8(*byte) {
                SeatState::Held => held += 1,
                SeatState::HeldBack => held_back += 1,
                SeatState::Free => free += 1,
                SeatState::Sold => {}
            }
        }
        let sold = sales[i];
        rows.push(SectionReport {
            name: s.name.clone(),
            capacity: u64::from(capacity),
            price_cents: s.price_cents,
            sold: sold.sold,
            refunded: sold.refunded,
            held,
            held_back,
            free,
            revenue_cents: sold.sold_cents,
            refunded_cents: sold.refunded_cents,
            gross_cents: sold.sold_cents + sold.refunded_cents,
        });
    }
    let sum = |f: fn(&SectionReport) -> u64| rows.iter().map(f).sum::<u64>();
    let steps = funnel([
        ("joined", queue.joined),
        ("admitted", queue.admitted_total),
        ("held", holders),
        ("bought", totals.buyers),
    ]);
    Ok(Report {
        event_id: id,
        name: event.name.clone(),
        generated_at: rfc3339(state.clock().now_ms()),
        capacity: event.capacity(),
        sold: sum(|s| s.sold),
        refunded: sum(|s| s.refunded),
        held: sum(|s| s.held),
        held_back: sum(|s| s.held_back),
        free: sum(|s| s.free),
        sections: rows,
        orders: totals.orders,
        refunded_orders: totals.refunded_orders,
        revenue_cents: totals.gross_cents - totals.refunded_cents,
        gross_cents: totals.gross_cents,
        refunded_cents: totals.refunded_cents,
        sales_per_minute: SalesSeries {
            interval_secs: SALES_INTERVAL_SECS,
            points: per_minute.iter().map(point).collect(),
        },
        funnel: Funnel {
            admitted_who_bought: share(totals.buyers, queue.admitted_total),
            steps,
        },
        times: queue_times(&times, event.starts_at_ms),
    })
}

fn funnel(counts: [(&str, u64); 4]) -> Vec<FunnelStep> {
    let mut before: Option<u64> = None;
    counts
        .iter()
        .map(|(step, fans)| {
            let abandoned = before.map_or(0, |b| b.saturating_sub(*fans));
            let step = FunnelStep {
                step: (*step).to_owned(),
                fans: *fans,
                abandoned,
                abandoned_share: before.and_then(|b| share(abandoned, b)),
            };
            before = Some(*fans);
            step
        })
        .collect()
}

/// `part / whole`, at most 1; `None` when `whole` is 0.
fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64).min(1.0))
}

fn point(m: &MinuteSales) -> SalesPoint {
    let at_ms = m.minute * 60_000;
    SalesPoint {
        at: rfc3339(at_ms),
        at_ms,
        orders: m.orders,
        seats: m.seats,
        gross_cents: m.gross_cents,
    }
}

/// The buyers' times: time in line counts from joining, or from the opening for fans
/// who joined before it (the pre-queue wait is the same for all and set by the
/// opening, not by the admission rate). Admission times are whole seconds (the
/// token's `iat`), so a wait under a second may read 0.
pub fn queue_times(orders: &[OrderTimes], starts_at_ms: i64) -> QueueTimes {
    let mut queue: Vec<i64> = orders
        .iter()
        .filter_map(|o| {
            let joined = o.joined_at_ms?.max(starts_at_ms);
            Some((o.admitted_at_ms - joined).max(0))
        })
        .collect();
    let mut purchase: Vec<i64> = orders
        .iter()
        .map(|o| (o.created_at_ms - o.admitted_at_ms).max(0))
        .collect();
    queue.sort_unstable();
    purchase.sort_unstable();
    QueueTimes {
        orders_measured: orders.len() as u64,
        queue_median_secs: percentile(&queue, 50),
        queue_p90_secs: percentile(&queue, 90),
        purchase_median_secs: percentile(&purchase, 50),
    }
}

/// The nearest-rank `p`th percentile of sorted milliseconds, in seconds.
fn percentile(sorted_ms: &[i64], p: usize) -> Option<f64> {
    if sorted_ms.is_empty() {
        return None;
    }
    let rank = (p * sorted_ms.len()).div_ceil(100).max(1);
    Some(sorted_ms[rank - 1] as f64 / 1000.0)
}

fn rfc3339(ms: i64) -> String {
    waiting_room::wire::datetime_ms(ms)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let ms: Vec<i64> = (1..=10).map(|s| s * 1000).collect();
        assert_eq!(percentile(&ms, 50), Some(5.0));
        assert_eq!(percentile(&ms, 90), Some(9.0));
        assert_eq!(percentile(&ms[..1], 90), Some(1.0));
        assert_eq!(percentile(&[], 50), None);
    }

    #[test]
    fn time_in_line_starts_at_the_opening_for_the_prequeue() {
        let opening = 100_000;
        let orders = [
            // Joined before the opening, admitted 10 s after it, bought 30 s later.
            OrderTimes {
                joined_at_ms: Some(50_000),
                admitted_at_ms: 110_000,
                created_at_ms: 140_000,
            },
            // Joined after the opening: 20 s in line, 60 s shopping.
            OrderTimes {
                joined_at_ms: Some(120_000),
                admitted_at_ms: 140_000,
                created_at_ms: 200_000,
            },
            // An old order: no join time, still a purchase time.
            OrderTimes {
                joined_at_ms: None,
                admitted_at_ms: 140_000,
                created_at_ms: 150_000,
            },
        ];
        let t = queue_times(&orders, opening);
        assert_eq!(t.orders_measured, 3);
        assert_eq!(
            (t.queue_median_secs, t.queue_p90_secs),
            (Some(10.0), Some(20.0))
        );
        assert_eq!(t.purchase_median_secs, Some(30.0));
    }

    #[test]
    fn the_funnel_tells_what_each_step_lost() {
        let steps = funnel([
            ("joined", 100),
            ("admitted", 40),
            ("held", 30),
            ("bought", 0),
        ]);
        let lost: Vec<_> = steps
            .iter()
            .map(|s| (s.abandoned, s.abandoned_share))
            .collect();
        assert_eq!(
            lost,
            vec![
                (0, None),
                (60, Some(0.6)),
                (10, Some(0.25)),
                (30, Some(1.0))
            ]
        );
        // Nobody at a step: no share of nobody.
        let empty = funnel([("joined", 0), ("admitted", 0), ("held", 0), ("bought", 0)]);
        assert_eq!(empty[1].abandoned_share, None);
    }
}
