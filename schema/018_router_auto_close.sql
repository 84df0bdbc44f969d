-- A question answered by a machine from live facts: the ticket waits on
-- the customer and closes itself after a quiet period.
ALTER TABLE router.tickets ADD COLUMN auto_answered_at timestamptz;
ALTER TABLE router.tickets ADD COLUMN auto_closed boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN router.tickets.auto_answered_at IS 'an auto-reply answered the question before any agent did';
COMMENT ON COLUMN router.tickets.auto_closed IS 'resolved by the quiet period after an auto-reply, without an agent';
CREATE INDEX tickets_auto_close ON router.tickets (last_customer_message_at)
  WHERE status = 'pending_customer' AND auto_answered_at IS NOT NULL AND first_response_at IS NULL;

-- The channel a proactive notice went out on, so a follow-up notice (back
-- in stock) reaches the same channel even for a customer who never wrote.
ALTER TABLE router.proactive_notices ADD COLUMN channel smallint;
