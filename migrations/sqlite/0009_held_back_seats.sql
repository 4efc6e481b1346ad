-- Seats held back from sale by an admin (embedded SQLite): production, press,
-- accessible seating. The seat store holds them back too; this table is what a store
-- that lost its state is rebuilt from (with order_seats for the sold ones). Releasing
-- a seat deletes its row; the audit log keeps who held back and released what, and
-- when.
CREATE TABLE held_back_seats (
    event_id        TEXT    NOT NULL,
    seat_index      INTEGER NOT NULL,
    held_back_at_ms INTEGER NOT NULL,
    held_back_by    TEXT    NOT NULL REFERENCES users (id),
    PRIMARY KEY (event_id, seat_index),
    FOREIGN KEY (event_id, seat_index) REFERENCES seats (event_id, seat_index) ON DELETE CASCADE
);
