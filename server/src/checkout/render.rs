//! Seat maps as JSON. Snapshots of a 50,000-seat venue are built by hand into one
//! string (no intermediate map), and each delta is serialised once and shared by
//! every subscriber.

use std::fmt::Write;

use waiting_room::seats::store::SeatState;
use waiting_room::seats::SeatLayout;

pub fn state_name(state: SeatState) -> &'static str {
    match state {
        SeatState::Free => "free",
        SeatState::Held => "held",
        SeatState::Sold => "sold",
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

/// `GET …/seats`: `{"seats":{…}}`.
pub fn seats_body(layout: &SeatLayout, states: &[u8]) -> String {
    let mut out = String::with_capacity(states.len() * 20 + 16);
    out.push('{');
    seats_map(&mut out, layout, states);
    out.push('}');
    out
}

/// The seat stream's first message: `{"type":"snapshot","seats":{…}}`.
pub fn snapshot_message(layout: &SeatLayout, states: &[u8]) -> String {
    let mut out = String::with_capacity(states.len() * 20 + 32);
    out.push_str("{\"type\":\"snapshot\",");
    seats_map(&mut out, layout, states);
    out.push('}');
    out
}

/// The compact snapshot (`?format=compact`): the seat map's shape and one character
/// per seat index (`f` free, `h` held, `s` sold), sections in order, then rows, then
/// seats — about 1 byte per seat instead of about 20.
pub fn compact_snapshot(layout: &SeatLayout, states: &[u8], message: bool) -> String {
    let sections: Vec<serde_json::Value> = layout
        .sections()
        .iter()
        .map(|s| serde_json::json!({"name": s.name, "rows": s.rows, "seats_per_row": s.seats_per_row}))
        .collect();
    let mut out = String::with_capacity(states.len() + 256);
    out.push('{');
    if message {
        out.push_str("\"type\":\"snapshot\",");
    }
    let _ = write!(
        out,
        "\"format\":\"compact\",\"sections\":{},\"states\":\"",
        serde_json::Value::Array(sections)
    );
    out.extend(states.iter().map(|s| match SeatState::from_u8(*s) {
        SeatState::Free => 'f',
        SeatState::Held => 'h',
        SeatState::Sold => 's',
    }));
    out.push_str("\"}");
    out
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
        let v: serde_json::Value = serde_json::from_str(&seats_body(&l, &[0, 1, 2])).unwrap();
        assert_eq!(v["seats"]["A-1-3"], "sold");
        let d: serde_json::Value = serde_json::from_str(&delta_message(
            &l,
            &[(0, SeatState::Sold), (2, SeatState::Free)],
        ))
        .unwrap();
        assert_eq!(d["changes"][1]["seat"], "A-1-3");
        let c: serde_json::Value =
            serde_json::from_str(&compact_snapshot(&l, &[0, 1, 2], true)).unwrap();
        assert_eq!(c["states"], "fhs");
    }
}
