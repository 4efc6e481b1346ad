//! The seat store's Lua scripts, one per operation, each built from the shared
//! library, the seat helpers and its own file.

use redis::Script;

/// One script per operation: `store/lua/lib.lua`, then `lua/seats.lua`, then its own.
pub(super) struct Scripts {
    pub(super) init: Script,
    pub(super) hold: Script,
    pub(super) hold_info: Script,
    pub(super) begin_confirm: Script,
    pub(super) finish_confirm: Script,
    pub(super) end_token: Script,
    pub(super) release: Script,
    pub(super) expired: Script,
    pub(super) mark_sold: Script,
    /// Refunds: sold seats back to free.
    pub(super) unsell: Script,
    pub(super) counts: Script,
    pub(super) holders: Script,
    pub(super) snapshot: Script,
    pub(super) hold_back: Script,
    pub(super) release_held_back: Script,
    /// Sections edited before the opening: new free seats.
    pub(super) replace_seats: Script,
    /// The queue store's `changes.lua`, on the seat log.
    pub(super) changes: Script,
}

const LIB: &str = include_str!("../../store/lua/lib.lua");

macro_rules! seat_lua {
    ($name:literal) => {
        Script::new(
            &[
                LIB,
                include_str!("../lua/seats.lua"),
                include_str!(concat!("../lua/", $name, ".lua")),
            ]
            .concat(),
        )
    };
}

impl Scripts {
    pub(super) fn new() -> Self {
        Self {
            init: seat_lua!("init"),
            hold: seat_lua!("hold"),
            hold_info: seat_lua!("hold_info"),
            begin_confirm: seat_lua!("begin_confirm"),
            finish_confirm: seat_lua!("finish_confirm"),
            end_token: seat_lua!("end_token"),
            release: seat_lua!("release"),
            expired: seat_lua!("expired"),
            mark_sold: seat_lua!("mark_sold"),
            unsell: seat_lua!("unsell"),
            counts: seat_lua!("counts"),
            holders: seat_lua!("holders"),
            snapshot: seat_lua!("snapshot"),
            hold_back: seat_lua!("hold_back"),
            release_held_back: seat_lua!("release_held_back"),
            replace_seats: seat_lua!("replace_seats"),
            changes: Script::new(&[LIB, include_str!("../../store/lua/changes.lua")].concat()),
        }
    }

    pub(super) fn all(&self) -> [&Script; 17] {
        [
            &self.init,
            &self.hold,
            &self.hold_info,
            &self.begin_confirm,
            &self.finish_confirm,
            &self.end_token,
            &self.release,
            &self.expired,
            &self.mark_sold,
            &self.unsell,
            &self.counts,
            &self.holders,
            &self.snapshot,
            &self.hold_back,
            &self.release_held_back,
            &self.replace_seats,
            &self.changes,
        ]
    }
}
