//! Events and their sections.

use std::collections::HashMap;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use waiting_room::shuffle::ShuffleSeed;
use waiting_room::{AdmissionMode, AdmissionSettings, EventId, SafetyNet};

use super::audit::{insert_audit, NewAudit};
use super::records::{int, net_arrivals, net_shoppers, opt_int};
use super::Db;
use crate::event::{Event, Presale, Section};
use crate::metrics::DbOp;

/// The stored event (an alias: events have no storage-only fields).
pub type EventRow = Event;

const EVENT_COLUMNS: &str = "id, name, starts_at_ms, closed, max_seats_per_order, hold_ttl_secs, \
     rate_per_minute, max_active, session_ttl_secs, paused, grace_secs, show_at_ms, \
     refund_window_secs, max_seats_per_account, shuffle_seed, pow_difficulty, admission_mode, \
     admission_message, safety_net_max_shoppers, safety_net_max_arrivals";

impl Db {
    /// Stores an event, its sections and every seat, with its audit entry if given.
    ///
    /// The seat rows are written in bounded transactions ([`super::seat_rows`]) so a
    /// big venue never holds SQLite's single write lock for long: confirms and
    /// registrations get in between. Until the last transaction commits, the event is
    /// `preparing` and no reader sees it (not listed, 404 by id, no rooms). If writing
    /// fails, the partial event is removed (best effort; a leftover stays invisible).
    pub async fn insert_event(
        &self,
        e: &Event,
        now_ms: i64,
        audit: Option<&NewAudit<'_>>,
    ) -> Result<(), sqlx::Error> {
        self.timed(DbOp::InsertEvent, async {
            let mut tx = self.pool().begin().await?;
            sqlx::query(&format!(
                "INSERT INTO events ({EVENT_COLUMNS}, created_at_ms, preparing) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, 1)"
            ))
            .bind(e.id.to_string())
            .bind(&e.name)
            .bind(e.starts_at_ms)
            .bind(i64::from(e.closed))
            .bind(i64::from(e.max_seats_per_order))
            .bind(i64::from(e.hold_ttl_secs))
            .bind(i64::from(e.admission.rate_per_minute))
            .bind(i64::from(e.admission.max_active))
            .bind(i64::from(e.admission.session_ttl_secs))
            .bind(i64::from(e.admission.paused))
            .bind(i64::from(e.grace_secs))
            .bind(e.show_at_ms)
            .bind(e.refund_window_secs.map(i64::from))
            .bind(e.max_seats_per_account.map(i64::from))
            .bind(e.shuffle_seed.map(|s| s.to_hex()))
            .bind(i64::from(e.pow_difficulty))
            .bind(e.admission.mode.as_str())
            .bind(e.admission.message.clone())
            .bind(net_shoppers(&e.admission))
            .bind(net_arrivals(&e.admission))
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
            super::seat_rows::insert_sections(&mut tx, e).await?;
            tx.commit().await?;
            let written = self.write_seat_rows(e).await;
            let ready = match written {
                Ok(()) => self.finish_event(e, audit).await,
                Err(error) => Err(error),
            };
            if let Err(error) = ready {
                if let Err(cleanup) = self.remove_unfinished_event(e).await {
                    tracing::warn!(error = %cleanup, event_id = %e.id, "removing a half-written event failed; it stays invisible");
                }
                return Err(error);
            }
            Ok(())
        })
        .await
    }

    /// Makes a `preparing` event visible, with its audit entry, in one transaction.
    async fn finish_event(
        &self,
        e: &Event,
        audit: Option<&NewAudit<'_>>,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("UPDATE events SET preparing = 0 WHERE id = $1")
            .bind(e.id.to_string())
            .execute(&mut *tx)
            .await?;
        if let Some(entry) = audit {
            insert_audit(&mut tx, entry).await?;
        }
        tx.commit().await
    }

    /// Deletes an event that has no orders: its sections, seats and audit entries go
    /// with it (`ON DELETE CASCADE`). For undoing a creation the stores refused.
    pub async fn delete_event(&self, id: EventId) -> Result<(), sqlx::Error> {
        self.timed(DbOp::DeleteEvent, async {
            sqlx::query("DELETE FROM events WHERE id = $1")
                .bind(id.to_string())
                .execute(self.pool())
                .await?;
            Ok(())
        })
        .await
    }

    /// Every event, soonest first.
    pub async fn events(&self) -> Result<Vec<Event>, sqlx::Error> {
        self.listed_events("", Sections::All).await
    }

    /// Every event not closed, soonest first: what the rooms follow. Closed sales
    /// cost the periodic refresh nothing, however many there are.
    pub async fn open_events(&self) -> Result<Vec<Event>, sqlx::Error> {
        self.listed_events(" AND closed = 0", Sections::Open).await
    }

