-- Identities merged into one customer when the same order number or phone
-- shows up from two of them: every merge is recorded with its evidence.

CREATE TABLE router.customer_merges (
  merge_no          bigserial PRIMARY KEY,
  merged_customer   uuid REFERENCES router.customers,  -- NULL: an identity linked, no customer merged
  into_customer     uuid NOT NULL REFERENCES router.customers,
  reason            text NOT NULL CHECK (reason IN ('order', 'phone')),
  evidence          text NOT NULL,                      -- the order number or phone that matched
  identity_account  text NOT NULL DEFAULT '',           -- the identity that matched
  identity_user     text NOT NULL DEFAULT '',
  ticket_id         uuid REFERENCES router.tickets,     -- the message that showed it
  at                timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, UPDATE ON router.customer_merges TO peakdesk_router;
GRANT USAGE ON SEQUENCE router.customer_merges_merge_no_seq TO peakdesk_router;
GRANT SELECT ON router.customer_merges TO peakdesk_gateway, peakdesk_survey, peakdesk_cli;

CREATE INDEX customers_phone ON router.customers (phone) WHERE phone <> '';
CREATE INDEX orders_phone ON logistics.orders (phone) WHERE phone <> '';
