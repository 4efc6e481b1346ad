//! Seat maps as JSON. Snapshots of a 50,000-seat venue are built by hand into one
//! string (no intermediate map), and each delta is serialised once and shared by
//! every subscriber. The HTTP seat map is the snapshot message without its
//! [`MESSAGE_PREFIX`] (see [`http_body`]).

use std::fmt::Write;

use waiting_room::seats::room::SeatEncoder;
use waiting_room::seats::store::SeatState;
use waiting_room::seats::SeatLayout;
use ws_protocol::tungstenite::Utf8Bytes;

use super::seat_messages::SectionShape;

/// The seat rooms' encoder: this module's JSON, in one shared text buffer that every
/// socket sends as it is.
pub struct JsonSeats;

impl SeatEncoder for JsonSeats {
    type Message = Utf8Bytes;

    fn snapshot(layout: &SeatLayout, states: &[u8], compact: bool) -> Utf8Bytes {
        if compact {
            compact_snapshot(layout, states).into()
        } else {
            snapshot_message(layout, states).into()
        }
    }

    fn delta(layout: &SeatLayout, changes: &[(u32, SeatState)]) -> Utf8Bytes {
        delta_message(layout, changes).into()
    }
}

/// A seat's state as fans see it: a held-back seat reads `sold`, simply not for sale
/// (fans need not know why, and clients that know the three states keep working).
pub fn state_name(state: SeatState) -> &'static str {
    match state {
        SeatState::Free => "free",
        SeatState::Held => "held",
        SeatState::Sold | SeatState::HeldBack => "sold",
    }
}

/// `"seats":{"A-1-1":"free",…}` — the contract's map, every seat.
fn seats_map(out: &mut String, layout: &SeatLayout, states: &[u8]) {
    out.push_str("\"seats\":{");
    for (i, s) in states.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let p = layout.position(i as u32);
        let _ = write!(
            out,
            "\"{}-{}-{}\":\"{}\"",
            layout.sections()[p.section].name,
            p.row,
            p.seat,
            state_name(SeatState::from_u8(*s))
        );
    }
    out.push('}');
}

/// How every snapshot message starts. `GET …/seats` answers the same text without it
/// (`{` then the rest), so both are one encoding.
pub const MESSAGE_PREFIX: &str = "{\"type\":\"snapshot\",";

/// The seat stream's first message: `{"type":"snapshot","seats":{…}}`.
pub fn snapshot_message(layout: &SeatLayout, states: &[u8]) -> String {
    let mut out = String::with_capacity(states.len() * 20 + 32);
    out.push_str(MESSAGE_PREFIX);
    seats_map(&mut out, layout, states);
    out.push('}');
    out
}

/// The compact snapshot (`?format=compact`): the seat map's shape and one character
/// per seat index (`f` free, `h` held, `s` sold or held back), sections in order, then
/// rows, then seats — about 1 byte per seat instead of about 20. As a snapshot message.
pub fn compact_snapshot(layout: &SeatLayout, states: &[u8]) -> String {
    compact_with(layout, states, |s| match s {
        SeatState::Free => 'f',
        SeatState::Held => 'h',
        SeatState::Sold | SeatState::HeldBack => 's',
    })
}

/// The admins' seat states, one character per seat index: as [`compact_snapshot`]'s,
/// with `b` for a held-back seat (the console's seat map).
pub fn admin_states(states: &[u8]) -> String {
    states
        .iter()
        .map(|s| match SeatState::from_u8(*s) {
            SeatState::HeldBack => 'b',
            SeatState::Free => 'f',
            SeatState::Held => 'h',
            SeatState::Sold => 's',
        })
        .collect()
}

fn compact_with(layout: &SeatLayout, states: &[u8], code: impl Fn(SeatState) -> char) -> String {
    let sections =
        serde_json::to_string(&SectionShape::of(layout)).expect("section shapes serialise");
    let mut out = String::with_capacity(states.len() + 256);
    out.push_str(MESSAGE_PREFIX);
    let _ = write!(
        out,
        "\"format\":\"compact\",\"sections\":{sections},\"states\":\""
    );
    out.extend(states.iter().map(|s| code(SeatState::from_u8(*s))));
    out.push_str("\"}");
    out
}

/// `GET …/seats`' body from a snapshot `message`: `{` and the message past its
/// [`MESSAGE_PREFIX`] (`{"seats":{…}}`, `{"format":"compact",…}`), two slices of the
/// shared buffer, no copy.
pub fn http_body(message: &bytes::Bytes) -> [bytes::Bytes; 2] {
    debug_assert!(message.starts_with(MESSAGE_PREFIX.as_bytes()));
    [
        bytes::Bytes::from_static(b"{"),
        message.slice(MESSAGE_PREFIX.len()..),
    ]
}

/// `parts` gzipped, at the fastest level: a snapshot is rebuilt up to every second on
/// a busy sale, and its long runs of the same few strings shrink well at any level.
pub fn gzip(parts: &[bytes::Bytes]) -> bytes::Bytes {
    use std::io::Write as _;
    let total: usize = parts.iter().map(bytes::Bytes::len).sum();
    let mut out =
        flate2::write::GzEncoder::new(Vec::with_capacity(total / 8), flate2::Compression::fast());
    for part in parts {
        out.write_all(part).expect("writing to a Vec cannot fail");
    }
    out.finish().expect("writing to a Vec cannot fail").into()
}

