-- Channel gateway, outbound: messages to deliver (from message.outbound) and
-- every delivery attempt, so agents see what reached the customer.

ALTER TABLE gateway.accounts ADD COLUMN access_token text NOT NULL DEFAULT '';  -- wechat: API access token

CREATE TABLE gateway.outbound_messages (
  outbound_id       text PRIMARY KEY,
  account           text NOT NULL,
  channel           text NOT NULL,
  external_user_id  text NOT NULL,
  ticket_public_id  text NOT NULL DEFAULT '',
  reason            smallint NOT NULL DEFAULT 0,
  subject           text NOT NULL DEFAULT '',
  text              text NOT NULL,
  reply_to          text NOT NULL DEFAULT '',
  -- pending -> sending -> delivered | pending (retry) | dead
  status            text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'delivered', 'dead')),
  attempts          int NOT NULL DEFAULT 0,
  next_attempt_at   timestamptz NOT NULL DEFAULT now(),
  last_error        text NOT NULL DEFAULT '',
  created_at        timestamptz NOT NULL DEFAULT now(),
  delivered_at      timestamptz
);
CREATE INDEX outbound_due ON gateway.outbound_messages (next_attempt_at) WHERE status = 'pending';

CREATE TABLE gateway.delivery_attempts (
  outbound_id  text NOT NULL REFERENCES gateway.outbound_messages,
  attempt      int NOT NULL,
  at           timestamptz NOT NULL DEFAULT now(),
  ok           boolean NOT NULL,
  http_status  int,
  error        text NOT NULL DEFAULT '',
  duration_ms  int NOT NULL DEFAULT 0,
  PRIMARY KEY (outbound_id, attempt)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON gateway.outbound_messages, gateway.delivery_attempts TO peakdesk_gateway;
GRANT SELECT ON gateway.outbound_messages, gateway.delivery_attempts TO peakdesk_cli, peakdesk_router;
