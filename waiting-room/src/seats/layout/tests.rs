//! Tests of the seat map: ids round-trip, best-available picks front and centre and
//! strands no lone seat (with property tests over generated venues).

use std::collections::HashSet;

use proptest::prelude::*;

use super::*;

fn layout() -> SeatLayout {
    SeatLayout::new(vec![
        SectionLayout {
            name: "A".into(),
            rows: 2,
            seats_per_row: 10,
            price_cents: 100,
        },
        SectionLayout {
            name: "B".into(),
            rows: 3,
            seats_per_row: 4,
            price_cents: 50,
        },
    ])
}

#[test]
fn ids_round_trip() {
    let l = layout();
    assert_eq!(l.capacity(), 32);
    for i in 0..l.capacity() {
        assert_eq!(l.parse(&l.name(i)), Some(i));
    }
    assert_eq!(l.name(0), "A-1-1");
    assert_eq!(l.name(20), "B-1-1");
    assert_eq!(l.price(31), 50);
    for bad in [
        "A-0-1",
        "A-3-1",
        "A-1-11",
        "C-1-1",
        "A-1",
        "",
        "A-1-x",
        "-1-1",
        "A-1-1-1",
        "A-01-1",
        "A-1-01",
        "A-+1-1",
        "A-1-+1",
        "A-1-1 ",
        " A-1-1",
        "A-1-\u{0661}",
    ] {
        assert_eq!(l.parse(bad), None, "{bad}");
    }
}

#[test]
fn best_available_prefers_front_centre_and_skips_taken_seats() {
    let l = layout();
    let all_free = l.best_available(2, None, 3, |_| true);
    assert_eq!(all_free[0], vec![4, 5], "row 1, centre");
    let taken = [4u32, 5];
    let c = l.best_available(2, None, 2, |i| !taken.contains(&i));
    assert!(c.iter().all(|b| b.iter().all(|s| !taken.contains(s))));
    assert_eq!(c[0].len(), 2);
    let b = l.best_available(4, Some(1), 5, |_| true);
    assert_eq!(
        b,
        vec![
            vec![20, 21, 22, 23],
            vec![24, 25, 26, 27],
            vec![28, 29, 30, 31]
        ]
    );
    assert!(l.best_available(5, Some(1), 5, |_| true).is_empty());
    assert!(l.best_available(2, None, 5, |_| false).is_empty());
    // Starting at row 2 of section A skips row 1 however free it is.
    let from = l.best_available_from(2, Some(0), 1, |_| 2, |_| true);
    assert_eq!(from, vec![vec![14, 15]]);
    assert_eq!(l.row_seats(1, 2), 24..28);
}

/// Taken seats of a 10-seat row as a picture: `x` taken, `.` free.
fn row(picture: &str) -> impl Fn(u32) -> bool + '_ {
    move |i: u32| picture.as_bytes().get(i as usize) == Some(&b'.')
}

#[test]
fn best_available_leaves_no_lone_seat_where_another_block_exists() {
    let l = SeatLayout::new(vec![SectionLayout {
        name: "A".into(),
        rows: 2,
        seats_per_row: 10,
        price_cents: 100,
    }]);
    // Row 1: a run of 5 (seats 0-4). Its centre-most pair 1-2 leaves seat 0 alone;
    // 2-3 leaves 4 alone; 0-1 or 3-4 leave a pair.
    let picture = ".....xxxxx..........";
    let best = l.best_available(2, None, 2, row(picture));
    assert_eq!(best, vec![vec![3, 4], vec![0, 1]]);
    // A run of 3 can only strand: the front row's run of 3 loses to row 2.
    let picture = "...xxxxxxx..........";
    let best = l.best_available(2, None, 1, row(picture));
    assert_eq!(
        best,
        vec![vec![14, 15]],
        "row 2's centre leaves 4 each side"
    );
    // ... unless nothing else is left: then the stranding block, not nothing.
    let picture = "...xxxxxxxxxxxxxxxxx";
    let last = l.best_available(2, None, 1, row(picture));
    assert!(
        last == vec![vec![0, 1]] || last == vec![vec![1, 2]],
        "{last:?}"
    );
    // A single buyer may take one of a pair: singles can use the seat left.
    let picture = "x..xxxxxxxxxxxxxxxxx";
    assert_eq!(l.best_available(1, None, 1, row(picture)), vec![vec![2]]);
}

