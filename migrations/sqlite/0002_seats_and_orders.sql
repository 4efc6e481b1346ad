-- Seats and orders (embedded SQLite). A seat is addressed by its dense index within the
-- event (sections in order, then rows, then seats); `label` is its id, e.g. A-12-7.
-- order_seats' primary key (event_id, seat_index) is the last line of defence against
-- selling a seat twice; orders.hold_id makes confirming a hold idempotent.
CREATE TABLE seats (
    event_id    TEXT    NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    seat_index  INTEGER NOT NULL,
    label       TEXT    NOT NULL,
    price_cents INTEGER NOT NULL,
    PRIMARY KEY (event_id, seat_index)
);

CREATE TABLE orders (
    id            TEXT    PRIMARY KEY,
    event_id      TEXT    NOT NULL REFERENCES events (id),
    user_id       TEXT    NOT NULL REFERENCES users (id),
    hold_id       TEXT    NOT NULL UNIQUE,
    total_cents   INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX orders_by_user ON orders (user_id, created_at_ms);

CREATE TABLE order_seats (
    event_id   TEXT    NOT NULL,
    seat_index INTEGER NOT NULL,
    order_id   TEXT    NOT NULL REFERENCES orders (id),
    PRIMARY KEY (event_id, seat_index),
    FOREIGN KEY (event_id, seat_index) REFERENCES seats (event_id, seat_index)
);
CREATE INDEX order_seats_by_order ON order_seats (order_id);
