//! The CSV export of an event's orders, streamed: a task reads the database's rows as
//! they arrive ([`crate::db::Db::export_rows`]), folds each order's seats into one CSV
//! record (the `csv` crate does the quoting) and hands the body chunks of about
//! [`CHUNK_BYTES`] to the response through a channel of [`CHUNKS_IN_FLIGHT`]. A slow
//! client slows the read; at most those chunks and one order are in memory, however
//! many orders there are. A client that goes away closes the channel and the read stops.

use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::mpsc;
use waiting_room::seats::SeatLayout;
use waiting_room::EventId;

use crate::db::{Db, ExportRow};

/// The columns, in order.
pub const HEADER: [&str; 12] = [
    "order_id",
    "created_at",
    "email",
    "seats",
    "seat_count",
    "amount_cents",
    "amount",
    "status",
    "refunded_at",
    "refunded_by",
    "refund_reason",
    "refunded_cents",
];

/// A body chunk is sent once it holds this many bytes.
pub const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks waiting for the client.
pub const CHUNKS_IN_FLIGHT: usize = 4;

/// Starts exporting the event's orders; the receiver yields the CSV body's chunks
/// (an error ends the body early: the log says why, the client sees a cut download).
pub fn orders_csv(
    db: Db,
    event: EventId,
    layout: SeatLayout,
) -> mpsc::Receiver<Result<Bytes, std::io::Error>> {
    let (tx, rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
    tokio::spawn(async move {
        if let Err(error) = write(&db, event, &layout, &tx).await {
            tracing::error!(%error, event_id = %event, "the order export failed");
            let _ = tx
                .send(Err(std::io::Error::other("the export failed")))
                .await;
        }
    });
    rx
}

/// Why the export stopped early.
#[derive(Debug, thiserror::Error)]
enum ExportError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
    #[error("the client went away")]
    Gone,
}

async fn write(
    db: &Db,
    event: EventId,
    layout: &SeatLayout,
    tx: &mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> Result<(), ExportError> {
    let mut out = writer();
    out.write_record(HEADER)?;
    let mut rows = db.export_rows(event);
    let mut order: Option<(ExportRow, Vec<u32>)> = None;
    let mut orders = 0u64;
    while let Some(row) = rows.next().await {
        let row = row?;
        match &mut order {
            Some((first, seats)) if first.order_id == row.order_id => {
                seats.push(row.seat_index);
                continue;
            }
            _ => {}
        }
        let seat = row.seat_index;
        if let Some((done, seats)) = order.replace((row, vec![seat])) {
            record(&mut out, layout, &done, &seats)?;
            orders += 1;
        }
        if out.get_ref().len() >= CHUNK_BYTES {
            send(&mut out, tx).await?;
        }
    }
    if let Some((done, seats)) = order {
        record(&mut out, layout, &done, &seats)?;
        orders += 1;
    }
    send(&mut out, tx).await?;
    tracing::info!(event_id = %event, orders, "orders exported");
    Ok(())
}

async fn send(
    out: &mut csv::Writer<Vec<u8>>,
    tx: &mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> Result<(), ExportError> {
    let full = std::mem::replace(out, writer());
    let chunk = full
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    tx.send(Ok(Bytes::from(chunk)))
        .await
        .map_err(|_| ExportError::Gone)
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::Writer::from_writer(Vec::with_capacity(CHUNK_BYTES + CHUNK_BYTES / 4))
}

fn record(
    out: &mut csv::Writer<Vec<u8>>,
    layout: &SeatLayout,
    row: &ExportRow,
    seats: &[u32],
) -> Result<(), csv::Error> {
    let names: Vec<String> = seats.iter().map(|s| layout.name(*s)).collect();
    out.write_record([
        row.order_id.as_str(),
        &rfc3339(row.created_at_ms),
        &spreadsheet_safe(&row.email),
        &names.join(" "),
        &seats.len().to_string(),
        &row.total_cents.to_string(),
        &amount(row.total_cents),
        &row.status,
        &row.refunded_at_ms.map(rfc3339).unwrap_or_default(),
        &spreadsheet_safe(row.refunded_by.as_deref().unwrap_or("")),
        &spreadsheet_safe(row.refund_reason.as_deref().unwrap_or("")),
        &if row.status == "refunded" {
            row.refunded_cents.to_string()
        } else {
            String::new()
        },
    ])
}

/// Cents as a decimal amount: `1250` → `12.50`.
pub fn amount(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

/// Text a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a
/// tab or a carriage return) gets a leading `'`, as OWASP advises against CSV
/// injection; anything else is kept as it is.
pub fn spreadsheet_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
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
    fn amounts_and_formula_like_text() {
        assert_eq!(amount(1250), "12.50");
        assert_eq!(amount(5), "0.05");
        assert_eq!(amount(-300), "-3.00");
        assert_eq!(spreadsheet_safe("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(spreadsheet_safe("+1@x.com"), "'+1@x.com");
        assert_eq!(spreadsheet_safe("fan@x.com"), "fan@x.com");
    }
}
