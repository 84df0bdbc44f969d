-- Agents' commitments to customers ("I will call you back by 15:00"): a
-- timed follow-up per reply that made one; the router reminds the agent
-- before it is due (ticket.follow_up_due) and marks it done when the agent
-- writes to the customer again or the ticket is resolved.
CREATE TABLE router.follow_ups (
  command_id   text PRIMARY KEY,                 -- the reply that made the commitment
  ticket_id    uuid NOT NULL REFERENCES router.tickets,
  agent_id     text NOT NULL,
  due_at       timestamptz NOT NULL,
  note         text NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT now(),
  alerted_at   timestamptz,                      -- the reminder went out
  done_at      timestamptz
);
CREATE INDEX follow_ups_pending ON router.follow_ups (due_at) WHERE done_at IS NULL AND alerted_at IS NULL;
CREATE INDEX follow_ups_agent ON router.follow_ups (agent_id) WHERE done_at IS NULL;
GRANT SELECT, INSERT, UPDATE ON router.follow_ups TO peakdesk_router;
GRANT SELECT ON router.follow_ups TO peakdesk_gateway, peakdesk_survey, peakdesk_cli;
