-- 0006: the cell indexes keep no pending list (GIN `fastupdate = off`).
--
-- With the default `fastupdate = on`, PostgreSQL appends new index entries to
-- a pending list (up to gin_pending_list_limit, 4 MB) that every search reads
-- from start to end until a vacuum merges it: a candidate search cost 0.8 to
-- 1.3 ms at a few thousand rows instead of 0.07 ms, and the planner, counting
-- those pages, preferred a scan of the time_end index that filtered every
-- live row. Writes now go straight into the index (a little more work per
-- insert, measured as a net win for the create path).
--
-- YugabyteDB's GIN (`ybgin`) has no pending list and no such option, so the
-- change is made only where the index uses PostgreSQL's own `gin`; the
-- pending entries already there are merged once. Idempotent.
DO $$
DECLARE
    idx TEXT;
BEGIN
    FOREACH idx IN ARRAY ARRAY['operational_intents_cells', 'constraints_cells', 'subscriptions_cells'] LOOP
        IF EXISTS (
            SELECT 1 FROM pg_class c
            JOIN pg_am am ON am.oid = c.relam
            WHERE c.oid = to_regclass(idx) AND am.amname = 'gin'
        ) THEN
            EXECUTE format('ALTER INDEX %I SET (fastupdate = off)', idx);
            PERFORM gin_clean_pending_list(to_regclass(idx));
        END IF;
    END LOOP;
END
$$;
