-- The box office's event settings: the performance's time (`show_at_ms`, after the
-- sale's opening; NULL for events created before it existed), how long before it fans
-- may cancel their own orders (`refund_window_secs`; NULL: no self-service refunds),
-- and how many seats one account may buy over all its orders (NULL: no cap).
ALTER TABLE events ADD COLUMN show_at_ms BIGINT;
ALTER TABLE events ADD COLUMN refund_window_secs BIGINT;
ALTER TABLE events ADD COLUMN max_seats_per_account BIGINT;
