//! The registry on paused time: a test room counts its loop's ticks (every 100 ms),
//! so a stopped loop is one whose count no longer moves.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::*;

#[derive(Default)]
struct Ticker {
    ticks: AtomicUsize,
}

impl Ticker {
    fn ticks(&self) -> usize {
        self.ticks.load(Ordering::SeqCst)
    }
}

/// A registry whose loops tick every 100 ms and never look at their token: stopping
/// them is the registry's job.
fn runtime() -> Runtime<Ticker> {
    Runtime::new("ticker", |room: Arc<Ticker>, _stop| async move {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            room.ticks.fetch_add(1, Ordering::SeqCst);
        }
    })
}

async fn load(loads: &AtomicUsize) -> Result<Arc<Ticker>, &'static str> {
    loads.fetch_add(1, Ordering::SeqCst);
    Ok(Arc::default())
}

async fn fail() -> Result<Arc<Ticker>, &'static str> {
    Err("the store is down")
}

async fn wait(ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

#[tokio::test(start_paused = true)]
async fn a_room_is_loaded_and_started_once() {
    let rt = runtime();
    let (event, loads) = (EventId::new(), AtomicUsize::new(0));
    let a = rt.ensure(event, || load(&loads)).await.unwrap();
    let b = rt.ensure(event, || load(&loads)).await.unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    assert_eq!(loads.load(Ordering::SeqCst), 1);
    assert!(Arc::ptr_eq(&rt.get(event).unwrap(), &a));
    wait(1_050).await;
    assert_eq!(a.ticks(), 10, "one loop, ticking every 100 ms");
}

#[tokio::test(start_paused = true)]
async fn a_load_that_loses_the_race_keeps_the_room_already_running() {
    let rt = runtime();
    let event = EventId::new();
    let (slow, fast) = (Arc::new(Ticker::default()), Arc::new(Ticker::default()));
    let late = rt.ensure(event, || async {
        // Meanwhile another caller starts the room.
        let first = rt
            .ensure(event, || async { Ok::<_, &str>(Arc::clone(&fast)) })
            .await
            .unwrap();
        assert!(Arc::ptr_eq(&first, &fast));
        Ok::<_, &str>(Arc::clone(&slow))
    });
    assert!(Arc::ptr_eq(&late.await.unwrap(), &fast));
    wait(550).await;
    assert_eq!((fast.ticks(), slow.ticks()), (5, 0), "one loop only");
}

#[tokio::test(start_paused = true)]
async fn a_room_failing_to_start_does_not_stop_the_others_and_is_retried() {
    let rt = runtime();
    let (ok, broken, loads) = (EventId::new(), EventId::new(), AtomicUsize::new(0));
    rt.sync(
        vec![
            (broken, Box::pin(rt.ensure(broken, fail)) as Start),
            (ok, Box::pin(rt.ensure(ok, || load(&loads)))),
        ],
        &HashSet::new(),
    )
    .await;
    assert_eq!(rt.events(), HashSet::from([ok]));
    assert!(rt.get(broken).is_none());
    wait(250).await;
    assert_eq!(rt.get(ok).unwrap().ticks(), 2);

    // The next sync tries it again.
    rt.sync(
        vec![
            (
                broken,
                Box::pin(rt.ensure(broken, || load(&loads))) as Start,
            ),
            (ok, Box::pin(rt.ensure(ok, || load(&loads)))),
        ],
        &rt.events(),
    )
    .await;
    assert_eq!(rt.events(), HashSet::from([ok, broken]));
    assert_eq!(
        loads.load(Ordering::SeqCst),
        2,
        "the running room was not reloaded"
    );
}

/// The futures one `sync` call awaits (boxed: two kinds in one list).
type Start<'a> = Pin<Box<dyn Future<Output = Result<Arc<Ticker>, &'static str>> + 'a>>;

#[tokio::test(start_paused = true)]
async fn rooms_not_kept_are_stopped_and_forgotten() {
    let rt = runtime();
    let (kept, dropped, loads) = (EventId::new(), EventId::new(), AtomicUsize::new(0));
    let a = rt.ensure(kept, || load(&loads)).await.unwrap();
    let b = rt.ensure(dropped, || load(&loads)).await.unwrap();
    wait(350).await;
    assert_eq!(rt.len(), 2);
    let stopped = rt.retain(&HashSet::from([kept]));
    assert_eq!(stopped.len(), 1);
    assert!(
        Arc::ptr_eq(&stopped[0], &b),
        "the stopped room is handed back"
    );
    drop(stopped);
    assert_eq!(rt.len(), 1);
    wait(1).await;
    assert!(rt.get(dropped).is_none());
    assert_eq!(
        Arc::strong_count(&b),
        1,
        "the stopped loop let go of its room"
    );
    let stopped_at = b.ticks();
    wait(1_000).await;
    assert_eq!(b.ticks(), stopped_at);
    assert_eq!(a.ticks(), 13, "the kept room runs on");
}

#[tokio::test(start_paused = true)]
async fn shutdown_stops_every_loop_and_any_started_after_it() {
    let rt = runtime();
    let loads = AtomicUsize::new(0);
    let a = rt.ensure(EventId::new(), || load(&loads)).await.unwrap();
    let b = rt.ensure(EventId::new(), || load(&loads)).await.unwrap();
    wait(250).await;
    rt.shutdown();
    wait(1).await;
    let late = rt.ensure(EventId::new(), || load(&loads)).await.unwrap();
    wait(1_000).await;
    assert_eq!((a.ticks(), b.ticks(), late.ticks()), (2, 2, 0));
    assert_eq!(rt.events().len(), 3, "the rooms stay readable");
}

#[tokio::test(start_paused = true)]
async fn dropping_the_registry_stops_its_loops() {
    let (rt, loads) = (runtime(), AtomicUsize::new(0));
    let a = rt.ensure(EventId::new(), || load(&loads)).await.unwrap();
    wait(150).await;
    drop(rt);
    wait(1_000).await;
    assert_eq!(a.ticks(), 1);
}

/// A refresh reads its list, then syncs: a room started in between (a sale created
/// meanwhile) is missing from the list but must not be stopped; one running before
/// the read and missing from it (closed) is.
#[tokio::test(start_paused = true)]
async fn a_sync_stops_only_rooms_known_before_its_list_was_read() {
    let rt = runtime();
    let (closed, created, loads) = (EventId::new(), EventId::new(), AtomicUsize::new(0));
    rt.ensure(closed, || load(&loads)).await.unwrap();
    let known = rt.events();
    // The list is read now (neither event in it); then a sale is created here.
    let new_room = rt.ensure(created, || load(&loads)).await.unwrap();
    let stopped = rt.sync(Vec::<(EventId, Start)>::new(), &known).await;
    assert_eq!(stopped.len(), 1, "only the closed sale's room stops");
    assert_eq!(rt.events(), HashSet::from([created]));
    wait(250).await;
    assert_eq!(new_room.ticks(), 2, "the new sale's room still runs");
}
