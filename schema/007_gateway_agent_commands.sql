-- Agent API calls accepted by the gateway, keyed by the command id (the
-- Idempotency-Key header when the client sends one), so a retried call is
-- acknowledged as a duplicate instead of replying to the customer twice.
CREATE TABLE gateway.agent_commands (
  command_id        text PRIMARY KEY,
  agent_id          text NOT NULL,
  ticket_public_id  text NOT NULL DEFAULT '',
  action            text NOT NULL,
  accepted_at       timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT ON gateway.agent_commands TO peakdesk_gateway;
GRANT SELECT ON gateway.agent_commands TO peakdesk_cli;

-- Commands the router has applied (agent.command is consumed exactly once
-- by offsets; this also protects against a command published twice).
CREATE TABLE router.applied_commands (
  command_id  text PRIMARY KEY,
  applied_at  timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT ON router.applied_commands TO peakdesk_router;
