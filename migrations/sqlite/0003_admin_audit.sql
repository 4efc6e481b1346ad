-- Admin audit log (embedded SQLite): who changed what about an event, with the value
-- before and after as JSON text. Read newest first per event, hence (event_id, id).
-- Also an index on orders by event, for the admin stats' revenue sum (read once a
-- second per open console; without it the sum scans every event's orders).
CREATE TABLE admin_audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms       INTEGER NOT NULL,
    actor_id    TEXT    NOT NULL REFERENCES users (id),
    actor_email TEXT,
    event_id    TEXT    NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    action      TEXT    NOT NULL,
    before_json TEXT,
    after_json  TEXT
);
CREATE INDEX admin_audit_by_event ON admin_audit (event_id, id);

CREATE INDEX orders_by_event ON orders (event_id, total_cents);
