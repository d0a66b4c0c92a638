-- Monthly range partitions for work_orders (by received_at) and work_order_events (by at), for
-- 100M+ rows (docs/deploy.md). Run once, in a maintenance window, on a database at the latest
-- migration (`rexian db upgrade`), with the app stopped:
--     psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f deploy/postgresql/partitioning.sql
-- Then call rexian_add_month_partitions() monthly (cron) so next months exist before they start.
--
-- What partitioning costs, and how this script pays it:
-- * A primary key or unique constraint on a partitioned table must contain the partition key, so the
--   keys become (id, received_at) and (id, at). id stays unique in practice (one sequence).
-- * code, idempotency_key and external_ref must stay unique across all months (idempotent intake
--   depends on it): a small unpartitioned table work_order_keys holds them, filled by a trigger in the
--   same transaction, so a duplicate still fails with unique_violation (23505) as before.
-- * A foreign key can only point at the whole key of a partitioned table: the foreign keys that
--   pointed at work_orders(id) (events, attachments, ...) are dropped; the app writes an order and its
--   rows in one transaction. They are listed as NOTICEs.
-- * Queries that do not filter on received_at scan every partition's index: list pages and reports
--   filter by time; lookups by id or code touch one index per month (cheap at ~100 months).
-- The old tables are kept as *_unpartitioned until you have checked the copy; drop them then.

BEGIN;

DO $$
DECLARE fk record;
BEGIN
    FOR fk IN
        SELECT conrelid::regclass AS tbl, conname FROM pg_constraint
        WHERE contype = 'f' AND confrelid = 'work_orders'::regclass
    LOOP
        RAISE NOTICE 'dropping foreign key %.% (partitioned work_orders has key (id, received_at))', fk.tbl, fk.conname;
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk.tbl, fk.conname);
    END LOOP;
END $$;

ALTER TABLE work_orders RENAME TO work_orders_unpartitioned;
ALTER TABLE work_order_events RENAME TO work_order_events_unpartitioned;
ALTER SEQUENCE work_orders_id_seq OWNED BY NONE;
ALTER SEQUENCE work_order_events_id_seq OWNED BY NONE;

CREATE TABLE work_orders (LIKE work_orders_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
    PARTITION BY RANGE (received_at);
ALTER TABLE work_orders ADD PRIMARY KEY (id, received_at);
CREATE INDEX ON work_orders (status);
CREATE INDEX ON work_orders (district);
CREATE INDEX ON work_orders (category);
CREATE INDEX ON work_orders (caller_phone);
CREATE INDEX ON work_orders (reply_due);
CREATE INDEX ON work_orders (unit_code, status);
CREATE INDEX ON work_orders (code);
CREATE INDEX ON work_orders (idempotency_key);
CREATE INDEX ON work_orders (received_at, reply_due, unit_code) WHERE replied_at IS NULL AND reply_due IS NOT NULL;

CREATE TABLE work_order_events (LIKE work_order_events_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
    PARTITION BY RANGE (at);
ALTER TABLE work_order_events ADD PRIMARY KEY (id, at);
CREATE INDEX ON work_order_events (order_id);

CREATE TABLE work_order_keys (
    order_id integer PRIMARY KEY,
    code varchar(32) NOT NULL UNIQUE,
    idempotency_key varchar(200) UNIQUE,
    external_ref varchar(200) UNIQUE
);

CREATE FUNCTION rexian_work_order_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO work_order_keys VALUES (NEW.id, NEW.code, NEW.idempotency_key, NEW.external_ref);
    ELSIF (NEW.code, NEW.idempotency_key, NEW.external_ref)
          IS DISTINCT FROM (OLD.code, OLD.idempotency_key, OLD.external_ref) THEN
        UPDATE work_order_keys SET code = NEW.code, idempotency_key = NEW.idempotency_key,
               external_ref = NEW.external_ref WHERE order_id = NEW.id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER work_order_keys_sync BEFORE INSERT OR UPDATE ON work_orders
    FOR EACH ROW EXECUTE FUNCTION rexian_work_order_keys();

-- Monthly partitions from `first` for `months` months, for both tables; existing ones are skipped.
CREATE FUNCTION rexian_add_month_partitions(first date, months integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE m date; nxt date;
BEGIN
    FOR i IN 0 .. months - 1 LOOP
        m := (date_trunc('month', first) + make_interval(months => i))::date;
        nxt := (m + interval '1 month')::date;
        EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF work_orders FOR VALUES FROM (%L) TO (%L)',
                       'work_orders_' || to_char(m, 'YYYY_MM'), m, nxt);
        EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF work_order_events FOR VALUES FROM (%L) TO (%L)',
                       'work_order_events_' || to_char(m, 'YYYY_MM'), m, nxt);
    END LOOP;
END $$;

-- A default partition catches rows outside the created months (clock skew, old imports) instead of failing.
CREATE TABLE work_orders_default PARTITION OF work_orders DEFAULT;
CREATE TABLE work_order_events_default PARTITION OF work_order_events DEFAULT;

-- Every month that has data, and the next three.
WITH oldest AS (
    SELECT date_trunc('month', LEAST(
        COALESCE((SELECT min(received_at) FROM work_orders_unpartitioned), now()),
        COALESCE((SELECT min(at) FROM work_order_events_unpartitioned), now()))) AS m
), span AS (SELECT m, age(date_trunc('month', now()), m) AS a FROM oldest)
SELECT rexian_add_month_partitions(m::date, (extract(year FROM a) * 12 + extract(month FROM a))::integer + 4)
FROM span;

INSERT INTO work_orders SELECT * FROM work_orders_unpartitioned;
INSERT INTO work_order_events SELECT * FROM work_order_events_unpartitioned;
ALTER SEQUENCE work_orders_id_seq OWNED BY work_orders.id;
ALTER SEQUENCE work_order_events_id_seq OWNED BY work_order_events.id;

COMMIT;
