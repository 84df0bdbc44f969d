-- The router meets the stock and promo services: the campaign whose SLA
-- override set a ticket's deadline, and one stock-out notice per customer
-- per episode.

ALTER TABLE router.tickets ADD COLUMN sla_campaign_id text;
COMMENT ON COLUMN router.tickets.sla_campaign_id IS 'campaign whose SLA override set the first-response deadline; NULL: the normal table';

-- A customer with two orders of the out-of-stock SKU hears about it once.
CREATE UNIQUE INDEX proactive_notices_customer_episode ON router.proactive_notices (account, external_user_id, kind, episode)
  WHERE kind LIKE 'stockout:%' OR kind LIKE 'restocked:%';

-- Open tickets of a customer are found by identity when a department event
-- names the customer's channel account and user.
CREATE INDEX IF NOT EXISTS tickets_open_identity ON router.tickets (account, external_user_id)
  WHERE status NOT IN ('resolved', 'closed');
