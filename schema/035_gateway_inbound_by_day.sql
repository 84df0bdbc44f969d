-- Customer messages by day: gateway.inbound_messages is partitioned by UTC
-- day of received_at with retention by dropping whole days (033's helpers;
-- docs/scaling.md, "Big tables by day").
--
-- A partitioned table's unique keys must hold its partition column, and a
-- channel that re-sends a message does so at another received_at, so the
-- deduplication key (account, channel message id) moves to its own narrow
-- table, gateway.inbound_keys, which the gateway fills in the same
-- statement as the message and keeps as long as the messages (a channel
-- re-sends within minutes or hours, never after the retention).
--
-- Upgrading copies every message: stop the gateway first
-- (docs/operations.md, "Upgrades").

CREATE TABLE gateway.inbound_keys (
  account              text NOT NULL,
  external_message_id  text NOT NULL,
  message_id           uuid NOT NULL,
  received_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account, external_message_id)
);
-- for the retention, which deletes the oldest keys a bounded slice at a time
CREATE INDEX inbound_keys_received_at ON gateway.inbound_keys (received_at);

ALTER TABLE gateway.inbound_messages RENAME TO inbound_messages_unpartitioned;
ALTER TABLE gateway.inbound_messages_unpartitioned RENAME CONSTRAINT inbound_messages_pkey
  TO inbound_messages_unpartitioned_pkey;
ALTER INDEX gateway.inbound_messages_user RENAME TO inbound_messages_unpartitioned_user;

CREATE TABLE gateway.inbound_messages (
  message_id           uuid NOT NULL,
  account              text NOT NULL REFERENCES gateway.accounts,
  channel              text NOT NULL,
  external_user_id     text NOT NULL,
  external_user_name   text NOT NULL DEFAULT '',
  external_message_id  text NOT NULL,
  message_type         text NOT NULL DEFAULT 'text',
  text                 text NOT NULL DEFAULT '',
  subject              text NOT NULL DEFAULT '',
  attachments          jsonb NOT NULL DEFAULT '[]',
  in_reply_to          text NOT NULL DEFAULT '',
  sent_at              timestamptz,
  received_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (message_id, received_at)
) PARTITION BY RANGE (received_at);
CREATE INDEX inbound_messages_user ON gateway.inbound_messages (account, external_user_id, received_at);
CREATE TABLE gateway.inbound_messages_default PARTITION OF gateway.inbound_messages DEFAULT;
-- what is read from the default partition is by day (moves, retention)
CREATE INDEX inbound_messages_default_received_at ON gateway.inbound_messages_default (received_at);

-- The days of the kept messages (within the default retention) and the
-- week ahead get their partitions before the copy.
DO $$
DECLARE d date;
BEGIN
  FOR d IN
    SELECT DISTINCT (received_at AT TIME ZONE 'UTC')::date FROM gateway.inbound_messages_unpartitioned
    WHERE received_at >= now() - interval '90 days'
    UNION SELECT (now() AT TIME ZONE 'UTC')::date + i FROM generate_series(0, 7) i
  LOOP
    PERFORM bus.day_partition_create('gateway.inbound_messages', d);
  END LOOP;
END $$;

INSERT INTO gateway.inbound_keys (account, external_message_id, message_id, received_at)
  SELECT account, external_message_id, message_id, received_at FROM gateway.inbound_messages_unpartitioned;
INSERT INTO gateway.inbound_messages SELECT * FROM gateway.inbound_messages_unpartitioned;
DROP TABLE gateway.inbound_messages_unpartitioned;

GRANT SELECT, INSERT, UPDATE, DELETE ON gateway.inbound_messages, gateway.inbound_keys TO peakdesk_gateway;
GRANT SELECT ON gateway.inbound_messages TO peakdesk_cli, peakdesk_router;

-- The gateway's upkeep of its messages: day partitions ahead, days past
-- keep_days dropped, and the keys of messages that old deleted, at most
-- 20,000 per call so the gateway's writer is never held long (a promo day's
-- millions of keys go over the next calls: the gateway calls every minute).
CREATE FUNCTION gateway.inbound_partitions_maintain(days_ahead int, keep_days int)
RETURNS text LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET TimeZone = 'UTC' AS $$
DECLARE
  did  text := bus.day_partitions_maintain('gateway.inbound_messages', days_ahead, keep_days);
  keys bigint := 0;
BEGIN
  IF keep_days > 0 THEN
    DELETE FROM gateway.inbound_keys WHERE ctid = ANY (ARRAY(
      SELECT ctid FROM gateway.inbound_keys
      WHERE received_at < ((now() AT TIME ZONE 'UTC')::date - keep_days)::timestamp AT TIME ZONE 'UTC'
      ORDER BY received_at LIMIT 20000));
    GET DIAGNOSTICS keys = ROW_COUNT;
  END IF;
  RETURN did || format(' keys_purged=%s', keys);
END $$;
REVOKE ALL ON FUNCTION gateway.inbound_partitions_maintain(int, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gateway.inbound_partitions_maintain(int, int) TO peakdesk_gateway;
