-- 0001: initial schema of the deconflict PostgreSQL store.
--
-- Portable SQL only: it must also run on YugabyteDB (YSQL). So: no PostGIS,
-- no exclusion constraints, no triggers, no LISTEN/NOTIFY, no advisory locks.
-- Every statement is idempotent (IF NOT EXISTS) so that an engine without
-- transactional DDL can safely re-run a migration that stopped half-way.
--
-- Conventions:
--   * ids are UUID;
--   * times are BIGINT microseconds since the Unix epoch (UTC);
--   * altitudes are DOUBLE PRECISION metres above the WGS84 ellipsoid;
--   * `extents` is the deconflict_core::codec blob of the full Vec<Volume4D>
--     (the truth); every other spatial column is derived from it on write:
--   * time_start/time_end and alt_lower/alt_upper: the union time window and
--     altitude band of the volumes;
--   * min_lat/max_lat/min_lng/max_lng: the union lat/lng box (degrees) of the
--     footprints, used when cells cannot be used (see below);
--   * cells: the H3 cells (resolution geom::DEFAULT_CELL_RESOLUTION) covering
--     every footprint, as BIGINT (an H3 index is a u64 whose top bit is always
--     0, so it fits an i64 losslessly), with a GIN index for `cells && $1`;
--   * cells_complete: false when some footprint could not be covered (too
--     many cells) or there are no volumes; such rows are found by their box.

CREATE TABLE IF NOT EXISTS operational_intents (
    id              UUID             NOT NULL PRIMARY KEY,
    manager         TEXT             NOT NULL,
    version         INTEGER          NOT NULL,
    state           TEXT             NOT NULL
                    CHECK (state IN ('Accepted', 'Activated', 'Nonconforming', 'Contingent')),
    ovn             TEXT             NOT NULL,
    uss_base_url    TEXT             NOT NULL,
    subscription_id UUID,
    created_at      BIGINT           NOT NULL,
    updated_at      BIGINT           NOT NULL,
    time_start      BIGINT           NOT NULL,
    time_end        BIGINT           NOT NULL,
    alt_lower       DOUBLE PRECISION NOT NULL,
    alt_upper       DOUBLE PRECISION NOT NULL,
    min_lat         DOUBLE PRECISION NOT NULL,
    max_lat         DOUBLE PRECISION NOT NULL,
    min_lng         DOUBLE PRECISION NOT NULL,
    max_lng         DOUBLE PRECISION NOT NULL,
    cells           BIGINT[]         NOT NULL,
    cells_complete  BOOLEAN          NOT NULL,
    extents         BYTEA            NOT NULL
);
CREATE INDEX IF NOT EXISTS operational_intents_cells
    ON operational_intents USING GIN (cells);
CREATE INDEX IF NOT EXISTS operational_intents_uncovered
    ON operational_intents (time_end) WHERE NOT cells_complete;
CREATE INDEX IF NOT EXISTS operational_intents_time_end
    ON operational_intents (time_end);
CREATE INDEX IF NOT EXISTS operational_intents_subscription
    ON operational_intents (subscription_id) WHERE subscription_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS constraints (
    id              UUID             NOT NULL PRIMARY KEY,
    manager         TEXT             NOT NULL,
    version         INTEGER          NOT NULL,
    ovn             TEXT             NOT NULL,
    uss_base_url    TEXT             NOT NULL,
    created_at      BIGINT           NOT NULL,
    updated_at      BIGINT           NOT NULL,
    time_start      BIGINT           NOT NULL,
    time_end        BIGINT           NOT NULL,
    alt_lower       DOUBLE PRECISION NOT NULL,
    alt_upper       DOUBLE PRECISION NOT NULL,
    min_lat         DOUBLE PRECISION NOT NULL,
    max_lat         DOUBLE PRECISION NOT NULL,
    min_lng         DOUBLE PRECISION NOT NULL,
    max_lng         DOUBLE PRECISION NOT NULL,
    cells           BIGINT[]         NOT NULL,
    cells_complete  BOOLEAN          NOT NULL,
    extents         BYTEA            NOT NULL
);
CREATE INDEX IF NOT EXISTS constraints_cells
    ON constraints USING GIN (cells);
CREATE INDEX IF NOT EXISTS constraints_uncovered
    ON constraints (time_end) WHERE NOT cells_complete;
CREATE INDEX IF NOT EXISTS constraints_time_end
    ON constraints (time_end);

CREATE TABLE IF NOT EXISTS subscriptions (
    id                     UUID             NOT NULL PRIMARY KEY,
    manager                TEXT             NOT NULL,
    version                TEXT             NOT NULL,
    notification_index     INTEGER          NOT NULL,
    uss_base_url           TEXT             NOT NULL,
    notify_for_intents     BOOLEAN          NOT NULL,
    notify_for_constraints BOOLEAN          NOT NULL,
    implicit               BOOLEAN          NOT NULL,
    updated_at             BIGINT           NOT NULL,
    time_start             BIGINT           NOT NULL,
    time_end               BIGINT           NOT NULL,
    alt_lower              DOUBLE PRECISION NOT NULL,
    alt_upper              DOUBLE PRECISION NOT NULL,
    min_lat                DOUBLE PRECISION NOT NULL,
    max_lat                DOUBLE PRECISION NOT NULL,
    min_lng                DOUBLE PRECISION NOT NULL,
    max_lng                DOUBLE PRECISION NOT NULL,
    cells                  BIGINT[]         NOT NULL,
    cells_complete         BOOLEAN          NOT NULL,
    extents                BYTEA            NOT NULL
);
CREATE INDEX IF NOT EXISTS subscriptions_cells
    ON subscriptions USING GIN (cells);
CREATE INDEX IF NOT EXISTS subscriptions_uncovered
    ON subscriptions (time_end) WHERE NOT cells_complete;
CREATE INDEX IF NOT EXISTS subscriptions_time_end
    ON subscriptions (time_end);
CREATE INDEX IF NOT EXISTS subscriptions_implicit
    ON subscriptions (id) WHERE implicit;

CREATE TABLE IF NOT EXISTS uss_availability (
    uss          TEXT NOT NULL PRIMARY KEY,
    availability TEXT NOT NULL CHECK (availability IN ('Unknown', 'Normal', 'Down')),
    version      TEXT NOT NULL
);
