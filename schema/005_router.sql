-- Ticket router: customers and their channel identities, tickets and their
-- timeline. Written only by peakdesk_router; the gateway reads tickets and
-- their customer-visible timeline for the progress page.

CREATE SCHEMA router;

CREATE TABLE router.customers (
  customer_id   uuid PRIMARY KEY,
  display_name  text NOT NULL DEFAULT '',
  phone         text NOT NULL DEFAULT '',       -- personal data: masked in analytics
  tier          text NOT NULL DEFAULT 'normal', -- normal, vip
  merged_into   uuid REFERENCES router.customers,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- Who a customer is on each channel account.
CREATE TABLE router.identities (
  account           text NOT NULL,
  external_user_id  text NOT NULL,
  channel           text NOT NULL,
  customer_id       uuid NOT NULL REFERENCES router.customers,
  display_name      text NOT NULL DEFAULT '',
  created_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account, external_user_id)
);
CREATE INDEX identities_customer ON router.identities (customer_id);

CREATE TABLE router.tickets (
  ticket_id          uuid PRIMARY KEY,
  public_id          text NOT NULL UNIQUE,  -- unguessable id of the customer's progress page
  customer_id        uuid NOT NULL REFERENCES router.customers,
  status             text NOT NULL DEFAULT 'open'
                     CHECK (status IN ('open', 'pending_customer', 'pending_department', 'resolved', 'closed')),
  category           text NOT NULL DEFAULT 'unclassified',
  priority           smallint NOT NULL DEFAULT 2,
  group_name         text NOT NULL DEFAULT '',
  agent_id           text NOT NULL DEFAULT '',
  channel            text NOT NULL,
  account            text NOT NULL,
  external_user_id   text NOT NULL,
  subject            text NOT NULL DEFAULT '',
  risk_score         int NOT NULL DEFAULT 0,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  last_customer_message_at timestamptz,
  first_response_at  timestamptz,
  resolved_at        timestamptz
);
CREATE INDEX tickets_customer_open ON router.tickets (customer_id) WHERE status NOT IN ('resolved', 'closed');

CREATE TABLE router.ticket_messages (
  message_id   uuid PRIMARY KEY,              -- the gateway's message id: applying twice is impossible
  ticket_id    uuid NOT NULL REFERENCES router.tickets,
  direction    text NOT NULL CHECK (direction IN ('in', 'out')),
  text         text NOT NULL DEFAULT '',
  at           timestamptz NOT NULL
);
CREATE INDEX ticket_messages_ticket ON router.ticket_messages (ticket_id, at);

-- Every step of a ticket, with who or what did it; customer_visible steps
-- make the customer's progress page.
CREATE TABLE router.ticket_events (
  event_no          bigserial PRIMARY KEY,
  ticket_id         uuid NOT NULL REFERENCES router.tickets,
  kind              text NOT NULL,            -- created, message, reopened, assigned, ...
  actor             text NOT NULL,            -- customer, router, agent:<id>, department:<name>
  customer_visible  boolean NOT NULL DEFAULT false,
  label             text NOT NULL DEFAULT '', -- what the customer reads
  detail            jsonb NOT NULL DEFAULT '{}',
  at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_events_ticket ON router.ticket_events (ticket_id, event_no);

GRANT USAGE ON SCHEMA router TO peakdesk_router, peakdesk_gateway, peakdesk_survey, peakdesk_stock,
  peakdesk_promo, peakdesk_cli;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA router TO peakdesk_router;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA router TO peakdesk_router;
GRANT SELECT ON ALL TABLES IN SCHEMA router TO peakdesk_gateway, peakdesk_survey, peakdesk_stock,
  peakdesk_promo, peakdesk_cli;
