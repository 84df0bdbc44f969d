-- Logistics sync: orders awaiting fulfilment, shipments and their tracking,
-- returns. Written only by peakdesk_logistics; the other services read.

CREATE SCHEMA logistics;

-- event_ids of department events already applied: the idempotency key.
CREATE TABLE logistics.ingest_log (
  event_id    uuid PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE logistics.orders (
  order_id             text PRIMARY KEY,
  customer_id          text NOT NULL DEFAULT '',
  phone                text NOT NULL DEFAULT '',
  channel              smallint NOT NULL DEFAULT 0,
  account              text NOT NULL DEFAULT '',
  external_user_id     text NOT NULL DEFAULT '',
  status               text NOT NULL,
  ordered_at           timestamptz,
  promised_ship_by     timestamptz,
  promised_delivery    timestamptz,
  warehouse            text NOT NULL DEFAULT '',
  campaign_id          text NOT NULL DEFAULT '',
  version              bigint NOT NULL DEFAULT 0,
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_unshipped ON logistics.orders (status) WHERE status IN ('awaiting', 'allocated');

CREATE TABLE logistics.order_items (
  order_id          text NOT NULL REFERENCES logistics.orders ON DELETE CASCADE,
  line_no           int  NOT NULL,
  sku               text NOT NULL,
  name              text NOT NULL DEFAULT '',
  quantity          int  NOT NULL CHECK (quantity > 0),
  unit_price_cents  bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (order_id, line_no)
);
CREATE INDEX order_items_sku ON logistics.order_items (sku);

CREATE TABLE logistics.shipments (
  shipment_id        uuid PRIMARY KEY,
  carrier            text NOT NULL,
  tracking_no        text NOT NULL,
  order_id           text NOT NULL DEFAULT '',
  state              text NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  state_changed_at   timestamptz NOT NULL DEFAULT now(),
  last_scan_at       timestamptz,
  last_scan_text     text NOT NULL DEFAULT '',
  promised_delivery  timestamptz,
  delay_open         boolean NOT NULL DEFAULT false,
  delay_episodes     int NOT NULL DEFAULT 0,
  delayed_at         timestamptz,
  UNIQUE (carrier, tracking_no)
);
CREATE INDEX shipments_open ON logistics.shipments (state)
  WHERE state NOT IN ('delivered', 'returned');

-- Every state change of a shipment, with what caused it.
CREATE TABLE logistics.shipment_transitions (
  shipment_id  uuid NOT NULL REFERENCES logistics.shipments,
  from_state   text,
  to_state     text NOT NULL,
  at           timestamptz NOT NULL,
  source       text NOT NULL,
  recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shipment_transitions_shipment ON logistics.shipment_transitions (shipment_id, at);

-- Carrier scans; a push re-sends the whole history, each entry is kept once.
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
);

CREATE TABLE logistics.returns (
  return_id     text PRIMARY KEY,
  order_id      text NOT NULL,
  state         text NOT NULL,
  carrier       text NOT NULL DEFAULT '',
  tracking_no   text NOT NULL DEFAULT '',
  reason        text NOT NULL DEFAULT '',
  refund_cents  bigint NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE logistics.return_steps (
  return_id  text NOT NULL REFERENCES logistics.returns,
  from_state text,
  to_state   text NOT NULL,
  at         timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);

GRANT USAGE ON SCHEMA logistics TO peakdesk_logistics, peakdesk_gateway, peakdesk_router,
  peakdesk_stock, peakdesk_promo, peakdesk_survey, peakdesk_cli;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA logistics TO peakdesk_logistics;
GRANT SELECT ON ALL TABLES IN SCHEMA logistics TO peakdesk_gateway, peakdesk_router,
  peakdesk_stock, peakdesk_promo, peakdesk_survey, peakdesk_cli;

-- Analysts: shipments without personal data.
CREATE VIEW analytics.shipments AS
  SELECT s.carrier, s.tracking_no, s.order_id, s.state, s.created_at, s.state_changed_at,
         s.last_scan_at, s.promised_delivery, s.delay_open, s.delay_episodes, s.delayed_at,
         o.warehouse, o.campaign_id
  FROM logistics.shipments s LEFT JOIN logistics.orders o USING (order_id);
COMMENT ON VIEW analytics.shipments IS 'One row per shipment with its current state and delay record; no personal data.';
COMMENT ON COLUMN analytics.shipments.carrier IS 'Carrier code (Kuaidi100 com), e.g. yuantong';
COMMENT ON COLUMN analytics.shipments.tracking_no IS 'Carrier tracking number';
COMMENT ON COLUMN analytics.shipments.order_id IS 'Shop order number the shipment fulfils';
COMMENT ON COLUMN analytics.shipments.state IS 'created, collected, in_transit, out_for_delivery, delivered, exception, returning, returned';
COMMENT ON COLUMN analytics.shipments.created_at IS 'When the shipment was created, as the department reported it (or when peakdesk first heard of it)';
COMMENT ON COLUMN analytics.shipments.state_changed_at IS 'When the shipment entered its current state';
COMMENT ON COLUMN analytics.shipments.last_scan_at IS 'Time of the newest carrier scan';
COMMENT ON COLUMN analytics.shipments.promised_delivery IS 'Delivery time promised to the customer';
COMMENT ON COLUMN analytics.shipments.delay_open IS 'True while the shipment is in a delay episode';
COMMENT ON COLUMN analytics.shipments.delay_episodes IS 'How many times the shipment became late';
COMMENT ON COLUMN analytics.shipments.delayed_at IS 'When the latest delay was detected';
COMMENT ON COLUMN analytics.shipments.warehouse IS 'Warehouse that fulfilled the order';
COMMENT ON COLUMN analytics.shipments.campaign_id IS 'Promo campaign of the order, if any';
GRANT SELECT ON analytics.shipments TO peakdesk_analyst;
