-- SLA: the first-response deadline of each ticket, the tier accountable for
-- it now, and every breach recorded once per (ticket, clock, tier).
ALTER TABLE router.tickets ADD COLUMN first_response_due timestamptz;
ALTER TABLE router.tickets ADD COLUMN escalation_tier text NOT NULL DEFAULT 'frontline'
  CHECK (escalation_tier IN ('frontline', 'lead', 'supervisor'));
CREATE INDEX tickets_first_response_due ON router.tickets (first_response_due)
  WHERE first_response_at IS NULL AND first_response_due IS NOT NULL;

CREATE TABLE router.sla_breaches (
  ticket_id    uuid NOT NULL REFERENCES router.tickets,
  kind         text NOT NULL,   -- first_response, next_response, resolution
  tier         text NOT NULL,   -- the tier that missed it
  deadline     timestamptz NOT NULL,
  breached_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ticket_id, kind, tier)
);
GRANT SELECT, INSERT ON router.sla_breaches TO peakdesk_router;
GRANT SELECT ON router.sla_breaches TO peakdesk_gateway, peakdesk_survey, peakdesk_cli;
