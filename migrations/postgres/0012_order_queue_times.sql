-- The report's queue times: when the buyer's ticket was issued (joined the line) and
-- when they were admitted, from the purchase token at confirm (NULL for orders written
-- before this, or whose token did not tell). Plus an index for the report's and the
-- export's reads of an event's orders in time order.
ALTER TABLE orders ADD COLUMN joined_at_ms BIGINT;
ALTER TABLE orders ADD COLUMN admitted_at_ms BIGINT;
CREATE INDEX orders_by_event_time ON orders (event_id, created_at_ms);
