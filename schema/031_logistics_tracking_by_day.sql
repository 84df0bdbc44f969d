-- Carrier scans partitioned by day (UTC) of scanned_at, with retention by
-- dropping whole days instead of DELETE (docs/scaling.md, "Big tables by
-- day"). The primary key already holds scanned_at, so a re-sent scan lands
-- in the partition of its first copy and is still stored once.
--
-- Day partitions are created ahead and old ones dropped by
-- logistics.tracking_partitions_maintain(), which the logistics service
-- calls on a timer (PEAKDESK_LOGISTICS_TRACKING_DAYS_AHEAD,
-- _KEEP_DAYS). Scans of a day that has no partition (an old scan re-sent,
-- a carrier clock far ahead) go to the default partition; when that day's
-- partition is created later, its rows move there in the same transaction.
ALTER TABLE logistics.tracking_events RENAME TO tracking_events_unpartitioned;
ALTER TABLE logistics.tracking_events_unpartitioned RENAME CONSTRAINT tracking_events_pkey
  TO tracking_events_unpartitioned_pkey;

CREATE TABLE logistics.tracking_events (
  carrier      text NOT NULL,
  tracking_no  text NOT NULL,
  scanned_at   timestamptz NOT NULL,
  description  text NOT NULL,
  area_code    text NOT NULL DEFAULT '',
  area_name    text NOT NULL DEFAULT '',
  status_text  text NOT NULL DEFAULT '',
  received_at  timestamptz NOT NULL DEFAULT now(),
  entry_key    bytea GENERATED ALWAYS AS (decode(md5(description), 'hex')) STORED,
  PRIMARY KEY (carrier, tracking_no, scanned_at, entry_key)
) PARTITION BY RANGE (scanned_at);
CREATE TABLE logistics.tracking_events_default PARTITION OF logistics.tracking_events DEFAULT;
-- what is read from the default partition is by day (moves, retention)
CREATE INDEX tracking_events_default_scanned_at ON logistics.tracking_events_default (scanned_at);

-- The days the existing scans fall on (within the default retention) and
-- the week ahead get their partitions before the copy, so old scans are not
-- all left in the default partition.
DO $$
DECLARE d date;
BEGIN
  FOR d IN
    SELECT DISTINCT (scanned_at AT TIME ZONE 'UTC')::date FROM logistics.tracking_events_unpartitioned
    WHERE scanned_at >= now() - interval '90 days'
    UNION SELECT (now() AT TIME ZONE 'UTC')::date + i FROM generate_series(0, 7) i
  LOOP
    EXECUTE format('CREATE TABLE logistics.%I PARTITION OF logistics.tracking_events '
                   'FOR VALUES FROM (%L) TO (%L)', 'tracking_events_' || to_char(d, 'YYYYMMDD'),
                   to_char(d, 'YYYY-MM-DD') || ' 00:00:00+00', to_char(d + 1, 'YYYY-MM-DD') || ' 00:00:00+00');
  END LOOP;
END $$;

INSERT INTO logistics.tracking_events (carrier, tracking_no, scanned_at, description, area_code, area_name,
                                       status_text, received_at)
  SELECT carrier, tracking_no, scanned_at, description, area_code, area_name, status_text, received_at
  FROM logistics.tracking_events_unpartitioned;
DROP TABLE logistics.tracking_events_unpartitioned;

GRANT SELECT, INSERT, UPDATE, DELETE ON logistics.tracking_events TO peakdesk_logistics;
GRANT SELECT ON logistics.tracking_events TO peakdesk_gateway, peakdesk_router,
  peakdesk_stock, peakdesk_promo, peakdesk_survey, peakdesk_cli;

-- Creates the day partitions from today to today + days_ahead (moving any
-- rows of those days out of the default partition first) and drops the
-- partitions that end keep_days or more before today, deleting older rows
-- from the default partition too (keep_days 0: keep everything). Returns
-- what it did, for the service's log. Runs as the schema's owner (creating
-- and dropping partitions needs it); the service role may only call it.
CREATE FUNCTION logistics.tracking_partitions_maintain(days_ahead int, keep_days int)
RETURNS text LANGUAGE plpgsql SECURITY DEFINER
-- bounds are written as UTC text, whatever the caller's settings; creating
-- a partition locks the parent: give up (the next tick retries) rather than
-- queue every reader behind a long transaction
SET search_path = pg_catalog, pg_temp SET TimeZone = 'UTC' SET DateStyle = 'ISO' SET lock_timeout = '5s' AS $$
DECLARE
  today   date := (now() AT TIME ZONE 'UTC')::date;
  d       date;
  name    text;
  lo      timestamptz;
  hi      timestamptz;
  created int := 0;
  moved   bigint := 0;
  n       bigint;
  dropped int := 0;
  purged  bigint := 0;
  p       record;
BEGIN
  IF days_ahead < 0 OR days_ahead > 366 OR keep_days < 0 THEN
    RAISE EXCEPTION 'days_ahead must be 0..366 and keep_days >= 0 (got %, %)', days_ahead, keep_days
      USING ERRCODE = '22023';
  END IF;
  -- one maintainer at a time (several logistics instances tick together)
  PERFORM pg_advisory_xact_lock(hashtext('logistics.tracking_partitions'));
  FOR i IN 0 .. days_ahead LOOP
    d := today + i;
    name := 'tracking_events_' || to_char(d, 'YYYYMMDD');
    CONTINUE WHEN to_regclass('logistics.' || name) IS NOT NULL;
    lo := d::timestamp AT TIME ZONE 'UTC';
    hi := (d + 1)::timestamp AT TIME ZONE 'UTC';
    -- no scan of that day may reach the default partition between the
    -- move and the partition's creation (it would fail the creation)
    LOCK TABLE logistics.tracking_events_default IN EXCLUSIVE MODE;
    CREATE TEMP TABLE tracking_moving ON COMMIT DROP AS
      SELECT carrier, tracking_no, scanned_at, description, area_code, area_name, status_text, received_at
      FROM logistics.tracking_events_default WHERE false;
    WITH m AS (
      DELETE FROM logistics.tracking_events_default WHERE scanned_at >= lo AND scanned_at < hi
      RETURNING carrier, tracking_no, scanned_at, description, area_code, area_name, status_text, received_at)
    INSERT INTO tracking_moving SELECT * FROM m;
    GET DIAGNOSTICS n = ROW_COUNT;
    EXECUTE format('CREATE TABLE logistics.%I PARTITION OF logistics.tracking_events FOR VALUES FROM (%L) TO (%L)',
                   name, to_char(d, 'YYYY-MM-DD') || ' 00:00:00+00', to_char(d + 1, 'YYYY-MM-DD') || ' 00:00:00+00');
    INSERT INTO logistics.tracking_events (carrier, tracking_no, scanned_at, description, area_code, area_name,
                                           status_text, received_at)
      SELECT * FROM tracking_moving;
    DROP TABLE tracking_moving;
    created := created + 1;
    moved := moved + n;
  END LOOP;
  IF keep_days > 0 THEN
    FOR p IN
      SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'logistics.tracking_events'::regclass AND c.relname ~ '^tracking_events_[0-9]{8}$'
        AND to_date(substr(c.relname, 17), 'YYYYMMDD') + 1 <= today - keep_days
    LOOP
      EXECUTE format('DROP TABLE logistics.%I', p.relname);
      dropped := dropped + 1;
    END LOOP;
    DELETE FROM logistics.tracking_events_default
      WHERE scanned_at < (today - keep_days)::timestamp AT TIME ZONE 'UTC';
    GET DIAGNOSTICS purged = ROW_COUNT;
  END IF;
  -- autovacuum never analyzes a partitioned parent: keep its statistics
  -- fresh when its set of days changed
  IF created > 0 OR dropped > 0 THEN
    ANALYZE logistics.tracking_events;
  END IF;
  RETURN format('created=%s moved=%s dropped=%s purged=%s', created, moved, dropped, purged);
END $$;
REVOKE ALL ON FUNCTION logistics.tracking_partitions_maintain(int, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION logistics.tracking_partitions_maintain(int, int) TO peakdesk_logistics;
