-- Staff bypass (issue 20): the accounts that skip an event's line (admins always do).
-- Edited by admins as a whole list (PUT …/admin/events/{id}/staff, audit `staff_changed`);
-- each bypass is audited (`staff_bypass`).
CREATE TABLE event_staff (
    event_id     TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (event_id, user_id)
);
