-- Supply / stock sync: SKUs, stock per warehouse, shortage episodes with the
-- orders they hit. Written only by peakdesk_stock; the router reads levels
-- (restock ETAs for auto-replies), analysts read the views.

CREATE SCHEMA stock;

-- event_ids of department events already applied: the idempotency key.
CREATE TABLE stock.ingest_log (
  event_id    uuid PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE stock.skus (
  sku                  text PRIMARY KEY,
  name                 text NOT NULL,           -- what agents and customers call it
  presale              boolean NOT NULL DEFAULT false,
  updated_at           timestamptz NOT NULL DEFAULT now()
);

-- One row per SKU and warehouse: the newest level by the department's
-- version (last writer wins), and the episode state of level_state.c.
CREATE TABLE stock.levels (
  sku            text NOT NULL REFERENCES stock.skus,
  warehouse      text NOT NULL,
  on_hand        bigint NOT NULL CHECK (on_hand >= 0),
  reserved       bigint NOT NULL CHECK (reserved >= 0),
  available      bigint NOT NULL CHECK (available >= 0),
  restock_eta    timestamptz,
  ship_by        timestamptz,
  low_stock_threshold bigint NOT NULL DEFAULT 0 CHECK (low_stock_threshold >= 0), -- 0: last hour's sales
  version        bigint NOT NULL,
  reported_at    timestamptz,                      -- the department's occurred_at
  updated_at     timestamptz NOT NULL DEFAULT now(),
  shortage_open  boolean NOT NULL DEFAULT false,
  episodes       int NOT NULL DEFAULT 0,
  low_warned     boolean NOT NULL DEFAULT false,
  PRIMARY KEY (sku, warehouse)
);

-- Each time a SKU ran out in a warehouse.
CREATE TABLE stock.shortages (
  sku            text NOT NULL,
  warehouse      text NOT NULL,
  episode        int NOT NULL,
  started_at     timestamptz NOT NULL DEFAULT now(),
  restocked_at   timestamptz,
  restock_eta    timestamptz,                      -- newest ETA announced
  eta_updates    int NOT NULL DEFAULT 0,
  orders         int NOT NULL DEFAULT 0,           -- affected orders listed
  PRIMARY KEY (sku, warehouse, episode)
);

-- The orders an episode's events listed, so an ETA update goes to the same
-- customers even when orders were shipped or added since.
CREATE TABLE stock.shortage_orders (
  sku        text NOT NULL,
  warehouse  text NOT NULL,
  episode    int NOT NULL,
  order_id   text NOT NULL,
  quantity   int NOT NULL,
  PRIMARY KEY (sku, warehouse, episode, order_id)
);

GRANT USAGE ON SCHEMA stock TO peakdesk_stock, peakdesk_router, peakdesk_promo, peakdesk_survey, peakdesk_cli;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA stock TO peakdesk_stock;
GRANT SELECT ON ALL TABLES IN SCHEMA stock TO peakdesk_router, peakdesk_promo, peakdesk_survey, peakdesk_cli;

-- Analysts: levels and shortages (no personal data in either).
CREATE VIEW analytics.stock_levels AS
  SELECT l.sku, s.name AS sku_name, l.warehouse, l.on_hand, l.reserved, l.available, s.presale,
         l.restock_eta, l.ship_by, l.shortage_open, l.episodes, l.updated_at
  FROM stock.levels l JOIN stock.skus s USING (sku);
COMMENT ON VIEW analytics.stock_levels IS 'Current stock of every SKU in every warehouse (newest report by the department''s version)';
COMMENT ON COLUMN analytics.stock_levels.sku IS 'Stock keeping unit code';
COMMENT ON COLUMN analytics.stock_levels.sku_name IS 'Product name agents and customers recognise';
COMMENT ON COLUMN analytics.stock_levels.warehouse IS 'Warehouse code';
COMMENT ON COLUMN analytics.stock_levels.on_hand IS 'Units physically in the warehouse';
COMMENT ON COLUMN analytics.stock_levels.reserved IS 'Units promised to orders';
COMMENT ON COLUMN analytics.stock_levels.available IS 'Units that can still be sold (as the department computed it)';
COMMENT ON COLUMN analytics.stock_levels.presale IS 'Sold before the stock arrives';
COMMENT ON COLUMN analytics.stock_levels.restock_eta IS 'Expected restock time, if known';
COMMENT ON COLUMN analytics.stock_levels.ship_by IS 'Ship-by date promised for presale orders';
COMMENT ON COLUMN analytics.stock_levels.shortage_open IS 'True while the SKU is out of stock in this warehouse';
COMMENT ON COLUMN analytics.stock_levels.episodes IS 'How many times it ran out';
COMMENT ON COLUMN analytics.stock_levels.updated_at IS 'When peakdesk applied the newest report';
GRANT SELECT ON analytics.stock_levels TO peakdesk_analyst;

CREATE VIEW analytics.stock_shortages AS
  SELECT h.sku, s.name AS sku_name, h.warehouse, h.episode, h.started_at, h.restocked_at,
         h.restocked_at - h.started_at AS duration, h.restock_eta, h.eta_updates, h.orders
  FROM stock.shortages h JOIN stock.skus s USING (sku);
COMMENT ON VIEW analytics.stock_shortages IS 'Every stock-out episode: when, how long, how many orders it hit';
COMMENT ON COLUMN analytics.stock_shortages.sku IS 'Stock keeping unit code';
COMMENT ON COLUMN analytics.stock_shortages.sku_name IS 'Product name';
COMMENT ON COLUMN analytics.stock_shortages.warehouse IS 'Warehouse code';
COMMENT ON COLUMN analytics.stock_shortages.episode IS 'Counts the stock-outs of this SKU in this warehouse, from 1';
COMMENT ON COLUMN analytics.stock_shortages.started_at IS 'When available reached 0';
COMMENT ON COLUMN analytics.stock_shortages.restocked_at IS 'When stock came back; NULL while still out';
COMMENT ON COLUMN analytics.stock_shortages.duration IS 'restocked_at - started_at; NULL while still out';
COMMENT ON COLUMN analytics.stock_shortages.restock_eta IS 'Newest restock ETA announced during the episode';
COMMENT ON COLUMN analytics.stock_shortages.eta_updates IS 'How many times the ETA moved later (each one re-notified the customers)';
COMMENT ON COLUMN analytics.stock_shortages.orders IS 'Unshipped orders containing the SKU when it ran out';
GRANT SELECT ON analytics.stock_shortages TO peakdesk_analyst;

-- Product feedback for supply: why customers complain about or return a
-- SKU. Reasons are the router's classification tags of after-sale and
-- complaint tickets that name an order containing the SKU, the
-- perfectionist risk signal's evidence (色差, 瑕疵, ...), and the reasons
-- given on returns.
CREATE VIEW analytics.sku_feedback AS
  WITH ticket_skus AS (
    SELECT DISTINCT t.ticket_id, i.sku, t.category, t.tags
    FROM router.tickets t
    JOIN router.ticket_refs r ON r.ticket_id = t.ticket_id AND r.kind = 'order'
    JOIN logistics.order_items i ON i.order_id = r.value
    WHERE t.category IN ('after-sale', 'complaint')
  ), reasons AS (
    SELECT sku, tag AS reason, 'ticket_tag' AS source, ticket_id::text AS item
      FROM ticket_skus, unnest(tags) AS tag
      WHERE tag NOT IN ('complaint', 'order-number', 'general', 'unclassified', 'negative', 'wants-human', 'rush')
    UNION ALL
    SELECT ts.sku, sig.evidence, 'risk_signal', ts.ticket_id::text
      FROM ticket_skus ts JOIN router.ticket_risk_signals sig
        ON sig.ticket_id = ts.ticket_id AND sig.code = 'perfectionist'
    UNION ALL
    SELECT DISTINCT i.sku, ret.reason, 'return', ret.return_id
      FROM logistics.returns ret JOIN logistics.order_items i USING (order_id)
      WHERE ret.reason <> ''
  )
  SELECT r.sku, coalesce(s.name, '') AS sku_name, r.reason, r.source, count(DISTINCT r.item) AS occurrences
  FROM reasons r LEFT JOIN stock.skus s USING (sku)
  GROUP BY r.sku, s.name, r.reason, r.source;
COMMENT ON VIEW analytics.sku_feedback IS 'Complaint and return reasons per SKU, for the supply department (rank by occurrences)';
COMMENT ON COLUMN analytics.sku_feedback.sku IS 'Stock keeping unit code';
COMMENT ON COLUMN analytics.sku_feedback.sku_name IS 'Product name ('''' when the stock service never heard of the SKU)';
COMMENT ON COLUMN analytics.sku_feedback.reason IS 'A ticket tag (quality, damage, size, ...), a perfectionist remark (色差, 瑕疵, ...) or a return reason';
COMMENT ON COLUMN analytics.sku_feedback.source IS 'ticket_tag, risk_signal or return';
COMMENT ON COLUMN analytics.sku_feedback.occurrences IS 'Distinct tickets (or returns) giving this reason for this SKU';
GRANT SELECT ON analytics.sku_feedback TO peakdesk_analyst;