/// Rows whose blocks would all strand a seat are looked past only so far: the
/// look costs a bounded number of rows however many such rows there are.
#[test]
fn the_look_past_stranding_blocks_is_bounded() {
    let l = SeatLayout::new(vec![SectionLayout {
        name: "A".into(),
        rows: 40,
        seats_per_row: 20,
        price_cents: 100,
    }]);
    // Rows 1-30 keep a run of 3 (a pair would strand one); rows 31-40 are empty.
    let free = |i: u32| i % 20 < 3 || i >= 600;
    let best = l.best_available(2, None, 1, free);
    assert_eq!(best.len(), 1);
    assert!(
        best[0][0] < 600,
        "took a stranding block near the front: {best:?}"
    );
    // Within the look-ahead, a clean row wins.
    let near = |i: u32| i % 20 < 3 || i >= 100;
    let best = l.best_available(2, None, 1, near);
    assert!(best[0][0] >= 100, "{best:?}");
}

/// Sells a 50 × 20 venue to best-available buyers of `sizes` (in turn, skipping a
/// size that no longer fits) until no block of any size is left; the free seats
/// left then are the stranded ones.
fn stranded_after_selling(sizes: &[u32]) -> usize {
    let l = SeatLayout::new(vec![SectionLayout {
        name: "A".into(),
        rows: 50,
        seats_per_row: 20,
        price_cents: 100,
    }]);
    let mut taken = vec![false; l.capacity() as usize];
    let mut turn = 0;
    let mut misses = 0;
    while misses < sizes.len() {
        let q = sizes[turn % sizes.len()];
        turn += 1;
        match l.best_available(q, None, 1, |s| !taken[s as usize]).pop() {
            Some(block) => {
                misses = 0;
                block.into_iter().for_each(|s| taken[s as usize] = true);
            }
            None => misses += 1,
        }
    }
    taken.iter().filter(|t| !**t).count()
}

#[test]
fn a_venue_sold_in_pairs_or_fours_strands_no_seat() {
    // Centre-first alone split each 20-seat row 9 + 2 + 9: a lone seat each side.
    assert_eq!(stranded_after_selling(&[2]), 0);
    assert_eq!(stranded_after_selling(&[4]), 0);
    assert_eq!(stranded_after_selling(&[2, 4]), 0);
}

fn sections() -> impl Strategy<Value = Vec<SectionLayout>> {
    proptest::collection::vec(("[A-Za-z][A-Za-z0-9 ]{0,3}", 1u32..30, 1u32..30), 1..4).prop_map(
        |raw| {
            let mut names = HashSet::new();
            raw.into_iter()
                .filter(|(name, _, _)| names.insert(name.clone()))
                .map(|(name, rows, seats_per_row)| SectionLayout {
                    name,
                    rows,
                    seats_per_row,
                    price_cents: 100,
                })
                .collect()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Every seat's id names it, and any string that names a seat is that seat's id:
    /// one id per seat, whatever a client sends.
    #[test]
    fn a_seat_has_exactly_one_id(
        sections in sections(),
        index in any::<u32>(),
        junk in ".{0,24}",
        row in "[0-9+ -]{0,6}",
        seat in "[0-9+ -]{0,6}",
    ) {
        let l = SeatLayout::new(sections);
        let i = index % l.capacity();
        prop_assert_eq!(l.parse(&l.name(i)), Some(i));
        let name = &l.sections()[l.position(i).section].name;
        for id in [junk, format!("{name}-{row}-{seat}")] {
            if let Some(found) = l.parse(&id) {
                prop_assert_eq!(l.name(found), id);
            }
        }
    }
}
