//! A running room sends each fan only what it can see change: a fan near the head of
//! the line hears every change of its people-ahead, a fan deep in it (rounded to "about
//! 2,300") far fewer messages, and neither ever sees its place rise.

mod support;

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use waiting_room::fan::{messages, FanView};
use waiting_room::room::{Cadence, FanHandle};
use waiting_room::wire::ServerMessage;

/// What one fan's socket would send, as the server's socket task turns views into
/// messages: the `position` messages, each with the people-ahead shown and exact.
async fn listen(fan: &FanHandle, until: Instant) -> Vec<(u64, u64, Option<u64>)> {
    let mut rx = fan.views();
    let mut sent = rx.borrow_and_update().clone();
    let mut out = Vec::new();
    loop {
        tokio::select! {
            changed = rx.changed() => changed.unwrap(),
            _ = tokio::time::sleep_until(until) => break,
        }
        let next: FanView = rx.borrow_and_update().clone();
        for m in messages(&sent, &next) {
            if let ServerMessage::Position {
                ahead, ahead_about, ..
            } = m
            {
                out.push((ahead_about.unwrap_or(ahead), ahead, ahead_about));
            }
        }
        sent = next;
    }
    out
}

#[tokio::test(start_paused = true)]
async fn deep_fans_hear_less_and_fans_near_the_head_hear_every_change() {
    let (room, fans) = support::room_with_fans(600, -1, 2_400).await; // ten a second
    let cancel = CancellationToken::new();
    let task = tokio::spawn(Arc::clone(&room).run(Cadence::default(), cancel.clone()));

    // 30 s of virtual time: about 300 admitted, one push a second.
    let until = Instant::now() + Duration::from_secs(30);
    let (head, deep) = tokio::join!(listen(&fans[500], until), listen(&fans[2_399], until));
    cancel.cancel();
    task.await.unwrap();

    // Near the head (500 ahead, exact): every push moved the fan, every push is heard.
    assert!(head.len() >= 29, "{} messages: {head:?}", head.len());
    assert!(
        head.iter().all(|m| m.2.is_none()),
        "exact near the head: {head:?}"
    );
    // Deep (about 2,400 ahead, in steps of 100 while ten a second leave): a change of
    // the number shown every ten seconds, and of the wait shown about once a minute.
    assert!(
        deep.len() <= 8 && deep.len() < head.len() / 3,
        "{} messages deep, {} at the head: {deep:?}",
        deep.len(),
        head.len()
    );
    assert!(deep.iter().all(|m| m.2.is_some()), "rounded deep: {deep:?}");
    for list in [&head, &deep] {
        for w in list.windows(2) {
            assert!(w[1].0 <= w[0].0, "shown rose: {list:?}");
            assert!(w[1].1 <= w[0].1, "exact rose: {list:?}");
        }
    }
    assert!(deep.first().unwrap().0 > deep.last().unwrap().0, "{deep:?}");
}
