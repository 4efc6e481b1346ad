-- Staff bypass (issue 20): the accounts that skip an event's line (admins always do).
-- Edited by admins as a whole list (PUT …/admin/events/{id}/staff, audit `staff_changed`);
-- each bypass is audited (`staff_bypass`).
CREATE TABLE event_staff (
    event_id     TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (event_id, user_id)
);

-- The safety net (issue 20): in mode `queue`, joins are admitted at once while nobody
-- waits, fewer than max_shoppers shop and fewer than max_arrivals_per_minute joined in
-- the last minute. Both NULL: off (every event before it).
ALTER TABLE events ADD COLUMN safety_net_max_shoppers BIGINT;
ALTER TABLE events ADD COLUMN safety_net_max_arrivals BIGINT;
