-- 0003: generic records, the small typed documents of the coordination
-- features (lines, hotline messages, liveness checks, notices, delivery
-- cursors): one table instead of a schema per feature.
--
-- A record is (kind, id) → body, with two optional lookup keys and an
-- optional due time:
--   * id is unique within its kind; listings are ordered by id in byte order
--     (BINARY, SQLite's default collation, compares with memcmp);
--   * body is JSON TEXT stored byte for byte (never re-serialised);
--   * due is INTEGER microseconds since the Unix epoch (UTC).
--
-- Indexes: the primary key serves "record kind/id" and "all of a kind by id";
-- records_k1 / records_k2 serve "kind with this key, by id"; records_due
-- (partial: only records that have a due time) serves "due at or before t,
-- by due then id". None of these queries needs a sort.

CREATE TABLE records (
    kind TEXT    NOT NULL,
    id   TEXT    NOT NULL,
    body TEXT    NOT NULL,
    k1   TEXT,
    k2   TEXT,
    due  INTEGER,
    PRIMARY KEY (kind, id)
);
CREATE INDEX records_k1 ON records (kind, k1, id);
CREATE INDEX records_k2 ON records (kind, k2, id);
CREATE INDEX records_due ON records (kind, due, id) WHERE due IS NOT NULL;
