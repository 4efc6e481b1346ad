use super::*;
use std::sync::mpsc;
use std::time::Duration;

fn client(n: u8) -> Requester {
    Requester::Client(IpAddr::from([10, 0, 0, n]))
}

/// A pool of one worker, held busy until the returned sender is dropped.
async fn held(queue: usize, per_client: usize) -> (ArgonPool, mpsc::Sender<()>) {
    let pool = ArgonPool::new(
        PoolSize {
            threads: 1,
            queue,
            per_client,
        },
        8,
    );
    let (hold, wait) = mpsc::channel::<()>();
    let (started, is_started) = oneshot::channel();
    let p = pool.clone();
    tokio::spawn(async move {
        p.run(Requester::Server, move |_| {
            let _ = started.send(());
            let _ = wait.recv();
        })
        .await
    });
    is_started.await.unwrap();
    (pool, hold)
}

/// Queues a run for `who` that answers `tag`; the handle resolves to its result.
fn queue(pool: &ArgonPool, who: Requester, tag: u32) -> tokio::task::JoinHandle<Result<u32, Busy>> {
    let p = pool.clone();
    tokio::spawn(async move { p.run(who, move |_| tag).await })
}

async fn settle(pool: &ArgonPool, waiting: usize) {
    for _ in 0..500 {
        if pool.waiting() == waiting {
            return;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("{} waiting, not {waiting}", pool.waiting());
}

#[tokio::test]
async fn runs_reuse_the_workers_buffer() {
    let pool = ArgonPool::new(
        PoolSize {
            threads: 1,
            queue: 4,
            per_client: 4,
        },
        16,
    );
    let first = pool
        .run(client(1), |b: &mut Vec<Block>| {
            b.resize(16, Block::default());
            b.as_ptr() as usize
        })
        .await
        .unwrap();
    let second = pool
        .run(client(1), |b: &mut Vec<Block>| {
            (b.len(), b.as_ptr() as usize)
        })
        .await
        .unwrap();
    assert_eq!(second, (16, first), "the second run got the first's buffer");
    // A run that grew it past the kept size leaves it at the kept size.
    pool.run(client(1), |b: &mut Vec<Block>| {
        b.resize(64, Block::default())
    })
    .await
    .unwrap();
    let len = pool.run(client(1), |b: &mut Vec<Block>| b.len()).await;
    assert_eq!(len, Ok(16));
}

#[tokio::test]
async fn a_full_queue_refuses_at_once_but_not_the_server() {
    let (pool, hold) = held(2, 10).await;
    let a = queue(&pool, client(1), 1);
    let b = queue(&pool, client(2), 2);
    settle(&pool, 2).await;
    assert_eq!(pool.run(client(3), |_| 3).await, Err(Busy::Full));
    let server = queue(&pool, Requester::Server, 4);
    settle(&pool, 3).await;
    drop(hold);
    assert_eq!(a.await.unwrap(), Ok(1));
    assert_eq!(b.await.unwrap(), Ok(2));
    assert_eq!(server.await.unwrap(), Ok(4));
}

#[tokio::test]
async fn one_client_has_at_most_its_share() {
    let (pool, hold) = held(10, 2).await;
    let a = queue(&pool, client(1), 1);
    settle(&pool, 1).await;
    let b = queue(&pool, client(1), 2);
    settle(&pool, 2).await;
    assert_eq!(
        pool.run(client(1), |_| 3).await,
        Err(Busy::TooManyFromClient)
    );
    let other = queue(&pool, client(2), 4);
    settle(&pool, 3).await;
    drop(hold);
    assert_eq!(a.await.unwrap(), Ok(1));
    assert_eq!(b.await.unwrap(), Ok(2));
    assert_eq!(other.await.unwrap(), Ok(4));
    // Its runs done, the client may queue again.
    assert_eq!(pool.run(client(1), |_| 5).await, Ok(5));
}

#[tokio::test]
async fn a_flooding_client_gives_way_to_another() {
    let (pool, hold) = held(3, 10).await;
    let mut flood = Vec::new();
    for tag in 1..=3 {
        flood.push(queue(&pool, client(1), tag));
        settle(&pool, flood.len()).await;
    }
    let real = queue(&pool, client(2), 9);
    // The newest of the flood gives way at once, while the worker is still busy.
    let newest = flood.pop().unwrap();
    let newest = tokio::time::timeout(Duration::from_secs(5), newest).await;
    assert_eq!(newest.expect("answered").unwrap(), Err(Busy::Full));
    assert_eq!(pool.waiting(), 3);
    drop(hold);
    assert_eq!(real.await.unwrap(), Ok(9));
    for (f, tag) in flood.into_iter().zip(1..) {
        assert_eq!(f.await.unwrap(), Ok(tag));
    }
}

#[tokio::test]
async fn clients_take_turns() {
    let (pool, hold) = held(10, 10).await;
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut runs = Vec::new();
    for (who, tag) in [(1, 1), (1, 2), (1, 3), (2, 4)] {
        let (p, order) = (pool.clone(), Arc::clone(&order));
        runs.push(tokio::spawn(async move {
            p.run(client(who), move |_| order.lock().unwrap().push(tag))
                .await
        }));
        settle(&pool, runs.len()).await;
    }
    drop(hold);
    for r in runs {
        r.await.unwrap().unwrap();
    }
    assert_eq!(*order.lock().unwrap(), [1, 4, 2, 3]);
}
