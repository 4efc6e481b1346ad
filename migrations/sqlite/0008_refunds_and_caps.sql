-- Refunds and per-account caps. Nothing is deleted by a refund: the order keeps its
-- row (now `status` 'refunded', with when, by whom, why and how much) and its seats
-- stay in `order_lines` (every seat an order ever had, with the price paid), while
-- `order_seats`, whose primary key (event_id, seat_index) refuses a second sale, keeps
-- only the seats currently sold: a refund deletes its rows there, so the seats can be
-- sold again. `account_seats` counts the seats one account holds in confirmed orders
-- of an event (refunds given back); the confirm raises it with a conditional upsert
-- that fails past the event's `max_seats_per_account`.
ALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'confirmed'
    CHECK (status IN ('confirmed', 'refunded'));
ALTER TABLE orders ADD COLUMN refunded_at_ms BIGINT;
ALTER TABLE orders ADD COLUMN refunded_by TEXT REFERENCES users (id);
ALTER TABLE orders ADD COLUMN refund_reason TEXT;
ALTER TABLE orders ADD COLUMN refunded_cents BIGINT NOT NULL DEFAULT 0;

CREATE TABLE order_lines (
    order_id    TEXT   NOT NULL REFERENCES orders (id),
    event_id    TEXT   NOT NULL,
    seat_index  BIGINT NOT NULL,
    price_cents BIGINT NOT NULL,
    PRIMARY KEY (order_id, seat_index)
);
CREATE INDEX order_lines_by_event ON order_lines (event_id, seat_index);

INSERT INTO order_lines (order_id, event_id, seat_index, price_cents)
SELECT os.order_id, os.event_id, os.seat_index, s.price_cents
FROM order_seats os
JOIN seats s ON s.event_id = os.event_id AND s.seat_index = os.seat_index;

CREATE TABLE account_seats (
    event_id TEXT   NOT NULL REFERENCES events (id),
    user_id  TEXT   NOT NULL REFERENCES users (id),
    seats    BIGINT NOT NULL CHECK (seats >= 0),
    PRIMARY KEY (event_id, user_id)
);

INSERT INTO account_seats (event_id, user_id, seats)
SELECT o.event_id, o.user_id, COUNT(*)
FROM orders o
JOIN order_seats os ON os.order_id = o.id
GROUP BY o.event_id, o.user_id;
