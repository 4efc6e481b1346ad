//! End-to-end tests through the real stack: a real server on a random port, real HTTP
//! and WebSocket clients, the embedded store + SQLite and Redis + PostgreSQL.

mod faulty;
mod helpers;
mod procs;

mod accounts;
mod admin_console;
mod admission;
mod backpressure;
mod bad_input;
mod big_events;
mod checkout;
mod closing;
mod cluster;
mod durability;
mod editing;
mod error_shape;
mod estimates;
mod event_settings;
mod held_back;
mod loadgen;
mod log_format;
mod login_flood;
mod ops;
mod places;
mod prequeue;
mod reconnect;
mod recovery;
mod redis_restart;
mod refunds;
mod replica_faults;
mod replicas;
mod report;
mod request_id;
mod schemas;
mod seat_map;
mod sections;
mod sessions;
mod shutdown;
mod slots;
mod slow_readers;
mod store_failures;
mod tokens;
mod waitlist;
mod web;