    /// The events created in full that match `filter` (SQL appended to the WHERE),
    /// soonest first, each with its `sections` (read for the same events).
    async fn listed_events(
        &self,
        filter: &str,
        sections: Sections,
    ) -> Result<Vec<Event>, sqlx::Error> {
        self.timed(DbOp::Events, async {
            let rows = sqlx::query(&format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE preparing = 0{filter} \
                 ORDER BY starts_at_ms, id"
            ))
            .fetch_all(self.pool())
            .await?;
            let mut presales = self.presales(&sections).await?;
            let mut sections = self.sections(sections).await?;
            rows.iter()
                .map(|r| {
                    let mut e = event_from_row(r)?;
                    e.sections = sections.remove(&e.id).unwrap_or_default();
                    e.presales = presales.remove(&e.id).unwrap_or_default();
                    Ok(e)
                })
                .collect()
        })
        .await
    }

    pub async fn event(&self, id: EventId) -> Result<Option<Event>, sqlx::Error> {
        self.timed(DbOp::Event, async {
            let row = sqlx::query(&format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE id = $1 AND preparing = 0"
            ))
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?;
            let Some(row) = row else { return Ok(None) };
            let mut e = event_from_row(&row)?;
            e.presales = self
                .presales(&Sections::Of(id))
                .await?
                .remove(&id)
                .unwrap_or_default();
            e.sections = self
                .sections(Sections::Of(id))
                .await?
                .remove(&id)
                .unwrap_or_default();
            Ok(Some(e))
        })
        .await
    }

    /// The event, sections included, as `conn` (a transaction) sees it.
    pub(super) async fn event_in(
        &self,
        conn: &mut AnyConnection,
        id: EventId,
    ) -> Result<Option<Event>, sqlx::Error> {
        let row = sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE id = $1 AND preparing = 0"
        ))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut event = event_from_row(&row)?;
        let rows = sqlx::query(
            "SELECT name, rows_count, seats_per_row, price_cents FROM event_sections \
             WHERE event_id = $1 ORDER BY position",
        )
        .bind(id.to_string())
        .fetch_all(&mut *conn)
        .await?;
        for r in rows {
            event.sections.push(Section {
                name: r.try_get("name")?,
                rows: int(&r, "rows_count")?,
                seats_per_row: int(&r, "seats_per_row")?,
                price_cents: r.try_get("price_cents")?,
            });
        }
        event.presales = presales_in(&mut *conn, id).await?;
        Ok(Some(event))
    }

    /// The event's admission settings as `conn` (a transaction) sees them.
    pub(super) async fn admission_in(
        &self,
        conn: &mut AnyConnection,
        id: EventId,
    ) -> Result<AdmissionSettings, sqlx::Error> {
        let row = sqlx::query(&format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = $1"))
            .bind(id.to_string())
            .fetch_one(conn)
            .await?;
        Ok(event_from_row(&row)?.admission)
    }

    async fn sections(
        &self,
        which: Sections,
    ) -> Result<HashMap<EventId, Vec<Section>>, sqlx::Error> {
        let sql =
            "SELECT event_id, name, rows_count, seats_per_row, price_cents FROM event_sections";
        let rows = match which {
            Sections::Of(id) => {
                sqlx::query(&format!("{sql} WHERE event_id = $1 ORDER BY position"))
                    .bind(id.to_string())
                    .fetch_all(self.pool())
                    .await?
            }
            Sections::All => {
                sqlx::query(&format!("{sql} ORDER BY event_id, position"))
                    .fetch_all(self.pool())
                    .await?
            }
            Sections::Open => {
                sqlx::query(&format!(
                    "{sql} WHERE event_id IN (SELECT id FROM events WHERE closed = 0) \
                     ORDER BY event_id, position"
                ))
                .fetch_all(self.pool())
                .await?
            }
        };
        let mut out: HashMap<EventId, Vec<Section>> = HashMap::new();
        for r in rows {
            let id = parse_id(&r, "event_id")?;
            out.entry(id).or_default().push(Section {
                name: r.try_get("name")?,
                rows: int(&r, "rows_count")?,
                seats_per_row: int(&r, "seats_per_row")?,
                price_cents: r.try_get("price_cents")?,
            });
        }
        Ok(out)
    }
}

/// Whose sections (or presale groups) to read.
pub(super) enum Sections {
    Of(EventId),
    All,
    /// Of the events not closed.
    Open,
}

