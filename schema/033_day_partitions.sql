-- Day partitions, one way for every big table (docs/scaling.md, "Big tables
-- by day"): a table PARTITION BY RANGE on one timestamptz column has a
-- partition per UTC day named <table>_YYYYMMDD and a default partition
-- <table>_default for rows of a day that has none yet. These helpers hold
-- the DDL; they run as the schema owner and no service may call them
-- directly: each owning service gets a SECURITY DEFINER wrapper for its own
-- table only (logistics.tracking_partitions_maintain below, the outbox's
-- and the gateway's in 034 and 035).

-- The default partition of parent (<table>_default), if it has one.
CREATE FUNCTION bus.day_partition_default(parent regclass) RETURNS regclass
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT to_regclass(format('%I.%I', ns.nspname, c.relname || '_default'))
  FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE c.oid = parent
$$;

-- The column parent is partitioned on (by range, one column), or an error.
CREATE FUNCTION bus.day_partition_key(parent regclass) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE keycol text;
BEGIN
  SELECT a.attname INTO keycol FROM pg_partitioned_table p
    JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
    WHERE p.partrelid = parent AND p.partstrat = 'r' AND p.partnatts = 1;
  IF keycol IS NULL THEN
    RAISE EXCEPTION '% is not partitioned by range on one column', parent USING ERRCODE = '22023';
  END IF;
  RETURN keycol;
END $$;

-- Creates the partition of day d (UTC) unless it exists, first moving that
-- day's rows out of the default partition (a partition cannot be created
-- while the default holds rows of its range). Returns the rows moved, or -1
-- when the partition was there already.
CREATE FUNCTION bus.day_partition_create(parent regclass, d date) RETURNS bigint
LANGUAGE plpgsql
-- bounds are written as UTC text whatever the caller's settings
SET search_path = pg_catalog, pg_temp SET TimeZone = 'UTC' SET DateStyle = 'ISO' AS $$
DECLARE
  sch    text;
  rel    text;
  keycol text;
  cols   text;
  def    regclass;
  n      bigint := 0;
  lo     timestamptz := d::timestamp AT TIME ZONE 'UTC';
  hi     timestamptz := (d + 1)::timestamp AT TIME ZONE 'UTC';
BEGIN
  SELECT ns.nspname, c.relname INTO sch, rel
    FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE c.oid = parent;
  IF to_regclass(format('%I.%I', sch, rel || '_' || to_char(d, 'YYYYMMDD'))) IS NOT NULL THEN
    RETURN -1;
  END IF;
  keycol := bus.day_partition_key(parent);
  def := bus.day_partition_default(parent);
  IF def IS NOT NULL THEN
    -- the columns that can be written (a generated one is computed again)
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols FROM pg_attribute
      WHERE attrelid = parent AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
    -- no row of that day may reach the default partition between the move
    -- and the partition's creation (it would fail the creation)
    EXECUTE format('LOCK TABLE %s IN EXCLUSIVE MODE', def);
    EXECUTE format('CREATE TEMP TABLE pd_day_moving ON COMMIT DROP AS SELECT %s FROM %s WHERE %I >= %L AND %I < %L',
                   cols, def, keycol, lo, keycol, hi);
    EXECUTE format('DELETE FROM %s WHERE %I >= %L AND %I < %L', def, keycol, lo, keycol, hi);
    GET DIAGNOSTICS n = ROW_COUNT;
  END IF;
  -- made apart and attached: ATTACH takes only a SHARE UPDATE EXCLUSIVE
  -- lock on the parent, so writers of today's rows never wait for it
  -- (CREATE TABLE ... PARTITION OF would lock them out while it waits)
  EXECUTE format('CREATE TABLE %I.%I (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED)',
                 sch, rel || '_' || to_char(d, 'YYYYMMDD'), parent);
  EXECUTE format('ALTER TABLE %s ATTACH PARTITION %I.%I FOR VALUES FROM (%L) TO (%L)',
                 parent, sch, rel || '_' || to_char(d, 'YYYYMMDD'), lo, hi);
  IF def IS NOT NULL THEN
    EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM pd_day_moving', parent, cols, cols);
    DROP TABLE pd_day_moving;
  END IF;
  RETURN n;
END $$;

-- Partitions for today to today + days_ahead (UTC), made where missing:
-- how many were made and how many rows they took from the default.
CREATE FUNCTION bus.day_partitions_ahead(parent regclass, days_ahead int, OUT created int, OUT moved bigint)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET TimeZone = 'UTC' AS $$
DECLARE n bigint;
BEGIN
  created := 0;
  moved := 0;
  FOR i IN 0 .. days_ahead LOOP
    n := bus.day_partition_create(parent, (now() AT TIME ZONE 'UTC')::date + i);
    IF n >= 0 THEN
      created := created + 1;
      moved := moved + n;
    END IF;
  END LOOP;
END $$;

-- The day partitions of parent whose day ended on or before `before`
-- (UTC), oldest first.
CREATE FUNCTION bus.day_partitions_before(parent regclass, before date) RETURNS TABLE (part regclass, day date)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT c.oid::regclass, to_date(right(c.relname, 8), 'YYYYMMDD')
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
  WHERE i.inhparent = parent
    AND c.relname = (SELECT relname FROM pg_class WHERE oid = parent) || '_' || right(c.relname, 8)
    AND right(c.relname, 8) ~ '^[0-9]{8}$'
    AND to_date(right(c.relname, 8), 'YYYYMMDD') + 1 <= before
  ORDER BY 2
$$;

-- The whole upkeep of a table whose old days may simply go: partitions
-- from today to today + days_ahead, days that ended keep_days or more
-- before today dropped (DROP TABLE: no dead rows, no vacuum) and the
-- default partition's rows that old deleted (keep_days 0: keep
-- everything). Returns what it did, for the service's log.
CREATE FUNCTION bus.day_partitions_maintain(parent regclass, days_ahead int, keep_days int) RETURNS text
LANGUAGE plpgsql
-- dropping a day locks the parent (attaching one waits for the default
-- partition's readers): give up (the next tick retries) rather than queue
-- every reader behind a long transaction
SET search_path = pg_catalog, pg_temp SET TimeZone = 'UTC' SET DateStyle = 'ISO' SET lock_timeout = '5s' AS $$
DECLARE
  today   date := (now() AT TIME ZONE 'UTC')::date;
  created int;
  moved   bigint;
  dropped int := 0;
  purged  bigint := 0;
  p       record;
  def     regclass;
BEGIN
  IF days_ahead IS NULL OR keep_days IS NULL OR days_ahead < 0 OR days_ahead > 366 OR keep_days < 0 THEN
    RAISE EXCEPTION 'days_ahead must be 0..366 and keep_days >= 0 (got %, %)', days_ahead, keep_days
      USING ERRCODE = '22023';
  END IF;
  -- one maintainer at a time (several instances of a service tick together)
  PERFORM pg_advisory_xact_lock(hashtext('day_partitions:' || parent::text));
  SELECT * INTO created, moved FROM bus.day_partitions_ahead(parent, days_ahead);
  IF keep_days > 0 THEN
    FOR p IN SELECT * FROM bus.day_partitions_before(parent, today - keep_days) LOOP
      EXECUTE format('DROP TABLE %s', p.part);
      dropped := dropped + 1;
    END LOOP;
    def := bus.day_partition_default(parent);
    IF def IS NOT NULL THEN
      EXECUTE format('DELETE FROM %s WHERE %I < %L', def, bus.day_partition_key(parent), (today - keep_days)::timestamp AT TIME ZONE 'UTC');
      GET DIAGNOSTICS purged = ROW_COUNT;
    END IF;
  END IF;
  -- autovacuum never analyzes a partitioned parent: keep its statistics
  -- fresh when its set of days changed
  IF created > 0 OR dropped > 0 THEN
    EXECUTE format('ANALYZE %s', parent);
  END IF;
  RETURN format('created=%s moved=%s dropped=%s purged=%s', created, moved, dropped, purged);
END $$;

REVOKE ALL ON FUNCTION bus.day_partition_create(regclass, date), bus.day_partitions_before(regclass, date),
  bus.day_partitions_ahead(regclass, int),
  bus.day_partitions_maintain(regclass, int, int), bus.day_partition_default(regclass),
  bus.day_partition_key(regclass) FROM PUBLIC;

-- The carrier scans (031) now kept by the shared helpers; same name,
-- arguments and result for the logistics service.
CREATE OR REPLACE FUNCTION logistics.tracking_partitions_maintain(days_ahead int, keep_days int)
RETURNS text LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT bus.day_partitions_maintain('logistics.tracking_events', days_ahead, keep_days)
$$;
