-- Roles, schemas and the bus (DESIGN.md "The bus").
-- One role per service, each allowed to write only its own schema; the bus
-- tables are shared, with each service's outbox rows in a partition only it
-- can write.

DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['peakdesk_gateway', 'peakdesk_router', 'peakdesk_logistics',
                           'peakdesk_stock', 'peakdesk_promo', 'peakdesk_survey',
                           'peakdesk_cli', 'peakdesk_analyst'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I NOLOGIN', r);
    END IF;
  END LOOP;
END $$;

COMMENT ON ROLE peakdesk_cli IS 'peakdesk command-line tool: reads everything, keeps consumer offsets';
COMMENT ON ROLE peakdesk_analyst IS 'analysts: read-only, schema analytics only';

CREATE SCHEMA IF NOT EXISTS bus;
CREATE SCHEMA IF NOT EXISTS analytics;
REVOKE ALL ON SCHEMA public FROM PUBLIC;

-- Every instance that ever published; consumers poll it to find publishers.
CREATE TABLE bus.publishers (
  publisher  text PRIMARY KEY,
  service    text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now()
);

-- The outbox: events written in the same transaction as the state change.
-- seq is per publisher, gap-free and in commit order (single writer).
-- One partition per service, each writable only by that service's role, so
-- a service cannot publish under another's name (and COPY stays possible,
-- which row-level security would forbid). Consumers read the parent.
CREATE TABLE bus.outbox (
  service    text        NOT NULL,
  publisher  text        NOT NULL CHECK (publisher LIKE service || '-%'),
  seq        bigint      NOT NULL CHECK (seq > 0),
  event_id   uuid        NOT NULL,
  topic      text        NOT NULL,
  payload    bytea       NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (service, publisher, seq)
) PARTITION BY LIST (service);
CREATE INDEX outbox_publisher_seq ON bus.outbox (publisher, seq);
CREATE INDEX outbox_created_at ON bus.outbox (created_at);
DO $$
DECLARE s text;
BEGIN
  FOREACH s IN ARRAY ARRAY['gateway', 'router', 'logistics', 'stock', 'promo', 'survey'] LOOP
    EXECUTE format('CREATE TABLE bus.%I PARTITION OF bus.outbox FOR VALUES IN (%L)', 'outbox_' || s, s);
    EXECUTE format('GRANT INSERT, DELETE ON bus.%I TO %I', 'outbox_' || s, 'peakdesk_' || s);
    EXECUTE format('GRANT SELECT ON bus.%I TO %I', 'outbox_' || s, 'peakdesk_' || s);
  END LOOP;
END $$;

-- How far each consumer has applied each publisher's events.
CREATE TABLE bus.offsets (
  consumer   text        NOT NULL,
  publisher  text        NOT NULL,
  seq        bigint      NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, publisher)
);

-- Events a consumer could not apply even alone; skipped so the rest flows.
CREATE TABLE bus.dead_letters (
  consumer   text        NOT NULL,
  publisher  text        NOT NULL,
  seq        bigint      NOT NULL,
  topic      text        NOT NULL,
  error      text        NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, publisher, seq)
);

-- Byte position of a consumer's output file, committed with its offsets so
-- `peakdesk tail --out FILE` can print every event exactly once.
CREATE TABLE bus.consumer_sinks (
  consumer   text PRIMARY KEY,
  position   bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);

GRANT USAGE ON SCHEMA bus TO peakdesk_gateway, peakdesk_router, peakdesk_logistics,
  peakdesk_stock, peakdesk_promo, peakdesk_survey, peakdesk_cli;
GRANT SELECT ON ALL TABLES IN SCHEMA bus TO peakdesk_gateway, peakdesk_router,
  peakdesk_logistics, peakdesk_stock, peakdesk_promo, peakdesk_survey, peakdesk_cli;
GRANT INSERT, UPDATE ON bus.publishers TO peakdesk_gateway, peakdesk_router,
  peakdesk_logistics, peakdesk_stock, peakdesk_promo, peakdesk_survey;
GRANT INSERT, UPDATE ON bus.offsets, bus.dead_letters TO peakdesk_gateway, peakdesk_router,
  peakdesk_logistics, peakdesk_stock, peakdesk_promo, peakdesk_survey, peakdesk_cli;
GRANT INSERT, UPDATE ON bus.consumer_sinks TO peakdesk_cli;

-- A service may only register its own publisher names: <service>-<n>.
ALTER TABLE bus.publishers ENABLE ROW LEVEL SECURITY;
CREATE POLICY publishers_read ON bus.publishers FOR SELECT USING (true);
CREATE POLICY publishers_own ON bus.publishers FOR INSERT
  WITH CHECK (publisher LIKE replace(current_user, 'peakdesk_', '') || '-%');
CREATE POLICY publishers_own_update ON bus.publishers FOR UPDATE
  USING (publisher LIKE replace(current_user, 'peakdesk_', '') || '-%');

GRANT USAGE ON SCHEMA analytics TO peakdesk_analyst;
