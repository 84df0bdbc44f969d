-- Promo-info sync: campaigns with their windows, rule texts and SLA
-- overrides, sales targets, and staffing forecasts kept beside the actual
-- volumes. Written only by peakdesk_promo; the router reads rules (for
-- auto-replies) and SLA overrides, analysts read the views.

CREATE SCHEMA promo;

CREATE TABLE promo.ingest_log (
  event_id    uuid PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE promo.campaigns (
  campaign_id     text PRIMARY KEY,
  name            text NOT NULL,
  channels        smallint[] NOT NULL DEFAULT '{}',  -- ChannelKind values; empty = every channel
  version         bigint NOT NULL,                   -- operations' version (or occurred_at): newest wins
  body            bytea NOT NULL,                    -- the applied Campaign message, to diff the next one against
  starts_at       timestamptz NOT NULL,              -- earliest window start
  ends_at         timestamptz NOT NULL,              -- latest window end
  live            boolean NOT NULL DEFAULT false,    -- as last announced on the bus
  forecast_due    boolean NOT NULL DEFAULT true,     -- targets or inputs changed since the last forecast
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX campaigns_forecast_due ON promo.campaigns (campaign_id) WHERE forecast_due;

CREATE TABLE promo.windows (
  campaign_id  text NOT NULL REFERENCES promo.campaigns ON DELETE CASCADE,
  kind         text NOT NULL CHECK (kind IN ('presale', 'deposit', 'final_payment', 'main_day')),
  starts_at    timestamptz NOT NULL,
  ends_at      timestamptz NOT NULL CHECK (ends_at > starts_at),
  PRIMARY KEY (campaign_id, kind)
);

-- Rule texts agents read and auto-replies quote; searchable by keyword.
CREATE TABLE promo.rules (
  campaign_id      text NOT NULL REFERENCES promo.campaigns ON DELETE CASCADE,
  rule_id          text NOT NULL,
  title            text NOT NULL DEFAULT '',
  text             text NOT NULL,
  keywords         text[] NOT NULL DEFAULT '{}',
  threshold_cents  bigint NOT NULL DEFAULT 0,
  discount_cents   bigint NOT NULL DEFAULT 0,
  percent_off      int NOT NULL DEFAULT 0 CHECK (percent_off BETWEEN 0 AND 100),
  coupon_code      text NOT NULL DEFAULT '',
  PRIMARY KEY (campaign_id, rule_id)
);
CREATE INDEX rules_keywords ON promo.rules USING gin (keywords);

-- SLA targets while a window runs; NULL window/priority/channel = any.
CREATE TABLE promo.sla_overrides (
  campaign_id             text NOT NULL REFERENCES promo.campaigns ON DELETE CASCADE,
  position                int NOT NULL,
  window_kind             text,
  priority                smallint,
  channel                 smallint,
  first_response_minutes  int NOT NULL DEFAULT 0,
  next_response_minutes   int NOT NULL DEFAULT 0,
  resolution_minutes      int NOT NULL DEFAULT 0,
  PRIMARY KEY (campaign_id, position)
);

CREATE TABLE promo.sales_targets (
  campaign_id              text NOT NULL REFERENCES promo.campaigns ON DELETE CASCADE,
  hour_start               timestamptz NOT NULL,
  gmv_cents                bigint NOT NULL CHECK (gmv_cents >= 0),
  avg_order_value_cents    bigint NOT NULL CHECK (avg_order_value_cents > 0),
  version                  bigint NOT NULL,
  PRIMARY KEY (campaign_id, hour_start)
);

-- The newest forecast of a campaign and the inputs it used.
CREATE TABLE promo.forecasts (
  campaign_id            text PRIMARY KEY REFERENCES promo.campaigns ON DELETE CASCADE,
  computed_at            timestamptz NOT NULL DEFAULT now(),
  consultation_rate      double precision NOT NULL,
  rate_source            text NOT NULL CHECK (rate_source IN ('history', 'configured')),
  avg_handle_seconds     int NOT NULL,
  chat_concurrency       int NOT NULL,
  target_answer_seconds  int NOT NULL,
  service_level_goal     double precision NOT NULL,
  group_shares           jsonb NOT NULL,                 -- {"presale": 0.3, ...}
  shares_source          text NOT NULL CHECK (shares_source IN ('history', 'configured'))
);

CREATE TABLE promo.forecast_hours (
  campaign_id             text NOT NULL REFERENCES promo.campaigns ON DELETE CASCADE,
  hour_start              timestamptz NOT NULL,
  group_name              text NOT NULL,                 -- '' = all groups pooled
  expected_orders         double precision NOT NULL,
  expected_consultations  double precision NOT NULL,
  agents_needed           int NOT NULL,
  service_level           double precision NOT NULL,
  PRIMARY KEY (campaign_id, hour_start, group_name)
);

GRANT USAGE ON SCHEMA promo TO peakdesk_promo, peakdesk_router, peakdesk_stock, peakdesk_survey, peakdesk_cli;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA promo TO peakdesk_promo;
GRANT SELECT ON ALL TABLES IN SCHEMA promo TO peakdesk_router, peakdesk_stock, peakdesk_survey, peakdesk_cli;
-- The forecast learns the consultation rate and group split from history.
GRANT USAGE ON SCHEMA router TO peakdesk_promo;
GRANT SELECT ON router.tickets TO peakdesk_promo;

-- Analysts: campaigns and the forecast beside what happened.
CREATE VIEW analytics.campaigns AS
  SELECT c.campaign_id, c.name, c.starts_at, c.ends_at, c.live,
         (SELECT string_agg(w.kind || ' ' || w.starts_at || ' - ' || w.ends_at, '; ' ORDER BY w.starts_at)
            FROM promo.windows w WHERE w.campaign_id = c.campaign_id) AS windows,
         (SELECT count(*) FROM promo.rules r WHERE r.campaign_id = c.campaign_id) AS rules
  FROM promo.campaigns c;
COMMENT ON VIEW analytics.campaigns IS 'Promo campaigns with their windows';
COMMENT ON COLUMN analytics.campaigns.campaign_id IS 'Campaign id given by operations';
COMMENT ON COLUMN analytics.campaigns.name IS 'Campaign name, e.g. 双11 2026';
COMMENT ON COLUMN analytics.campaigns.starts_at IS 'Start of the earliest window';
COMMENT ON COLUMN analytics.campaigns.ends_at IS 'End of the latest window';
COMMENT ON COLUMN analytics.campaigns.live IS 'Inside one of its windows when last checked';
COMMENT ON COLUMN analytics.campaigns.windows IS 'Windows (presale, deposit, final_payment, main_day) with their times';
COMMENT ON COLUMN analytics.campaigns.rules IS 'Number of discount/coupon rules';
GRANT SELECT ON analytics.campaigns TO peakdesk_analyst;

-- Hourly volumes are what the forecast is compared with (and what the
-- consultation rate is learned from).
CREATE INDEX tickets_created_at ON router.tickets (created_at);
CREATE INDEX orders_ordered_at ON logistics.orders (ordered_at);

-- Forecast vs actual: tickets opened in the hour (all, and per group they
-- were routed to) beside the forecast rows.
CREATE VIEW analytics.forecast_vs_actual AS
  SELECT f.campaign_id, f.hour_start, f.group_name, f.expected_orders, f.expected_consultations,
         f.agents_needed, f.service_level AS forecast_service_level,
         (SELECT count(*) FROM router.tickets t
            WHERE t.created_at >= f.hour_start AND t.created_at < f.hour_start + interval '1 hour'
              AND (f.group_name = '' OR t.group_name = f.group_name)) AS actual_consultations,
         (SELECT count(*) FROM logistics.orders o
            WHERE o.ordered_at >= f.hour_start AND o.ordered_at < f.hour_start + interval '1 hour'
              AND o.campaign_id = f.campaign_id) AS actual_orders
  FROM promo.forecast_hours f;
COMMENT ON VIEW analytics.forecast_vs_actual IS 'Hourly staffing forecast of each campaign beside the consultations (tickets opened) and orders that happened';
COMMENT ON COLUMN analytics.forecast_vs_actual.campaign_id IS 'Campaign id';
COMMENT ON COLUMN analytics.forecast_vs_actual.hour_start IS 'Start of the hour (UTC)';
COMMENT ON COLUMN analytics.forecast_vs_actual.group_name IS 'presale, order, after-sale, ...; empty = all groups pooled';
COMMENT ON COLUMN analytics.forecast_vs_actual.expected_orders IS 'Orders the sales target implies (GMV / average order value)';
COMMENT ON COLUMN analytics.forecast_vs_actual.expected_consultations IS 'Consultations expected (orders x consultation rate x group share)';
COMMENT ON COLUMN analytics.forecast_vs_actual.agents_needed IS 'Agents needed to meet the service level (Erlang C, with chat concurrency)';
COMMENT ON COLUMN analytics.forecast_vs_actual.forecast_service_level IS 'Share answered within the target time with that many agents';
COMMENT ON COLUMN analytics.forecast_vs_actual.actual_consultations IS 'Tickets opened in the hour (routed to the group, for group rows)';
COMMENT ON COLUMN analytics.forecast_vs_actual.actual_orders IS 'Orders of the campaign placed in the hour';
GRANT SELECT ON analytics.forecast_vs_actual TO peakdesk_analyst;
-- `peakdesk forecast` prints the same comparison.
GRANT USAGE ON SCHEMA analytics TO peakdesk_cli;
GRANT SELECT ON analytics.forecast_vs_actual TO peakdesk_cli;
