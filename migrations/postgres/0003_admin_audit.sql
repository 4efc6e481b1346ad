-- Admin audit log (PostgreSQL): who changed what about an event, with the value
-- before and after as JSON text. Read newest first per event, hence (event_id, id).
-- Also an index on orders by event, for the admin stats' revenue sum (read once a
-- second per open console; (event_id, total_cents) lets it be an index-only scan).
CREATE TABLE admin_audit (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms       BIGINT NOT NULL,
    actor_id    TEXT   NOT NULL REFERENCES users (id),
    actor_email TEXT,
    event_id    TEXT   NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    action      TEXT   NOT NULL,
    before_json TEXT,
    after_json  TEXT
);
CREATE INDEX admin_audit_by_event ON admin_audit (event_id, id);

CREATE INDEX orders_by_event ON orders (event_id, total_cents);
