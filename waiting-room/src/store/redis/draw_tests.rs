//! The opening's draw on Redis (issue 19): what every call of it carries, seen by
//! Redis' MONITOR, so that no call moves more fans than its batch.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use super::scripts::Scripts;
use super::*;
use crate::shuffle::ShuffleSeed;
use crate::store::Opening;

/// Every command Redis runs from now on, one MONITOR line each.
async fn monitor(client: &redis::Client) -> tokio::io::Lines<BufReader<tokio::net::TcpStream>> {
    let redis::ConnectionAddr::Tcp(host, port) = &client.get_connection_info().addr else {
        panic!("the test Redis is not on TCP");
    };
    let mut conn = tokio::net::TcpStream::connect((host.as_str(), *port))
        .await
        .unwrap();
    conn.write_all(b"MONITOR\r\n").await.unwrap();
    let mut lines = BufReader::new(conn).lines();
    assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("+OK"));
    lines
}

#[tokio::test]
async fn no_draw_call_moves_more_than_its_batch() {
    let Some((store, client)) = super::tests::connect().await else {
        return;
    };
    let store = store.with_draw_batch(4);
    let event = EventId::new();
    let config = super::tests::test_config(store.now_ms().await.unwrap() + 300);
    store.configure(event, &config, false).await.unwrap();
    for _ in 0..30 {
        store
            .join(event, UserId::new(), &TicketId::new(), None)
            .await
            .unwrap();
    }
    let mut lines = monitor(&client).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(store.open(event, &ShuffleSeed::random()).await.unwrap());
    let end = TicketId::new().0;
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let _: String = redis::cmd("ECHO")
        .arg(&end)
        .query_async(&mut conn)
        .await
        .unwrap();

    let scripts = Scripts::new();
    let (moves, pages) = (scripts.draw_move.get_hash(), scripts.prequeue.get_hash());
    let tag = event_tag(&store.prefix, event);
    let (mut batches, mut fans, mut reads) = (0, 0, 0);
    loop {
        let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .expect("MONITOR saw the end")
            .unwrap()
            .expect("a line");
        if line.contains(&end) {
            break;
        }
        // "EVALSHA" "<sha>" "<keys>" "<key>"... "<arg>"...: the quoted words.
        let words: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
        if words.first() != Some(&"EVALSHA") || !line.contains(&tag) {
            continue;
        }
        if words[1] == moves {
            // 8 keys, then capacity, token, lease, moved, k, 3 lists of k and the
            // line drawn.
            let k: usize = words[15].parse().unwrap();
            assert!(k <= 4, "a draw call moved {k} fans: {line}");
            assert_eq!(words.len(), 17 + 3 * k);
            batches += 1;
            fans += k;
        } else if words[1] == pages {
            // 4 keys, then token, lease, from, most.
            let most: usize = words[10].parse().unwrap();
            assert!(
                most <= 4,
                "a page of the pre-queue read {most} fans: {line}"
            );
            reads += 1;
        }
    }
    assert_eq!((batches, fans, reads), (8, 30, 8));
}

#[tokio::test]
async fn one_replica_draws_at_a_time_until_its_lease_lapses() {
    let Some((store, _)) = super::tests::connect().await else {
        return;
    };
    let url = crate::store::contract::test_redis_url().expect("connected above");
    let store = store.with_draw_lease_ms(60_000);
    let other = RedisStore::connect(&url, &store.prefix).await.unwrap();
    let event = EventId::new();
    let config = super::tests::test_config(store.now_ms().await.unwrap() + 200);
    store.configure(event, &config, false).await.unwrap();
    for _ in 0..6 {
        store
            .join(event, UserId::new(), &TicketId::new(), None)
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seed = ShuffleSeed::random();
    let first = store.open_step(event, &seed, 2).await.unwrap();
    assert_eq!(first, Opening::Drawing { moved: 2, total: 6 });
    assert_eq!(
        other.open_step(event, &seed, 2).await.unwrap(),
        Opening::Busy
    );
    assert!(
        !other.open(event, &seed).await.unwrap(),
        "busy: nothing done"
    );
    assert_eq!(store.stats(event).await.unwrap().waiting, 2);
    assert!(
        store.open(event, &seed).await.unwrap(),
        "the drawer goes on"
    );
    assert_eq!(store.stats(event).await.unwrap().waiting, 6);
}
