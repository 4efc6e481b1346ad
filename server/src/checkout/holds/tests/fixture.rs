//! A hold service over real stores and a real database, with no app around it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use waiting_room::clock::{now_ms, ManualClock};
use waiting_room::seats::memory::MemorySeatStore;
use waiting_room::seats::redis::RedisSeatStore;
use waiting_room::seats::store::SeatCounts;
use waiting_room::seats::SeatStore;
use waiting_room::store::memory::MemoryStore;
use waiting_room::store::redis::RedisStore;
use waiting_room::store::QueueStore;
use waiting_room::token::PurchaseClaims;
use waiting_room::{AdmissionSettings, EventId, TicketId};

use super::super::HoldService;
use crate::checkout::Checkout;
use crate::db::Db;
use crate::event::{Event, Section};

pub const PRICE_CENTS: i64 = 2_500;

pub struct Fixture {
    pub checkout: Checkout,
    pub db: Db,
    pub queue: Arc<dyn QueueStore>,
    pub clock: ManualClock,
    /// The seat store keeps its own time (Redis): holds lapse in real time.
    pub real_time: bool,
    pub event: Event,
    dir: Option<PathBuf>,
}

impl Fixture {
    /// The embedded store and SQLite, both on the manual clock.
    pub async fn embedded() -> Self {
        let clock = ManualClock::new(now_ms());
        let dir = std::env::temp_dir().join(format!("fg-holds-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = Db::connect(&Db::sqlite_url(&dir)).await.unwrap();
        let seats = Arc::new(MemorySeatStore::new(Arc::new(clock.clone())));
        let queue = Arc::new(MemoryStore::new(Arc::new(clock.clone())));
        Self::with(clock, db, seats, queue, false, Some(dir)).await
    }

    /// Redis and PostgreSQL from `FLOODGATE_TEST_REDIS_URL` and
    /// `FLOODGATE_TEST_DATABASE_URL` (a fresh prefix and database); `None` (skip)
    /// without them, unless `FLOODGATE_TEST_REQUIRE_SERVICES=1`.
    pub async fn scaled() -> Option<Self> {
        let (Ok(redis_url), Ok(pg)) = (
            std::env::var("FLOODGATE_TEST_REDIS_URL"),
            std::env::var("FLOODGATE_TEST_DATABASE_URL"),
        ) else {
            assert!(
                std::env::var("FLOODGATE_TEST_REQUIRE_SERVICES").as_deref() != Ok("1"),
                "FLOODGATE_TEST_REDIS_URL and FLOODGATE_TEST_DATABASE_URL are required"
            );
            eprintln!("skipping: no test Redis/PostgreSQL configured");
            return None;
        };
        let name = format!("fg_holds_{}", uuid::Uuid::new_v4().simple());
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&pg)
            .await
            .expect("connect to test PostgreSQL");
        sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create test database");
        let base = pg.rsplit_once('/').expect("database URL has a path").0;
        let db = Db::connect(&format!("{base}/{name}")).await.unwrap();
        let prefix = format!("h{}", uuid::Uuid::new_v4().simple());
        let queue = RedisStore::connect(&redis_url, &prefix).await.unwrap();
        let seats = Arc::new(RedisSeatStore::sharing(&queue).await.unwrap());
        let clock = ManualClock::new(now_ms());
        Some(Self::with(clock, db, seats, Arc::new(queue), true, None).await)
    }

    async fn with(
        clock: ManualClock,
        db: Db,
        seats: Arc<dyn SeatStore>,
        queue: Arc<dyn QueueStore>,
        real_time: bool,
        dir: Option<PathBuf>,
    ) -> Self {
        let now = now_ms();
        let event = Event {
            id: EventId::new(),
            name: "hold service test".into(),
            starts_at_ms: now - 60_000,
            closed: false,
            max_seats_per_order: 4,
            hold_ttl_secs: 60,
            admission: AdmissionSettings {
                rate_per_minute: 60,
                max_active: 10,
                session_ttl_secs: 600,
                paused: false,
                mode: Default::default(),
                message: None,
                safety_net: None,
            },
            grace_secs: 30,
            sections: vec![Section {
                name: "A".into(),
                rows: 2,
                seats_per_row: 10,
                price_cents: PRICE_CENTS,
            }],
            show_at_ms: None,
            refund_window_secs: None,
            max_seats_per_account: None,
            shuffle_seed: None,
            pow_difficulty: 0,
            presales: Vec::new(),
        };
        db.insert_event(&event, now, None).await.unwrap();
        let checkout = Checkout::new(seats, db.clone());
        checkout.room(&event).await.expect("the seat room loads");
        Self {
            checkout,
            db,
            queue,
            clock,
            real_time,
            event,
            dir,
        }
    }

    pub fn service(&self) -> HoldService<'_> {
        HoldService {
            checkout: &self.checkout,
            db: &self.db,
            queue: self.queue.as_ref(),
            clock: &self.clock,
            webhooks: None,
        }
    }

    /// A fresh fan's purchase token for the event, good for ten minutes from now
    /// (by the manual clock), allowing `max_seats` seats.
    pub async fn claims(&self, max_seats: u32) -> PurchaseClaims {
        use waiting_room::clock::Clock;
        let now = self.clock.now_ms();
        let email = format!("fan-{}@holds.invalid", uuid::Uuid::new_v4().simple());
        let users = self.db.create_passwordless_users(&[email], now).await;
        PurchaseClaims::new(
            users.unwrap()[0],
            self.event.id,
            &TicketId::new(),
            now,
            now + 600_000,
            max_seats,
        )
    }

    /// Lets `d` pass: on the manual clock, and for real where the store keeps its own.
    pub async fn pass(&self, d: Duration) {
        self.clock.advance(d.as_millis() as i64);
        if self.real_time {
            tokio::time::sleep(d).await;
        }
    }

    pub async fn counts(&self) -> SeatCounts {
        self.checkout
            .seats()
            .seat_counts(self.event.id)
            .await
            .unwrap()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.checkout.shutdown();
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