/// `{"type":"delta","changes":[{"seat":"A-1-5","state":"held"},…]}`.
pub fn delta_message(layout: &SeatLayout, changes: &[(u32, SeatState)]) -> String {
    let mut out = String::with_capacity(changes.len() * 40 + 32);
    out.push_str("{\"type\":\"delta\",\"changes\":[");
    for (i, (seat, state)) in changes.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            "{{\"seat\":\"{}\",\"state\":\"{}\"}}",
            layout.name(*seat),
            state_name(*state)
        );
    }
    out.push_str("]}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use waiting_room::seats::layout::SectionLayout;

    fn layout() -> SeatLayout {
        SeatLayout::new(vec![SectionLayout {
            name: "A".into(),
            rows: 1,
            seats_per_row: 3,
            price_cents: 1,
        }])
    }

    #[test]
    fn renders_valid_json_in_the_contract_shape() {
        let l = layout();
        let v: serde_json::Value = serde_json::from_str(&snapshot_message(&l, &[0, 1, 2])).unwrap();
        assert_eq!(v["seats"]["A-1-2"], "held");
        assert_eq!(v["seats"].as_object().unwrap().len(), 3);
        let body = http_body(&snapshot_message(&l, &[0, 1, 2]).into()).concat();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["seats"]["A-1-3"], "sold");
        assert!(v.get("type").is_none(), "{v}");
        let mut unzipped = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(
                &gzip(&http_body(&snapshot_message(&l, &[0, 1, 2]).into()))[..],
            ),
            &mut unzipped,
        )
        .unwrap();
        assert_eq!(unzipped.as_bytes(), &body[..]);
        let d: serde_json::Value = serde_json::from_str(&delta_message(
            &l,
            &[(0, SeatState::Sold), (2, SeatState::Free)],
        ))
        .unwrap();
        assert_eq!(d["changes"][1]["seat"], "A-1-3");
        let c: serde_json::Value = serde_json::from_str(&compact_snapshot(&l, &[0, 1, 2])).unwrap();
        assert_eq!(c["states"], "fhs");
        // Held back: sold to fans, `b` to admins.
        let c: serde_json::Value = serde_json::from_str(&compact_snapshot(&l, &[3, 1, 2])).unwrap();
        assert_eq!(c["states"], "shs");
        assert_eq!(admin_states(&[3, 1, 2, 0]), "bhsf");
        let v: serde_json::Value = serde_json::from_str(&snapshot_message(&l, &[3, 0, 0])).unwrap();
        assert_eq!(v["seats"]["A-1-1"], "sold");
        assert_eq!(c["type"], "snapshot");
        let body = http_body(&compact_snapshot(&l, &[0, 1, 2]).into()).concat();
        let c: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            (c["format"].as_str(), c.get("type")),
            (Some("compact"), None)
        );
    }

    /// The seat room encodes each delta and snapshot once: every subscriber gets the
    /// same buffer, and the HTTP body is a slice of it (nothing copied per socket or
    /// request).
    #[tokio::test]
    async fn subscribers_share_one_buffer_per_message() {
        use std::sync::Arc;
        use waiting_room::seats::room::{SeatEvent, SeatRoom};
        use waiting_room::seats::{MemoryLedger, MemorySeatStore, SeatStore};
        use waiting_room::EventId;

        let store: Arc<dyn SeatStore> = Arc::new(MemorySeatStore::default());
        let ledger = Arc::new(MemoryLedger::default());
        let room =
            SeatRoom::<JsonSeats>::load(EventId::new(), layout(), Arc::clone(&store), ledger)
                .await
                .unwrap();
        let (mut a, mut b) = (room.subscribe(), room.subscribe());
        store.mark_sold(room.event(), &[1]).await.unwrap();
        room.sync().await.unwrap();
        let (Ok(SeatEvent::Delta(x)), Ok(SeatEvent::Delta(y))) = (a.try_recv(), b.try_recv())
        else {
            panic!("a delta for each subscriber");
        };
        assert_eq!(
            x.as_str(),
            delta_message(&layout(), &[(1, SeatState::Sold)])
        );
        assert_eq!(x.as_str().as_ptr(), y.as_str().as_ptr(), "one buffer");
        let (one, two) = (
            room.snapshot_message(true).await,
            room.snapshot_message(true).await,
        );
        assert_eq!(one.as_str(), compact_snapshot(&layout(), &[0, 2, 0]));
        assert_eq!(one.as_str().as_ptr(), two.as_str().as_ptr(), "one buffer");
        let body = http_body(&bytes::Bytes::from(one.clone()));
        assert_eq!(
            body[1].as_ptr(),
            one.as_str()[MESSAGE_PREFIX.len()..].as_ptr(),
            "the HTTP body is a slice of it"
        );
    }

    /// The hand-written text is what the types of the document say, field for field
    /// (they refuse unknown fields).
    #[test]
    fn rendered_messages_parse_as_their_types() {
        use super::super::seat_messages::{CompactSeatMap, SeatMap, SeatStreamMessage};
        let l = layout();
        let parse = |text: &str| serde_json::from_str::<SeatStreamMessage>(text).unwrap();
        assert!(matches!(
            parse(&snapshot_message(&l, &[0, 1, 3])),
            SeatStreamMessage::Snapshot(_)
        ));
        assert!(matches!(
            parse(&compact_snapshot(&l, &[0, 1, 3])),
            SeatStreamMessage::CompactSnapshot(_)
        ));
        let delta = delta_message(&l, &[(0, SeatState::Sold), (2, SeatState::HeldBack)]);
        assert!(matches!(parse(&delta), SeatStreamMessage::Delta(_)));
        let body = http_body(&snapshot_message(&l, &[0, 1, 2]).into()).concat();
        serde_json::from_slice::<SeatMap>(&body).unwrap();
        let body = http_body(&compact_snapshot(&l, &[0, 1, 2]).into()).concat();
        serde_json::from_slice::<CompactSeatMap>(&body).unwrap();
    }
}
