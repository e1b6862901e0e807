-- 0007: area writes lock coarser cells, in a table of their own.
--
-- `area_locks` has one row per lock cell (the H3 parent at resolution 6,
-- about 36 km², of an index cell at geom::DEFAULT_CELL_RESOLUTION) that an
-- area write ever locked; it replaces `cell_locks` (one row per index cell,
-- about ten per 1 km² area). Two writes whose areas share an index cell
-- share its parent, so they are still ordered; a 1 km² area now writes 1-4
-- rows instead of about ten.
--
-- `cell_locks` is dropped rather than kept: a replica of an older build,
-- still running, would lock there and no longer exclude the new replicas'
-- writes. Once it is gone such a replica's area writes fail with an error
-- instead of deciding next to a newer one unordered; upgrade every replica.
-- Plain PostgreSQL, also valid on YugabyteDB; idempotent.
CREATE TABLE IF NOT EXISTS area_locks (
    cell   BIGINT NOT NULL PRIMARY KEY,
    writes BIGINT NOT NULL DEFAULT 1
);
DROP TABLE IF EXISTS cell_locks;
