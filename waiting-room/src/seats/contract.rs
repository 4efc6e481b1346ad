//! One contract suite for every [`SeatStore`] adapter, on the queue suite's
//! [`Harness`] (`store/contract.rs`): a manual clock for the memory store, real sleeps
//! against Redis (so durations here are kept short). Each test uses fresh events.

mod held_back;
mod holds;
mod lifecycle;
mod refunds;
mod replace;
mod support;

use held_back::*;
use holds::*;
use lifecycle::*;
use refunds::*;
use replace::*;
use support::H;

macro_rules! seat_contract {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;
            seat_contract!(@tests $make;
                holds_are_all_or_nothing,
                unavailable_lists_exactly_the_conflicting_seats,
                tokens_count_seats_across_holds_without_refunds,
                expired_holds_are_listed_oldest_first_and_released,
                a_new_hold_takes_over_an_expired_hold,
                confirming_holds_are_never_taken,
                begin_confirm_outcomes,
                ended_tokens_neither_hold_nor_confirm,
                finish_confirm_sells_and_is_idempotent,
                release_checks_the_token,
                mark_sold_takes_seats_from_holds,
                init_seats_only_if_missing,
                malformed_requests_are_refused,
                the_seat_log_replays_into_the_snapshot,
                concurrent_holds_never_share_a_seat,
                unknown_events_are_errors,
                // held-back seats
                hold_back_is_all_or_nothing_and_idempotent,
                held_back_seats_are_never_held,
                release_held_back_frees_only_held_back_seats,
                init_seats_rebuilds_held_back_seats,
                held_back_changes_are_logged,
                held_back_requests_are_checked,
                // refunds
                unsell_frees_sold_seats_only,
                unsell_refuses_bad_seats_and_unknown_events,
                // sections edited before the opening
                replace_seats_makes_new_free_seats_and_restarts_the_log,
                replace_seats_refuses_while_a_seat_is_taken,
            );
        }
    };
    (@tests $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if let Some(h) = $make.await {
                    super::$name(h).await;
                }
            }
        )*
    };
}

seat_contract!(memory, async { Some(H::memory_seats()) });
seat_contract!(redis, H::redis_seats());
seat_contract!(redis_cluster, H::redis_cluster_seats());
