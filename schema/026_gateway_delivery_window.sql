-- The delivery claim checks WeChat's reply window (48 h since the
-- customer's last message, at most 5 replies in it) by counting the
-- replies already delivered to that customer. Without this index every
-- claimed message read all of gateway.outbound_messages: `make bench`
-- part (l) saw 29,473 full-table reads of 638 million rows in 8 minutes at
-- 100 customer messages/s, the gateway's writer at 57 % of a core and its
-- webhook acks 14 s late (docs/benchmarks.md, "The whole suite").
CREATE INDEX outbound_messages_delivered_to ON gateway.outbound_messages (account, external_user_id, delivered_at)
  WHERE status = 'delivered';
