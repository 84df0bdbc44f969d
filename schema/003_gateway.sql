-- Channel gateway: channel accounts, raw inbound and outbound messages and
-- delivery attempts. Written only by peakdesk_gateway (and account
-- management by the CLI's migrate-owner connection).

CREATE SCHEMA gateway;

-- A channel account. Secrets are needed in clear to verify and sign (HMAC,
-- WeChat SHA-1, AES), so the table is readable by the gateway role only.
CREATE TABLE gateway.accounts (
  name        text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_.-]{1,64}$'),
  channel     text NOT NULL CHECK (channel IN ('webhook', 'wechat', 'email')),
  secret      text NOT NULL DEFAULT '',   -- webhook: HMAC-SHA256 key
  token       text NOT NULL DEFAULT '',   -- wechat: signature token
  aes_key     text NOT NULL DEFAULT '',   -- wechat: EncodingAESKey (43 chars) for safe mode
  appid       text NOT NULL DEFAULT '',   -- wechat: AppID
  url         text NOT NULL DEFAULT '',   -- outbound delivery URL (webhook) or API base (wechat)
  disabled    boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Every customer message as received; (account, external_message_id) is
-- the channel's own identity of the message, so a re-send is a duplicate.
CREATE TABLE gateway.inbound_messages (
  message_id           uuid PRIMARY KEY,
  account              text NOT NULL REFERENCES gateway.accounts,
  channel              text NOT NULL,
  external_user_id     text NOT NULL,
  external_user_name   text NOT NULL DEFAULT '',
  external_message_id  text NOT NULL,
  message_type         text NOT NULL DEFAULT 'text',
  text                 text NOT NULL DEFAULT '',
  subject              text NOT NULL DEFAULT '',
  attachments          jsonb NOT NULL DEFAULT '[]',
  in_reply_to          text NOT NULL DEFAULT '',
  sent_at              timestamptz,
  received_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account, external_message_id)
);
CREATE INDEX inbound_messages_user ON gateway.inbound_messages (account, external_user_id, received_at);

GRANT USAGE ON SCHEMA gateway TO peakdesk_gateway, peakdesk_cli;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA gateway TO peakdesk_gateway;
GRANT SELECT ON gateway.inbound_messages TO peakdesk_cli;
-- The CLI manages accounts (peakdesk account add/list/disable).
GRANT SELECT, INSERT, UPDATE ON gateway.accounts TO peakdesk_cli;
GRANT USAGE ON SCHEMA gateway TO peakdesk_router;
GRANT SELECT ON gateway.inbound_messages TO peakdesk_router;
