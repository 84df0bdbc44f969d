-- Agents and groups (router-owned). Agents authenticate to the gateway's
-- agent API with a bearer token of which only the SHA-256 is stored.

CREATE TABLE router.groups (
  name         text PRIMARY KEY CHECK (name ~ '^[a-z0-9_-]{1,40}$'),
  description  text NOT NULL DEFAULT '',
  department   boolean NOT NULL DEFAULT false,  -- warehouse, finance, ...: a department, not a chat team
  created_at   timestamptz NOT NULL DEFAULT now()
);
INSERT INTO router.groups(name, description, department) VALUES
  ('presale', 'questions before buying', false),
  ('order', 'orders and payment', false),
  ('after-sale', 'returns, exchanges, refunds', false),
  ('complaints', 'complaints and bad-review risk', false),
  ('vip', 'VIP customers', false),
  ('warehouse', 'warehouse department', true),
  ('finance', 'finance department', true);

CREATE TABLE router.agents (
  agent_id     text PRIMARY KEY CHECK (agent_id ~ '^[A-Za-z0-9_.-]{1,64}$'),
  display_name text NOT NULL DEFAULT '',
  tier         text NOT NULL DEFAULT 'frontline' CHECK (tier IN ('frontline', 'lead', 'supervisor')),
  groups       text[] NOT NULL DEFAULT '{}',
  capacity     int NOT NULL DEFAULT 5 CHECK (capacity >= 0),
  presence     text NOT NULL DEFAULT 'offline' CHECK (presence IN ('online', 'away', 'offline')),
  token_sha256 text NOT NULL UNIQUE,
  idle_since   timestamptz NOT NULL DEFAULT now(),
  created_at   timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT, UPDATE, DELETE ON router.groups, router.agents TO peakdesk_router;
GRANT SELECT ON router.groups, router.agents TO peakdesk_gateway, peakdesk_survey, peakdesk_cli;
-- The CLI manages agents and groups (peakdesk agent add, group add).
GRANT INSERT, UPDATE ON router.groups, router.agents TO peakdesk_cli;
