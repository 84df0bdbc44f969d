-- Indexes for the router's per-message hot path, found by `make bench`
-- (part router): each agent's open-ticket count at assignment scanned all
-- of router.tickets (659-730 ms per new ticket at 17,650 tickets and 350
-- agents), and the customer's latest ticket lookup scanned it too.
CREATE INDEX tickets_agent_open ON router.tickets (agent_id)
  WHERE status NOT IN ('resolved', 'closed');
CREATE INDEX tickets_customer_latest ON router.tickets (customer_id, updated_at DESC);
