-- What the router decided about a ticket and why: classification tags,
-- order/tracking numbers found in messages, and the bad-review risk signals
-- behind the score, so an agent sees the reasons.

ALTER TABLE router.tickets ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
ALTER TABLE router.tickets ADD COLUMN rule_id text NOT NULL DEFAULT '';      -- the deciding classification rule
ALTER TABLE router.tickets ADD COLUMN risk_flagged boolean NOT NULL DEFAULT false;
ALTER TABLE router.tickets ADD COLUMN assigned_at timestamptz;

CREATE TABLE router.ticket_refs (
  ticket_id  uuid NOT NULL REFERENCES router.tickets,
  kind       text NOT NULL,   -- order, tracking, return, phone
  value      text NOT NULL,
  found_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ticket_id, kind, value)
);
CREATE INDEX ticket_refs_value ON router.ticket_refs (kind, value);

CREATE TABLE router.ticket_risk_signals (
  ticket_id  uuid NOT NULL REFERENCES router.tickets,
  code       text NOT NULL,   -- negative_wording, threat, payment_dispute, compensation, silence, chasing, perfectionist
  weight     int NOT NULL,
  evidence   text NOT NULL,
  computed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ticket_id, code)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON router.ticket_refs, router.ticket_risk_signals TO peakdesk_router;
GRANT SELECT ON router.ticket_refs, router.ticket_risk_signals TO peakdesk_gateway, peakdesk_survey,
  peakdesk_stock, peakdesk_promo, peakdesk_cli;
