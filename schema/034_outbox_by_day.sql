-- The outbox by day: each service's partition (bus.outbox_<service>) is
-- itself partitioned by UTC day of created_at, so retention drops whole
-- days instead of deleting rows one by one (docs/bus.md, "Retention").
-- A day is dropped only when every consumer has applied all of it and it
-- does not hold a publisher's newest row (a restart resumes from that seq);
-- otherwise it stays until they have. The publisher calls
-- bus.outbox_maintain_<service>() on its retention tick; rows written on a
-- day without a partition wait in bus.outbox_<service>_default.
--
-- A partitioned table's primary key must hold its partition column, so the
-- key becomes (service, publisher, seq, created_at). (publisher, seq) stays
-- unique because one session at a time holds the publisher's name (the
-- advisory lock in common/bus_writer.c) and numbers its rows in order.
--
-- Upgrading copies every outbox row: stop the services first
-- (docs/operations.md, "Upgrades").

CREATE TEMP TABLE outbox_upgrade ON COMMIT DROP AS SELECT * FROM bus.outbox;

DO $$
DECLARE
  s text;
  d date;
BEGIN
  FOREACH s IN ARRAY ARRAY['gateway', 'router', 'logistics', 'stock', 'promo', 'survey'] LOOP
    EXECUTE format('DROP TABLE bus.%I', 'outbox_' || s);
  END LOOP;
  ALTER TABLE bus.outbox DROP CONSTRAINT outbox_pkey;
  ALTER TABLE bus.outbox ADD PRIMARY KEY (service, publisher, seq, created_at);
  -- created_at was indexed for the row-by-row purge; days make it needless,
  -- except in the default partitions (below)
  DROP INDEX bus.outbox_created_at;
  FOREACH s IN ARRAY ARRAY['gateway', 'router', 'logistics', 'stock', 'promo', 'survey'] LOOP
    EXECUTE format('CREATE TABLE bus.%I PARTITION OF bus.outbox FOR VALUES IN (%L) PARTITION BY RANGE (created_at)',
                   'outbox_' || s, s);
    EXECUTE format('CREATE TABLE bus.%I PARTITION OF bus.%I DEFAULT', 'outbox_' || s || '_default', 'outbox_' || s);
    EXECUTE format('CREATE INDEX ON bus.%I (created_at)', 'outbox_' || s || '_default');
    EXECUTE format('GRANT INSERT, DELETE ON bus.%I TO %I', 'outbox_' || s, 'peakdesk_' || s);
    EXECUTE format('GRANT SELECT ON bus.%I TO %I', 'outbox_' || s, 'peakdesk_' || s);
    -- the days of the rows kept and the next three
    FOR d IN
      SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::date FROM outbox_upgrade WHERE service = s
      UNION SELECT (now() AT TIME ZONE 'UTC')::date + i FROM generate_series(0, 3) i
    LOOP
      PERFORM bus.day_partition_create(format('bus.%I', 'outbox_' || s)::regclass, d);
    END LOOP;
  END LOOP;
END $$;

INSERT INTO bus.outbox SELECT * FROM outbox_upgrade;

-- One service's upkeep of its outbox: day partitions from today to
-- today + days_ahead; days older than retention_hours that every consumer
-- passed dropped; old passed rows of the default partition deleted (at most
-- 10,000 per call, as before 034). Returns what it did, for the log.
CREATE FUNCTION bus.outbox_maintain(svc text, days_ahead int, retention_hours int) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp SET TimeZone = 'UTC' SET DateStyle = 'ISO' SET lock_timeout = '5s' AS $$
DECLARE
  parent  regclass := format('bus.%I', 'outbox_' || svc)::regclass;
  def     regclass := format('bus.%I', 'outbox_' || svc || '_default')::regclass;
  cutoff  timestamptz;
  created int;
  moved   bigint;
  dropped int := 0;
  purged  bigint := 0;
  needed  boolean;
  p       record;
BEGIN
  IF days_ahead IS NULL OR retention_hours IS NULL OR days_ahead < 0 OR days_ahead > 366 OR retention_hours < 1 THEN
    RAISE EXCEPTION 'days_ahead must be 0..366 and retention_hours >= 1 (got %, %)', days_ahead, retention_hours
      USING ERRCODE = '22023';
  END IF;
  cutoff := now() - make_interval(hours => retention_hours);
  PERFORM pg_advisory_xact_lock(hashtext('day_partitions:' || parent::text));
  SELECT * INTO created, moved FROM bus.day_partitions_ahead(parent, days_ahead);
  FOR p IN SELECT * FROM bus.day_partitions_before(parent, (cutoff AT TIME ZONE 'UTC')::date) LOOP
    -- needed while a consumer has not applied its last row of some
    -- publisher, or while it holds a publisher's newest row (a publisher
    -- quiet for days keeps its last day); a later day may still go. Per
    -- registered publisher (what consumers read, too), through the
    -- (publisher, seq) index: no scan of a day's rows, every minute
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM bus.publishers pb '
                   'CROSS JOIN LATERAL (SELECT max(seq) AS top FROM %s WHERE publisher = pb.publisher) x '
                   'WHERE pb.service = %L AND x.top IS NOT NULL '
                   'AND (x.top > coalesce((SELECT min(o.seq) FROM bus.offsets o WHERE o.publisher = pb.publisher), x.top) '
                   'OR x.top >= (SELECT max(seq) FROM %s y WHERE y.publisher = pb.publisher)))', p.part, svc, parent)
      INTO needed;
    CONTINUE WHEN needed;
    EXECUTE format('DROP TABLE %s', p.part);
    dropped := dropped + 1;
  END LOOP;
  EXECUTE format('DELETE FROM %s o WHERE (o.publisher, o.seq) IN ('
                 ' SELECT publisher, seq FROM %s d WHERE created_at < %L'
                 '  AND seq <= coalesce((SELECT min(x.seq) FROM bus.offsets x WHERE x.publisher = d.publisher), seq)'
                 '  AND seq < (SELECT max(y.seq) FROM %s y WHERE y.publisher = d.publisher)'
                 '  ORDER BY created_at LIMIT 10000)', def, def, cutoff, parent);
  GET DIAGNOSTICS purged = ROW_COUNT;
  IF created > 0 OR dropped > 0 THEN
    EXECUTE format('ANALYZE %s', parent);
  END IF;
  RETURN format('created=%s moved=%s dropped=%s purged=%s', created, moved, dropped, purged);
END $$;
REVOKE ALL ON FUNCTION bus.outbox_maintain(text, int, int) FROM PUBLIC;

-- Each service may keep its own outbox, and only its own.
DO $$
DECLARE s text;
BEGIN
  FOREACH s IN ARRAY ARRAY['gateway', 'router', 'logistics', 'stock', 'promo', 'survey'] LOOP
    EXECUTE format('CREATE FUNCTION bus.%I(days_ahead int, retention_hours int) RETURNS text '
                   'LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS '
                   '$f$ SELECT bus.outbox_maintain(%L, days_ahead, retention_hours) $f$',
                   'outbox_maintain_' || s, s);
    EXECUTE format('REVOKE ALL ON FUNCTION bus.%I(int, int) FROM PUBLIC', 'outbox_maintain_' || s);
    EXECUTE format('GRANT EXECUTE ON FUNCTION bus.%I(int, int) TO %I', 'outbox_maintain_' || s, 'peakdesk_' || s);
  END LOOP;
END $$;