fn event_from_row(r: &AnyRow) -> Result<Event, sqlx::Error> {
    Ok(Event {
        id: parse_id(r, "id")?,
        name: r.try_get("name")?,
        starts_at_ms: r.try_get("starts_at_ms")?,
        closed: r.try_get::<i64, _>("closed")? != 0,
        max_seats_per_order: int(r, "max_seats_per_order")?,
        hold_ttl_secs: int(r, "hold_ttl_secs")?,
        admission: AdmissionSettings {
            rate_per_minute: int(r, "rate_per_minute")?,
            max_active: int(r, "max_active")?,
            session_ttl_secs: int(r, "session_ttl_secs")?,
            paused: r.try_get::<i64, _>("paused")? != 0,
            mode: admission_mode(r)?,
            message: r.try_get("admission_message")?,
            safety_net: match (
                opt_int(r, "safety_net_max_shoppers")?,
                opt_int(r, "safety_net_max_arrivals")?,
            ) {
                (Some(max_shoppers), Some(max_arrivals_per_minute)) => Some(SafetyNet {
                    max_shoppers,
                    max_arrivals_per_minute,
                }),
                _ => None,
            },
        },
        grace_secs: int(r, "grace_secs")?,
        sections: Vec::new(),
        show_at_ms: r.try_get("show_at_ms")?,
        refund_window_secs: opt_int(r, "refund_window_secs")?,
        max_seats_per_account: opt_int(r, "max_seats_per_account")?,
        shuffle_seed: shuffle_seed(r)?,
        pow_difficulty: u8::try_from(int(r, "pow_difficulty")?)
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        presales: Vec::new(),
    })
}

/// The stored admission mode (`queue` for events from before modes, by default).
fn admission_mode(r: &AnyRow) -> Result<AdmissionMode, sqlx::Error> {
    let text: String = r.try_get("admission_mode")?;
    AdmissionMode::parse(&text)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown admission mode {text:?}").into()))
}

/// The stored seed (64 hex digits), `None` when NULL.
fn shuffle_seed(r: &AnyRow) -> Result<Option<ShuffleSeed>, sqlx::Error> {
    let Some(hex) = r.try_get::<Option<String>, _>("shuffle_seed")? else {
        return Ok(None);
    };
    ShuffleSeed::from_hex(&hex)
        .map(Some)
        .ok_or_else(|| sqlx::Error::Decode("a shuffle_seed that is not 64 hex digits".into()))
}

/// An event id from `column` of a row.
pub(super) fn parse_id(r: &AnyRow, column: &str) -> Result<EventId, sqlx::Error> {
    let s: String = r.try_get(column)?;
    s.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

// Presale groups, read with their events (docs/ARCHITECTURE.md "Presale codes").

pub(super) fn presale_from_row(r: &AnyRow) -> Result<Presale, sqlx::Error> {
    let slot: i64 = r.try_get("slot")?;
    Ok(Presale {
        id: r.try_get("id")?,
        slot: u8::try_from(slot).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        name: r.try_get("name")?,
        opens_at_ms: r.try_get("opens_at_ms")?,
    })
}

pub(super) const GROUP_COLUMNS: &str = "id, event_id, slot, name, opens_at_ms";

/// The event's groups as `conn` (a transaction) sees them, by opening.
pub(super) async fn presales_in(
    conn: &mut AnyConnection,
    event: EventId,
) -> Result<Vec<Presale>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {GROUP_COLUMNS} FROM presale_groups WHERE event_id = $1 \
         ORDER BY opens_at_ms, slot"
    ))
    .bind(event.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter().map(presale_from_row).collect()
}

impl Db {
    /// The groups of the events `which` names, by opening (read with the events).
    pub(super) async fn presales(
        &self,
        which: &Sections,
    ) -> Result<HashMap<EventId, Vec<Presale>>, sqlx::Error> {
        let sql = format!("SELECT {GROUP_COLUMNS} FROM presale_groups");
        let order = "ORDER BY event_id, opens_at_ms, slot";
        let rows = match which {
            Sections::Of(id) => {
                sqlx::query(&format!("{sql} WHERE event_id = $1 {order}"))
                    .bind(id.to_string())
                    .fetch_all(self.pool())
                    .await?
            }
            Sections::All => {
                sqlx::query(&format!("{sql} {order}"))
                    .fetch_all(self.pool())
                    .await?
            }
            Sections::Open => {
                sqlx::query(&format!(
                    "{sql} WHERE event_id IN (SELECT id FROM events WHERE closed = 0) {order}"
                ))
                .fetch_all(self.pool())
                .await?
            }
        };
        let mut out: HashMap<EventId, Vec<Presale>> = HashMap::new();
        for r in rows {
            out.entry(parse_id(&r, "event_id")?)
                .or_default()
                .push(presale_from_row(&r)?);
        }
        Ok(out)
    }
}
