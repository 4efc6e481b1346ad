//! The queue store's Lua scripts, one per atomic operation (`store/lua/*.lua`).

use redis::Script;

/// One script per atomic operation, each with `lua/lib.lua` prepended.
pub(super) struct Scripts {
    pub(super) configure: Script,
    pub(super) update_admission: Script,
    pub(super) join: Script,
    pub(super) statuses: Script,
    pub(super) poll: Script,
    pub(super) leave: Script,
    pub(super) presence: Script,
    pub(super) prequeue: Script,
    pub(super) open: Script,
    pub(super) draw: Script,
    pub(super) draw_move: Script,
    pub(super) admit: Script,
    pub(super) release: Script,
    pub(super) purchased: Script,
    pub(super) changes: Script,
    pub(super) snapshot: Script,
    pub(super) stats: Script,
    pub(super) restore: Script,
    pub(super) remove: Script,
}

macro_rules! lua {
    ($name:literal) => {
        Script::new(
            &[
                include_str!("../lua/lib.lua"),
                include_str!(concat!("../lua/", $name, ".lua")),
            ]
            .concat(),
        )
    };
}

impl Scripts {
    pub(super) fn new() -> Self {
        Self {
            configure: lua!("configure"),
            update_admission: lua!("update_admission"),
            join: lua!("join"),
            statuses: lua!("statuses"),
            poll: lua!("poll"),
            leave: lua!("leave"),
            presence: lua!("presence"),
            prequeue: lua!("prequeue"),
            open: lua!("open"),
            draw: lua!("draw"),
            draw_move: lua!("draw_move"),
            admit: lua!("admit"),
            release: lua!("release"),
            purchased: lua!("purchased"),
            changes: lua!("changes"),
            snapshot: lua!("snapshot"),
            stats: lua!("stats"),
            restore: lua!("restore"),
            remove: lua!("remove"),
        }
    }

    pub(super) fn all(&self) -> [&Script; 19] {
        [
            &self.configure,
            &self.update_admission,
            &self.join,
            &self.statuses,
            &self.poll,
            &self.leave,
            &self.presence,
            &self.prequeue,
            &self.open,
            &self.draw,
            &self.draw_move,
            &self.admit,
            &self.release,
            &self.purchased,
            &self.changes,
            &self.snapshot,
            &self.stats,
            &self.restore,
            &self.remove,
        ]
    }
}
