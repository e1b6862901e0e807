-- 0002: the event log and the hash-chained audit log built from it, the
-- signed checkpoints of that log, and leases (one sealer at a time).
--
-- Every committed change appends a row to `events` in the same transaction.
-- The sealer later chains pending rows (audit_seq IS NULL), by increasing id,
-- into the audit log: it fills audit_seq (1, 2, 3... contiguous), audit_ts
-- (the entry's timestamp: `at`, raised if needed so the log's timestamps never
-- go back), salt, prev_hash and hash. A sealed row *is* the audit entry:
--   entry = (audit_seq, audit_ts, actor, kind, subject, parties, payload,
--            salt, prev_hash, hash)
-- so every column an entry is hashed over is stored exactly as hashed:
--   * payload is TEXT stored byte for byte (never re-serialised: the hash is
--     over these exact bytes);
--   * parties is a JSON array of strings, in the entry's order (sorted and
--     deduplicated once sealed);
--   * at and audit_ts are INTEGER microseconds since the Unix epoch (UTC).
--
-- Indexes: `events_unsealed` (partial, on id, only pending rows: it stays as
-- small as the backlog) serves "pending by id"; the UNIQUE index on audit_seq
-- serves "sealed after seq, in order" and makes a second use of a sequence
-- number impossible.

CREATE TABLE events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        INTEGER NOT NULL,
    kind      TEXT    NOT NULL,
    actor     TEXT    NOT NULL,
    subject   TEXT,
    parties   TEXT    NOT NULL,
    payload   TEXT    NOT NULL,
    audit_seq INTEGER UNIQUE,
    audit_ts  INTEGER,
    salt      BLOB,
    prev_hash BLOB,
    hash      BLOB,
    -- Pending (no audit column set) or sealed (all of them, well-formed).
    CHECK (
        (audit_seq IS NULL AND audit_ts IS NULL AND salt IS NULL AND prev_hash IS NULL AND hash IS NULL)
        OR (audit_seq >= 1 AND audit_ts IS NOT NULL
            AND typeof(salt) = 'blob' AND length(salt) = 16
            AND typeof(prev_hash) = 'blob' AND length(prev_hash) = 32
            AND typeof(hash) = 'blob' AND length(hash) = 32)
    )
);
CREATE INDEX events_unsealed ON events (id) WHERE audit_seq IS NULL;

-- Signed checkpoints of the audit log: the head at `seq` had `hash`.
CREATE TABLE audit_checkpoints (
    seq       INTEGER PRIMARY KEY,
    hash      BLOB    NOT NULL CHECK (typeof(hash) = 'blob' AND length(hash) = 32),
    timestamp INTEGER NOT NULL,
    key_id    BLOB    NOT NULL CHECK (typeof(key_id) = 'blob' AND length(key_id) = 8),
    signature BLOB    NOT NULL CHECK (typeof(signature) = 'blob' AND length(signature) = 64)
);

-- Named leases: `holder` holds `name` until `until` (µs, exclusive).
CREATE TABLE leases (
    name   TEXT    NOT NULL PRIMARY KEY,
    holder TEXT    NOT NULL,
    until  INTEGER NOT NULL
) WITHOUT ROWID;
