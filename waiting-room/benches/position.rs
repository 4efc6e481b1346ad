//! Depth: the cost of people-ahead must not grow with the queue. Measures, for queues
//! of 1,000 / 100,000 / 1,000,000 waiting fans:
//! - `ahead`: one people-ahead lookup (what a position update costs per socket);
//! - `update`: a whole position update for one socket: the lookup plus the
//!   `{"type":"position",…}` message serialised, as the session sends it;
//! - `admit_then_ahead`: an admission (remove the head) followed by a lookup deep in
//!   the queue, the per-tick work of a replica.
//!
//! `cargo bench -p waiting-room --bench position` (scripts/bench.sh runs it).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use waiting_room::position::PositionView;
use waiting_room::wire::ServerMessage;

fn depth(c: &mut Criterion) {
    let mut group = c.benchmark_group("position");
    for n in [1_000u64, 100_000, 1_000_000] {
        let mut view = PositionView::new();
        view.insert_range(1, n);
        let mut probe = 0u64;
        group.bench_with_input(BenchmarkId::new("ahead", n), &n, |b, &n| {
            b.iter(|| {
                // A spread of fans from the front to the back of the queue.
                probe = (probe + 7_919) % n + 1;
                black_box(view.ahead(black_box(probe)))
            })
        });
        group.bench_with_input(BenchmarkId::new("update", n), &n, |b, &n| {
            b.iter(|| {
                probe = (probe + 7_919) % n + 1;
                let ahead = view.ahead(black_box(probe));
                let message = ServerMessage::Position {
                    ahead,
                    eta_secs: ahead / 100,
                    range: waiting_room::estimate::EtaRange::default(),
                    ahead_about: waiting_room::shown::about(ahead),
                    changed_at_ms: Some(1_764_923_456_789),
                };
                black_box(serde_json::to_string(&message).expect("serialises"))
            })
        });
        let mut head = 1u64;
        group.bench_with_input(BenchmarkId::new("admit_then_ahead", n), &n, |b, &n| {
            b.iter(|| {
                view.remove(head);
                view.insert(head + n); // keep the depth: a new fan joins at the back
                head += 1;
                black_box(view.ahead(head + n / 2))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, depth);
criterion_main!(benches);
