-- 0005: one row per H3 cell (resolution geom::DEFAULT_CELL_RESOLUTION) that
-- a write of intents, constraints or subscriptions ever touched.
--
-- Such a write (TxMode::AreaWrite, READ COMMITTED) upserts the rows of every
-- cell of the areas it reads or changes before it reads there, so two writes
-- wait for each other exactly when their areas share a cell, and the later
-- one then sees what the earlier committed. Writes in areas that share no
-- cell never touch a common row. SERIALIZABLE's predicate locks are taken on
-- whole index pages (GIN entry pages, B-tree leaves, or the whole table after
-- a sequential scan), which made writes 55 km apart refuse each other.
--
-- `writes` counts the writes that locked the cell: the update is what locks
-- the row (and, on an engine running the transaction under snapshot
-- isolation, what makes the second of two writers retry instead of reading
-- a stale snapshot). Plain PostgreSQL, also valid on YugabyteDB; idempotent.
CREATE TABLE IF NOT EXISTS cell_locks (
    cell   BIGINT NOT NULL PRIMARY KEY,
    writes BIGINT NOT NULL DEFAULT 1
);
