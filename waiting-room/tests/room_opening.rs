//! A room's part in the opening's draw (issue 19): an admission step advances a due
//! opening by a bounded number of draw calls, and the room's pre-queued fans learn
//! their places once the draw is complete.

mod support;

use std::time::Duration;

use waiting_room::fan::FanPhase;
use waiting_room::store::DRAW_BATCH;

#[tokio::test(start_paused = true)]
async fn a_room_step_draws_a_bounded_part_and_the_fans_learn_their_places_at_the_end() {
    // More than the 4 batches one step draws.
    let n = 4 * DRAW_BATCH + 500;
    let (room, fans) = support::room_with_fans(60, 1_000, n).await;
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    room.step().await.unwrap();
    room.sync().await.unwrap();
    assert!(!room.opened(), "one step draws 4 batches, not all");
    assert!(matches!(
        fans[0].views().borrow().phase,
        FanPhase::Prequeue { .. }
    ));

    room.step().await.unwrap();
    room.sync().await.unwrap();
    assert!(room.opened(), "the second step draws the rest");
    // The step admitted the head of the line (one token at 60 a minute).
    let mut ahead = Vec::new();
    let mut admitted = 0;
    for fan in &fans {
        match fan.views().borrow().phase {
            FanPhase::Queued { ahead: a, .. } => ahead.push(a),
            FanPhase::Admitted { .. } => admitted += 1,
            ref other => panic!("{other:?}"),
        }
    }
    ahead.sort_unstable();
    assert_eq!(admitted, 1);
    assert_eq!(
        ahead,
        (0..n as u64 - 1).collect::<Vec<_>>(),
        "one place each"
    );
}
