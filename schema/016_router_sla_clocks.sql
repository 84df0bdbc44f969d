-- The next-response and resolution clocks beside the first-response one.
-- Resolution pauses while the ticket waits on the customer or on a
-- department: sla_paused_since marks the pause, and resuming moves the
-- deadline by the time paused (deadline = start + target + paused).

ALTER TABLE router.tickets ADD COLUMN next_response_due timestamptz;
ALTER TABLE router.tickets ADD COLUMN resolution_due timestamptz;
ALTER TABLE router.tickets ADD COLUMN sla_paused_since timestamptz;
COMMENT ON COLUMN router.tickets.next_response_due IS 'an agent owes the customer an answer to a later message by then';
COMMENT ON COLUMN router.tickets.resolution_due IS 'resolution deadline of the current cycle (moved on by pauses)';
COMMENT ON COLUMN router.tickets.sla_paused_since IS 'waiting on the customer or a department since then: the resolution clock is paused';

CREATE INDEX tickets_next_response_due ON router.tickets (next_response_due)
  WHERE status = 'open' AND next_response_due IS NOT NULL;
CREATE INDEX tickets_resolution_due ON router.tickets (resolution_due)
  WHERE sla_paused_since IS NULL AND resolution_due IS NOT NULL AND status NOT IN ('resolved', 'closed');
