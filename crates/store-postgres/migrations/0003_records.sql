-- 0003: generic records, the small typed documents of the coordination
-- features (lines, hotline messages, liveness checks, notices, delivery
-- cursors): one table instead of a schema per feature.
--
-- Same rules as 0001: portable SQL that also runs on YugabyteDB, every
-- statement idempotent (IF NOT EXISTS).
--
-- A record is (kind, id) → body, with two optional lookup keys and an
-- optional due time:
--   * id is unique within its kind; listings are ordered by id in byte order,
--     so id is COLLATE "C" (the database's default collation may be a
--     linguistic one; every index on id inherits the column's collation);
--   * body is TEXT, byte for byte. Never JSON/JSONB: jsonb re-serialises (key
--     order, whitespace, duplicate keys, number spelling);
--   * due is BIGINT microseconds since the Unix epoch (UTC).
--
-- Indexes (ASC explicitly, so that YugabyteDB range-shards them instead of
-- hash-sharding, which could not serve ORDER BY):
--   * the primary key: "record kind/id" and "all of a kind by id" (on
--     YugabyteDB kind is its hash column and id its range column, which still
--     serves kind = $1 ORDER BY id);
--   * records_k1 / records_k2: "kind with this key, by id";
--   * records_due: partial, only records that have a due time: "due at or
--     before t, by due then id".
-- None of these queries needs a sort.

CREATE TABLE IF NOT EXISTS records (
    kind TEXT                NOT NULL,
    id   TEXT COLLATE "C"    NOT NULL,
    body TEXT                NOT NULL,
    k1   TEXT,
    k2   TEXT,
    due  BIGINT,
    PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS records_k1 ON records (kind ASC, k1 ASC, id ASC);
CREATE INDEX IF NOT EXISTS records_k2 ON records (kind ASC, k2 ASC, id ASC);
CREATE INDEX IF NOT EXISTS records_due ON records (kind ASC, due ASC, id ASC) WHERE due IS NOT NULL;
