-- 0001: initial schema of the deconflict SQLite store.
--
-- Conventions:
--   * ids are canonical lower-case hyphenated UUID text (F3548 EntityID form);
--   * times are INTEGER microseconds since the Unix epoch (UTC);
--   * altitudes are REAL metres above the WGS84 ellipsoid;
--   * `extents` is the deconflict_core::codec blob of the full Vec<Volume4D>;
--   * time_start/time_end/alt_lower/alt_upper are the union of the extents,
--     denormalised for purge and inspection (the blob is the truth);
--   * `pk` is a stable integer key: the id of the row in the R*Tree index.
--
-- Each entity kind has a 4-dimensional R*Tree of its bounding box in units
-- chosen so typical extents are comparable on every axis (the R*Tree's split
-- heuristics are scale-dependent; see src/rtree.rs for measurements):
--   longitude and latitude in degrees, altitude in KILOMETRES,
--   time in HOURS since 2024-01-01T00:00:00Z.
-- R*Tree coordinates are 32-bit floats rounded outward by SQLite, and the
-- application rounds outward before that (time via whole seconds, floor for
-- the start and ceil for the end): boxes only grow, so candidate searches
-- stay a superset. Changing these units requires a migration that rebuilds
-- the R*Tree tables. The application writes the R*Tree row on insert and
-- update; the AFTER DELETE triggers remove it, so a plain DELETE (including
-- purges) can never leave a dangling index entry.

CREATE TABLE operational_intents (
    pk              INTEGER PRIMARY KEY,
    id              TEXT    NOT NULL UNIQUE,
    manager         TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    state           TEXT    NOT NULL
                    CHECK (state IN ('Accepted', 'Activated', 'Nonconforming', 'Contingent')),
    ovn             TEXT    NOT NULL,
    uss_base_url    TEXT    NOT NULL,
    subscription_id TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    time_start      INTEGER NOT NULL,
    time_end        INTEGER NOT NULL,
    alt_lower       REAL    NOT NULL,
    alt_upper       REAL    NOT NULL,
    extents         BLOB    NOT NULL
);
CREATE INDEX operational_intents_subscription ON operational_intents (subscription_id)
    WHERE subscription_id IS NOT NULL;
CREATE INDEX operational_intents_time_end ON operational_intents (time_end);
CREATE VIRTUAL TABLE operational_intents_rtree USING rtree (
    id, min_lng, max_lng, min_lat, max_lat, min_alt_km, max_alt_km, min_t_h, max_t_h
);
CREATE TRIGGER operational_intents_rtree_delete AFTER DELETE ON operational_intents
BEGIN
    DELETE FROM operational_intents_rtree WHERE id = OLD.pk;
END;

CREATE TABLE constraints (
    pk           INTEGER PRIMARY KEY,
    id           TEXT    NOT NULL UNIQUE,
    manager      TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    ovn          TEXT    NOT NULL,
    uss_base_url TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    time_start   INTEGER NOT NULL,
    time_end     INTEGER NOT NULL,
    alt_lower    REAL    NOT NULL,
    alt_upper    REAL    NOT NULL,
    extents      BLOB    NOT NULL
);
CREATE INDEX constraints_time_end ON constraints (time_end);
CREATE VIRTUAL TABLE constraints_rtree USING rtree (
    id, min_lng, max_lng, min_lat, max_lat, min_alt_km, max_alt_km, min_t_h, max_t_h
);
CREATE TRIGGER constraints_rtree_delete AFTER DELETE ON constraints
BEGIN
    DELETE FROM constraints_rtree WHERE id = OLD.pk;
END;

CREATE TABLE subscriptions (
    pk                     INTEGER PRIMARY KEY,
    id                     TEXT    NOT NULL UNIQUE,
    manager                TEXT    NOT NULL,
    version                TEXT    NOT NULL,
    notification_index     INTEGER NOT NULL,
    uss_base_url           TEXT    NOT NULL,
    notify_for_intents     INTEGER NOT NULL CHECK (notify_for_intents IN (0, 1)),
    notify_for_constraints INTEGER NOT NULL CHECK (notify_for_constraints IN (0, 1)),
    implicit               INTEGER NOT NULL CHECK (implicit IN (0, 1)),
    updated_at             INTEGER NOT NULL,
    time_start             INTEGER NOT NULL,
    time_end               INTEGER NOT NULL,
    alt_lower              REAL    NOT NULL,
    alt_upper              REAL    NOT NULL,
    extents                BLOB    NOT NULL
);
CREATE INDEX subscriptions_time_end ON subscriptions (time_end);
CREATE INDEX subscriptions_implicit ON subscriptions (implicit) WHERE implicit = 1;
CREATE VIRTUAL TABLE subscriptions_rtree USING rtree (
    id, min_lng, max_lng, min_lat, max_lat, min_alt_km, max_alt_km, min_t_h, max_t_h
);
CREATE TRIGGER subscriptions_rtree_delete AFTER DELETE ON subscriptions
BEGIN
    DELETE FROM subscriptions_rtree WHERE id = OLD.pk;
END;

CREATE TABLE uss_availability (
    uss          TEXT NOT NULL PRIMARY KEY,
    availability TEXT NOT NULL CHECK (availability IN ('Unknown', 'Normal', 'Down')),
    version      TEXT NOT NULL
) WITHOUT ROWID;
