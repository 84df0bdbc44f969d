-- Proactive notices: customers told about a problem (a late parcel, a
-- stock-out) before they ask. One per (order, kind, episode), so a notice
-- is never sent twice for the same trouble.
CREATE TABLE router.proactive_notices (
  order_id      text NOT NULL,
  kind          text NOT NULL,          -- delay, stockout
  episode       int NOT NULL DEFAULT 1,
  customer_id   uuid REFERENCES router.customers,
  account       text NOT NULL,
  external_user_id text NOT NULL,
  outbound_id   text NOT NULL,
  sent_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id, kind, episode)
);
GRANT SELECT, INSERT ON router.proactive_notices TO peakdesk_router;
GRANT SELECT ON router.proactive_notices TO peakdesk_gateway, peakdesk_survey, peakdesk_cli;
