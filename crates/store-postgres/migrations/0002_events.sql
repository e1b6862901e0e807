-- 0002: the event log and the hash-chained audit log built from it, the
-- signed checkpoints of that log, and leases (one sealer at a time).
--
-- Same rules as 0001: portable SQL that also runs on YugabyteDB, every
-- statement idempotent (IF NOT EXISTS).
--
-- Every committed change appends a row to `events` in the same transaction.
-- The sealer later chains pending rows (audit_seq IS NULL), by increasing id,
-- into the audit log: it fills audit_seq (1, 2, 3... contiguous), audit_ts
-- (the entry's timestamp: `at`, raised if needed so the log's timestamps never
-- go back), salt, prev_hash and hash. A sealed row *is* the audit entry:
--   entry = (audit_seq, audit_ts, actor, kind, subject, parties, payload,
--            salt, prev_hash, hash)
-- so every column an entry is hashed over is stored exactly as hashed:
--   * payload is TEXT, byte for byte. Never JSON/JSONB: jsonb re-serialises
--     (key order, whitespace, duplicate keys, number spelling) and the hash is
--     over the original bytes;
--   * parties is TEXT[] in the entry's order (sorted and deduplicated once
--     sealed);
--   * at and audit_ts are BIGINT microseconds since the Unix epoch (UTC).
--
-- ids come from an identity column: increasing per allocation but, with
-- concurrent transactions (and per-node caches on distributed engines), not in
-- commit order and with gaps. The sealer orders by id among the rows visible
-- to it, so a transaction that commits late simply gets a later audit_seq.
--
-- Indexes (ASC explicitly, so that YugabyteDB range-shards them instead of
-- hash-sharding, which could not serve ORDER BY):
--   * events_unsealed: partial, on id, only pending rows (it stays as small as
--     the backlog): "pending by id";
--   * events_audit_seq_key: UNIQUE on audit_seq (NULLs allowed many times):
--     "sealed after seq, in order", the head, and no sequence number used
--     twice. The store maps a violation of it to "retry" (another sealer won),
--     by this name.

CREATE TABLE IF NOT EXISTS events (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        BIGINT NOT NULL,
    kind      TEXT   NOT NULL,
    actor     TEXT   NOT NULL,
    subject   TEXT,
    parties   TEXT[] NOT NULL,
    payload   TEXT   NOT NULL,
    audit_seq BIGINT,
    audit_ts  BIGINT,
    salt      BYTEA,
    prev_hash BYTEA,
    hash      BYTEA,
    -- Pending (no audit column set) or sealed (all of them, well-formed).
    CONSTRAINT events_sealed_whole CHECK (
        (audit_seq IS NULL AND audit_ts IS NULL AND salt IS NULL AND prev_hash IS NULL AND hash IS NULL)
        OR (audit_seq >= 1 AND audit_ts IS NOT NULL
            AND COALESCE(octet_length(salt), 0) = 16
            AND COALESCE(octet_length(prev_hash), 0) = 32
            AND COALESCE(octet_length(hash), 0) = 32)
    )
);
CREATE UNIQUE INDEX IF NOT EXISTS events_audit_seq_key ON events (audit_seq ASC);
CREATE INDEX IF NOT EXISTS events_unsealed ON events (id ASC) WHERE audit_seq IS NULL;

-- Signed checkpoints of the audit log: the head at `seq` had `hash`.
CREATE TABLE IF NOT EXISTS audit_checkpoints (
    seq       BIGINT NOT NULL PRIMARY KEY,
    hash      BYTEA  NOT NULL CHECK (octet_length(hash) = 32),
    timestamp BIGINT NOT NULL,
    key_id    BYTEA  NOT NULL CHECK (octet_length(key_id) = 8),
    signature BYTEA  NOT NULL CHECK (octet_length(signature) = 64)
);

-- Named leases: `holder` holds `name` until `until` (µs, exclusive).
CREATE TABLE IF NOT EXISTS leases (
    name   TEXT   NOT NULL PRIMARY KEY,
    holder TEXT   NOT NULL,
    until  BIGINT NOT NULL
);
