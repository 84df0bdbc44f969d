-- The survey collector (services/survey): one invitation per resolved
-- ticket, its signed link, and at most one response to it.
CREATE SCHEMA IF NOT EXISTS survey;

-- One row per resolved ticket the collector considered. A ticket that
-- gets no survey (auto-closed, spam, merged duplicate, the customer was
-- asked too recently) keeps a row with state 'skipped' and the reason, so
-- "why did this customer get no survey" has an answer. The ticket's
-- channel, group, agent and campaign are copied at resolution time: the
-- scores belong to who handled it then, whatever happens to the ticket.
CREATE TABLE survey.invitations (
  invitation_id    uuid PRIMARY KEY,
  ticket_id        uuid NOT NULL UNIQUE,                -- one invitation per ticket, ever
  ticket_public_id text NOT NULL,
  customer_id      uuid NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('csat', 'dsr', 'nps')),
  channel          text NOT NULL,
  account          text NOT NULL,
  external_user_id text NOT NULL,
  category         text NOT NULL DEFAULT '',
  group_name       text NOT NULL DEFAULT '',
  agent_id         text NOT NULL DEFAULT '',
  campaign_id      text NOT NULL DEFAULT '',
  risk_score       int  NOT NULL DEFAULT 0,              -- the router's bad-review risk at resolution
  resolved_at      timestamptz NOT NULL,
  state            text NOT NULL CHECK (state IN ('queued', 'sent', 'answered', 'expired', 'skipped')),
  skip_reason      text NOT NULL DEFAULT '',
  send_at          timestamptz,                          -- earliest send time (after quiet hours)
  sent_at          timestamptz,
  outbound_id      text,
  expires_at       timestamptz,                          -- the link stops working then
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invitations_due ON survey.invitations (send_at) WHERE state = 'queued';
CREATE INDEX invitations_open ON survey.invitations (expires_at) WHERE state = 'sent';
-- the per-customer limit and the router's "is this a reply to a survey?"
CREATE INDEX invitations_customer ON survey.invitations (customer_id, created_at DESC) WHERE state <> 'skipped';
CREATE INDEX invitations_recipient ON survey.invitations (account, external_user_id, sent_at DESC)
  WHERE state IN ('sent', 'answered');
CREATE INDEX invitations_resolved ON survey.invitations (resolved_at);

-- At most one response per invitation (the primary key makes the second
-- one fail, which the service answers with 409).
CREATE TABLE survey.responses (
  invitation_id     uuid PRIMARY KEY REFERENCES survey.invitations,
  csat              smallint CHECK (csat BETWEEN 1 AND 5),
  description_score smallint CHECK (description_score BETWEEN 1 AND 5),
  attitude_score    smallint CHECK (attitude_score BETWEEN 1 AND 5),
  logistics_score   smallint CHECK (logistics_score BETWEEN 1 AND 5),
  nps               smallint CHECK (nps BETWEEN 0 AND 10),
  comment           text NOT NULL DEFAULT '',
  negative_comment  boolean NOT NULL DEFAULT false,
  via               text NOT NULL CHECK (via IN ('link', 'channel')),
  low_score         boolean NOT NULL,
  low_reasons       text[] NOT NULL DEFAULT '{}',        -- csat, description, attitude, logistics, nps
  answered_at       timestamptz NOT NULL,
  recorded_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX responses_answered ON survey.responses (answered_at);

GRANT USAGE ON SCHEMA survey TO peakdesk_survey, peakdesk_router, peakdesk_gateway, peakdesk_cli;
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA survey TO peakdesk_survey;
GRANT SELECT ON ALL TABLES IN SCHEMA survey TO peakdesk_router, peakdesk_gateway, peakdesk_cli;
