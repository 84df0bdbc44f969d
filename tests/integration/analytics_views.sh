#!/bin/sh
# The analysts' surface (schema/025_analytics.sql, docs/analytics.md): on a
# small promo day seeded with known numbers, an analyst's own login role (a
# member of peakdesk_analyst, connected over the socket, not SET ROLE)
# gets the expected figures from every view, sees no phone number, name or
# channel user id in clear, cannot write anything and cannot read a raw
# table. Every column of every analytics view has a comment.
. "$(dirname "$0")/../lib.sh"
pd_setup

SU_DB=$PEAKDESK_DB
AN_DB="host=$PGDIR dbname=peakdesk user=alice_analyst"
su_q() { psql "$SU_DB" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
an_q() { psql "$AN_DB" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
# an_refused "what" SQL [any]: the analyst's statement must fail with "permission
# denied" (or "must be owner"); with "any", with any error (writing through a
# view that is not updatable fails before the privilege check; the
# privileges themselves are checked below with has_table_privilege)
an_refused() {
  _out=$(psql "$AN_DB" -XAtq -v ON_ERROR_STOP=1 -c "$2" 2>&1)
  _rc=$?
  if [ $_rc -ne 0 ] && { [ "${3:-}" = any ] || printf '%s' "$_out" | grep -qE 'permission denied|must be owner'; }; then ok "$1 refused"
  else fail "$1 not refused: $(printf '%s' "$_out" | head -c 200)"; fi
}

# ---- a small promo day (2025-11-11, China time), seeded as the superuser ----
psql "$SU_DB" -Xq -v ON_ERROR_STOP=1 >"$WORK/seed.log" 2>&1 <<'SQL' || { cat "$WORK/seed.log"; fail "seeding"; pd_done; exit 1; }
BEGIN;
INSERT INTO promo.campaigns(campaign_id, name, version, body, starts_at, ends_at, live)
  VALUES ('d11', '双11 2025', 1, '', '2025-11-11 00:00+08', '2025-11-12 00:00+08', true);
INSERT INTO promo.windows VALUES ('d11', 'main_day', '2025-11-11 00:00+08', '2025-11-12 00:00+08');
INSERT INTO promo.forecast_hours VALUES
  ('d11', '2025-11-11 10:00+08', '', 5, 5, 2, 0.8),
  ('d11', '2025-11-11 10:00+08', 'order', 2, 2, 1, 0.8),
  ('d11', '2025-11-11 11:00+08', '', 4, 4, 2, 0.8);

INSERT INTO router.customers(customer_id, display_name, phone, tier) VALUES
  ('c0000000-0000-4000-8000-000000000001', '张三丰', '13812345678', 'normal'),
  ('c0000000-0000-4000-8000-000000000002', '李四', '13900001111', 'vip'),
  ('c0000000-0000-4000-8000-000000000003', '王小明', '13700002222', 'normal'),
  ('c0000000-0000-4000-8000-000000000004', 'Alice Wong', '+86 136 0000 3333', 'normal');
INSERT INTO router.identities(account, external_user_id, channel, customer_id, display_name) VALUES
  ('webchat', 'wx-openid-zhang', 'webhook', 'c0000000-0000-4000-8000-000000000001', '张三丰'),
  ('webchat', 'wx-openid-li', 'webhook', 'c0000000-0000-4000-8000-000000000002', '李四'),
  ('webchat', 'wx-openid-wang', 'webhook', 'c0000000-0000-4000-8000-000000000003', '王小明'),
  ('webchat', 'wx-openid-alice', 'webhook', 'c0000000-0000-4000-8000-000000000004', 'Alice Wong');
INSERT INTO router.agents(agent_id, display_name, tier, groups, token_sha256) VALUES
  ('a1', '客服一号', 'frontline', '{order,complaints}', 'h1'), ('a2', '客服二号', 'lead', '{presale,after-sale}', 'h2');

-- 8 orders that day: 6 of campaign d11, 2 without a campaign
INSERT INTO logistics.orders(order_id, customer_id, phone, channel, account, external_user_id, status, ordered_at, warehouse, campaign_id) VALUES
  ('O1', '', '13812345678', 1, 'webchat', 'wx-openid-zhang', 'shipped', '2025-11-11 10:05+08', 'WH1', 'd11'),
  ('O2', '', '13900001111', 1, 'webchat', 'wx-openid-li', 'shipped', '2025-11-11 10:20+08', 'WH1', 'd11'),
  ('O3', '', '13700002222', 1, 'webchat', 'wx-openid-wang', 'shipped', '2025-11-11 00:30+08', 'WH1', 'd11'),
  ('O4', '', '13700002222', 1, 'webchat', 'wx-openid-wang', 'shipped', '2025-11-11 01:30+08', 'WH1', 'd11'),
  ('O5', '', '13700002222', 1, 'webchat', 'wx-openid-wang', 'awaiting', '2025-11-11 02:30+08', 'WH1', 'd11'),
  ('O6', '', '+86 136 0000 3333', 1, 'webchat', 'wx-openid-alice', 'cancelled', '2025-11-11 03:30+08', 'WH1', 'd11'),
  ('O7', '', '13812345678', 1, 'webchat', 'wx-openid-zhang', 'shipped', '2025-11-11 04:30+08', 'WH2', ''),
  ('O8', '', '13900001111', 1, 'webchat', 'wx-openid-li', 'shipped', '2025-11-11 05:30+08', 'WH2', '');
INSERT INTO logistics.order_items(order_id, line_no, sku, name, quantity) VALUES
  ('O5', 1, 'SKU-MUG', '马克杯', 1), ('O6', 1, 'SKU-MUG', '马克杯', 2), ('O7', 1, 'SKU-TEA', '茶叶', 1);
INSERT INTO logistics.shipments(shipment_id, carrier, tracking_no, order_id, state, delay_open, delay_episodes, delayed_at) VALUES
  ('e0000000-0000-4000-8000-000000000001', 'yuantong', 'YT1', 'O7', 'in_transit', true, 1, '2025-11-11 11:00+08'),
  ('e0000000-0000-4000-8000-000000000002', 'yuantong', 'YT2', 'O2', 'delivered', false, 1, '2025-11-11 08:30+08'),
  ('e0000000-0000-4000-8000-000000000003', 'zto', 'ZT3', 'O1', 'in_transit', false, 0, NULL);
-- a return whose free-text reason carries the customer's phone number
INSERT INTO logistics.returns(return_id, order_id, state, reason) VALUES
  ('R1', 'O7', 'requested', '茶叶受潮，请打13812345678联系我');
INSERT INTO stock.skus(sku, name) VALUES ('SKU-MUG', '马克杯'), ('SKU-TEA', '茶叶');
INSERT INTO stock.levels(sku, warehouse, on_hand, reserved, available, version, shortage_open, episodes)
  VALUES ('SKU-MUG', 'WH1', 0, 0, 0, 1, true, 1);
INSERT INTO stock.shortages(sku, warehouse, episode, started_at, orders) VALUES ('SKU-MUG', 'WH1', 1, '2025-11-11 10:30+08', 2);
INSERT INTO stock.shortage_orders VALUES ('SKU-MUG', 'WH1', 1, 'O5', 1), ('SKU-MUG', 'WH1', 1, 'O6', 2);

-- 5 tickets that day: first responses 60/120/300/600 s, resolutions 1800/3600/7200 s,
-- 2 complaints (T3 by category, T4 by a later tag), 2 breached
INSERT INTO router.tickets(ticket_id, public_id, customer_id, status, category, priority, group_name, agent_id, channel, account,
    external_user_id, risk_score, risk_flagged, tags, created_at, first_response_at, resolved_at, sla_campaign_id) VALUES
  ('a0000000-0000-4000-8000-000000000001', 'pub-t1', 'c0000000-0000-4000-8000-000000000001', 'resolved', 'order', 2, 'order', 'a1',
   'wechat', 'webchat', 'wx-openid-zhang', 10, false, '{order}', '2025-11-11 10:00+08', '2025-11-11 10:01+08', '2025-11-11 10:30+08', 'd11'),
  ('a0000000-0000-4000-8000-000000000002', 'pub-t2', 'c0000000-0000-4000-8000-000000000002', 'resolved', 'presale', 2, 'presale', 'a2',
   'webhook', 'webchat', 'wx-openid-li', 20, false, '{product-question}', '2025-11-11 10:10+08', '2025-11-11 10:12+08', '2025-11-11 11:10+08', NULL),
  ('a0000000-0000-4000-8000-000000000003', 'pub-t3', 'c0000000-0000-4000-8000-000000000003', 'resolved', 'complaint', 3, 'complaints', 'a1',
   'webhook', 'webchat', 'wx-openid-wang', 70, true, '{complaint,regulator}', '2025-11-11 11:00+08', '2025-11-11 11:05+08', '2025-11-11 13:00+08', 'd11'),
  ('a0000000-0000-4000-8000-000000000004', 'pub-t4', 'c0000000-0000-4000-8000-000000000001', 'open', 'logistics', 3, 'after-sale', 'a2',
   'email', 'webchat', 'wx-openid-zhang', 45, false, '{complaint,damage,delay}', '2025-11-11 12:00+08', '2025-11-11 12:10+08', NULL, NULL),
  ('a0000000-0000-4000-8000-000000000005', 'pub-t5', 'c0000000-0000-4000-8000-000000000004', 'open', 'order', 2, 'order', '',
   'wechat', 'webchat', 'wx-openid-alice', 0, false, '{}', '2025-11-11 12:30+08', NULL, NULL, NULL),
  -- the next day: the service-recovery ticket after T3's low score
  ('a0000000-0000-4000-8000-000000000006', 'pub-t6', 'c0000000-0000-4000-8000-000000000003', 'open', 'after-sale', 3, 'complaints', 'a1',
   'webhook', 'webchat', 'wx-openid-wang', 0, false, '{service_recovery}', '2025-11-12 09:00+08', NULL, NULL, NULL);
INSERT INTO router.ticket_refs(ticket_id, kind, value) VALUES
  ('a0000000-0000-4000-8000-000000000004', 'order', 'O7'),
  ('a0000000-0000-4000-8000-000000000005', 'order', 'O6'),
  ('a0000000-0000-4000-8000-000000000001', 'order', 'O1'),
  ('a0000000-0000-4000-8000-000000000006', 'recovers', 'pub-t3');
INSERT INTO router.ticket_messages(message_id, ticket_id, direction, text, at) VALUES
  (gen_random_uuid(), 'a0000000-0000-4000-8000-000000000001', 'in', '我是张三丰 13812345678', '2025-11-11 10:00+08'),
  (gen_random_uuid(), 'a0000000-0000-4000-8000-000000000001', 'out', '您好', '2025-11-11 10:01+08'),
  (gen_random_uuid(), 'a0000000-0000-4000-8000-000000000002', 'in', '有货吗', '2025-11-11 10:10+08'),
  (gen_random_uuid(), 'a0000000-0000-4000-8000-000000000002', 'out', '有', '2025-11-11 10:12+08'),
  (gen_random_uuid(), 'a0000000-0000-4000-8000-000000000003', 'in', '投诉 12315', '2025-11-11 11:00+08'),
  (gen_random_uuid(), 'a0000000-0000-4000-8000-000000000003', 'in', '人呢', '2025-11-11 11:02+08'),
  (gen_random_uuid(), 'a0000000-0000-4000-8000-000000000003', 'out', '抱歉', '2025-11-11 11:05+08'),
  (gen_random_uuid(), 'a0000000-0000-4000-8000-000000000004', 'in', '快递坏了', '2025-11-11 12:00+08'),
  (gen_random_uuid(), 'a0000000-0000-4000-8000-000000000004', 'out', '马上处理', '2025-11-11 12:10+08'),
  (gen_random_uuid(), 'a0000000-0000-4000-8000-000000000005', 'in', 'Alice Wong here', '2025-11-11 12:30+08');
INSERT INTO router.ticket_events(ticket_id, kind, actor, at) VALUES
  ('a0000000-0000-4000-8000-000000000001', 'agent_reply', 'agent:a1', '2025-11-11 10:01+08'),
  ('a0000000-0000-4000-8000-000000000002', 'agent_reply', 'agent:a2', '2025-11-11 10:12+08'),
  ('a0000000-0000-4000-8000-000000000003', 'agent_reply', 'agent:a1', '2025-11-11 11:05+08'),
  ('a0000000-0000-4000-8000-000000000004', 'agent_reply', 'agent:a2', '2025-11-11 12:10+08');
INSERT INTO router.sla_breaches(ticket_id, kind, tier, deadline, breached_at) VALUES
  ('a0000000-0000-4000-8000-000000000003', 'first_response', 'frontline', '2025-11-11 11:03+08', '2025-11-11 11:03+08'),
  ('a0000000-0000-4000-8000-000000000004', 'first_response', 'frontline', '2025-11-11 12:05+08', '2025-11-11 12:05+08'),
  ('a0000000-0000-4000-8000-000000000004', 'resolution', 'lead', '2025-11-11 14:00+08', '2025-11-11 14:00+08');

-- proactive notices: li's delay (he then asks, no complaint), zhang's delay
-- (he then complains), wang's stock-out (nothing after)
INSERT INTO router.proactive_notices(order_id, kind, episode, customer_id, account, external_user_id, outbound_id, sent_at, channel) VALUES
  ('O2', 'delay', 1, 'c0000000-0000-4000-8000-000000000002', 'webchat', 'wx-openid-li', 'ob1', '2025-11-11 09:00+08', 1),
  ('O7', 'delay', 1, NULL, 'webchat', 'wx-openid-zhang', 'ob2', '2025-11-11 11:30+08', 1),
  ('O5', 'stockout:SKU-MUG@WH1', 1, 'c0000000-0000-4000-8000-000000000003', 'webchat', 'wx-openid-wang', 'ob3', '2025-11-11 11:30+08', 1);
INSERT INTO gateway.outbound_messages(outbound_id, account, channel, external_user_id, reason, text, status, created_at, delivered_at) VALUES
  ('ob1', 'webchat', 'webhook', 'wx-openid-li', 3, '您的包裹比预期慢', 'delivered', '2025-11-11 09:00+08', '2025-11-11 09:00:02+08'),
  ('ob2', 'webchat', 'webhook', 'wx-openid-zhang', 3, '您的包裹比预期慢', 'delivered', '2025-11-11 11:30+08', '2025-11-11 11:30:01+08'),
  ('ob3', 'webchat', 'webhook', 'wx-openid-wang', 3, '缺货', 'dead', '2025-11-11 11:30+08', NULL);

-- surveys: CSAT 5,4,2,5 (75 %), NPS 10,9,3,7 (+25), DSR 4/5/3 and 2/5/5,
-- 12 sent of which 10 answered, 1 skipped and 1 queued not counted
INSERT INTO survey.invitations(invitation_id, ticket_id, ticket_public_id, customer_id, kind, channel, account, external_user_id,
    category, group_name, agent_id, campaign_id, risk_score, resolved_at, state, sent_at) VALUES
  ('b0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'pub-t1', 'c0000000-0000-4000-8000-000000000001', 'csat', 'wechat', 'webchat', 'wx-openid-zhang', 'order', 'order', 'a1', 'd11', 10, '2025-11-11 10:30+08', 'answered', '2025-11-11 10:31+08'),
  ('b0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000002', 'pub-t2', 'c0000000-0000-4000-8000-000000000002', 'csat', 'webhook', 'webchat', 'wx-openid-li', 'presale', 'presale', 'a2', '', 20, '2025-11-11 11:10+08', 'answered', '2025-11-11 11:11+08'),
  ('b0000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000003', 'pub-t3', 'c0000000-0000-4000-8000-000000000003', 'csat', 'webhook', 'webchat', 'wx-openid-wang', 'complaint', 'complaints', 'a1', 'd11', 70, '2025-11-11 13:00+08', 'answered', '2025-11-11 13:01+08'),
  ('b0000000-0000-4000-8000-000000000004', 'f0000000-0000-4000-8000-000000000004', 'pub-x4', 'c0000000-0000-4000-8000-000000000004', 'csat', 'email', 'webchat', 'wx-openid-alice', 'after-sale', 'after-sale', 'a2', '', 5, '2025-11-11 09:00+08', 'answered', '2025-11-11 09:01+08'),
  ('b0000000-0000-4000-8000-000000000005', 'f0000000-0000-4000-8000-000000000005', 'pub-x5', 'c0000000-0000-4000-8000-000000000001', 'nps', 'wechat', 'webchat', 'wx-openid-zhang', 'order', 'order', 'a1', 'd11', 0, '2025-11-11 09:00+08', 'answered', '2025-11-11 09:01+08'),
  ('b0000000-0000-4000-8000-000000000006', 'f0000000-0000-4000-8000-000000000006', 'pub-x6', 'c0000000-0000-4000-8000-000000000002', 'nps', 'wechat', 'webchat', 'wx-openid-li', 'order', 'order', 'a1', 'd11', 0, '2025-11-11 09:00+08', 'answered', '2025-11-11 09:01+08'),
  ('b0000000-0000-4000-8000-000000000007', 'f0000000-0000-4000-8000-000000000007', 'pub-x7', 'c0000000-0000-4000-8000-000000000003', 'nps', 'wechat', 'webchat', 'wx-openid-wang', 'order', 'order', 'a2', '', 65, '2025-11-11 09:00+08', 'answered', '2025-11-11 09:01+08'),
  ('b0000000-0000-4000-8000-000000000008', 'f0000000-0000-4000-8000-000000000008', 'pub-x8', 'c0000000-0000-4000-8000-000000000004', 'nps', 'wechat', 'webchat', 'wx-openid-alice', 'order', 'order', 'a2', '', 0, '2025-11-11 09:00+08', 'answered', '2025-11-11 09:01+08'),
  ('b0000000-0000-4000-8000-000000000009', 'f0000000-0000-4000-8000-000000000009', 'pub-x9', 'c0000000-0000-4000-8000-000000000001', 'dsr', 'webhook', 'webchat', 'wx-openid-zhang', 'order', 'order', 'a1', 'd11', 0, '2025-11-11 09:00+08', 'answered', '2025-11-11 09:01+08'),
  ('b0000000-0000-4000-8000-000000000010', 'f0000000-0000-4000-8000-000000000010', 'pub-x10', 'c0000000-0000-4000-8000-000000000002', 'dsr', 'webhook', 'webchat', 'wx-openid-li', 'order', 'order', 'a1', 'd11', 0, '2025-11-11 09:00+08', 'answered', '2025-11-11 09:01+08'),
  ('b0000000-0000-4000-8000-000000000011', 'f0000000-0000-4000-8000-000000000011', 'pub-x11', 'c0000000-0000-4000-8000-000000000003', 'csat', 'webhook', 'webchat', 'wx-openid-wang', 'order', 'order', 'a2', '', 0, '2025-11-11 09:00+08', 'sent', '2025-11-11 09:01+08'),
  ('b0000000-0000-4000-8000-000000000012', 'f0000000-0000-4000-8000-000000000012', 'pub-x12', 'c0000000-0000-4000-8000-000000000004', 'csat', 'webhook', 'webchat', 'wx-openid-alice', 'order', 'order', 'a2', '', 0, '2025-11-11 09:00+08', 'expired', '2025-11-11 09:01+08'),
  ('b0000000-0000-4000-8000-000000000013', 'f0000000-0000-4000-8000-000000000013', 'pub-x13', 'c0000000-0000-4000-8000-000000000001', 'csat', 'webhook', 'webchat', 'wx-openid-zhang', 'order', 'order', 'a2', '', 0, '2025-11-11 09:00+08', 'skipped', NULL),
  ('b0000000-0000-4000-8000-000000000014', 'f0000000-0000-4000-8000-000000000014', 'pub-x14', 'c0000000-0000-4000-8000-000000000002', 'csat', 'webhook', 'webchat', 'wx-openid-li', 'order', 'order', 'a2', '', 0, '2025-11-11 09:00+08', 'queued', NULL);
INSERT INTO survey.responses(invitation_id, csat, description_score, attitude_score, logistics_score, nps, comment, negative_comment, via, low_score, low_reasons, answered_at) VALUES
  ('b0000000-0000-4000-8000-000000000001', 5, NULL, NULL, NULL, NULL, '很好', false, 'link', false, '{}', '2025-11-11 10:40+08'),
  ('b0000000-0000-4000-8000-000000000002', 4, NULL, NULL, NULL, NULL, '', false, 'channel', false, '{}', '2025-11-11 11:20+08'),
  ('b0000000-0000-4000-8000-000000000003', 2, NULL, NULL, NULL, NULL, '我是王小明，电话13700002222，太失望了，找我老婆13511112222', true, 'link', true, '{csat}', '2025-11-11 13:10+08'),
  ('b0000000-0000-4000-8000-000000000004', 5, NULL, NULL, NULL, NULL, 'Alice Wong says thanks', false, 'link', false, '{}', '2025-11-11 09:10+08'),
  ('b0000000-0000-4000-8000-000000000005', NULL, NULL, NULL, NULL, 10, '', false, 'link', false, '{}', '2025-11-11 09:10+08'),
  ('b0000000-0000-4000-8000-000000000006', NULL, NULL, NULL, NULL, 9, '', false, 'link', false, '{}', '2025-11-11 09:10+08'),
  ('b0000000-0000-4000-8000-000000000007', NULL, NULL, NULL, NULL, 3, '太慢', true, 'link', true, '{nps}', '2025-11-11 09:10+08'),
  ('b0000000-0000-4000-8000-000000000008', NULL, NULL, NULL, NULL, 7, '', false, 'link', false, '{}', '2025-11-11 09:10+08'),
  ('b0000000-0000-4000-8000-000000000009', NULL, 4, 5, 3, NULL, '', false, 'link', false, '{}', '2025-11-11 09:10+08'),
  ('b0000000-0000-4000-8000-000000000010', NULL, 2, 5, 5, NULL, '', false, 'link', true, '{description}', '2025-11-11 09:10+08');
COMMIT;
ANALYZE;
SQL
ok "promo day seeded"

# ---- the analyst's own login role ----------------------------------------
su_q "CREATE ROLE alice_analyst LOGIN IN ROLE peakdesk_analyst"
eq "analyst connects as its own login role" "alice_analyst|f" \
  "$(an_q "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user" 2>&1)"

# ---- every view answers, as the analyst ------------------------------------
views=$(su_q "SELECT table_name FROM information_schema.views WHERE table_schema = 'analytics' ORDER BY 1")
nviews=$(printf '%s\n' "$views" | grep -c .)
check "at least 20 analytics views ($nviews)" test "$nviews" -ge 20
for v in $views; do
  n=$(an_q "SELECT count(*) FROM analytics.$v" 2>&1)
  case $n in
    ''|*[!0-9]*) fail "analytics.$v answers the analyst: $n" ;;
    0) fail "analytics.$v has no row on the promo day" ;;
    *) ok "analytics.$v answers ($n rows)" ;;
  esac
done
n=0; for v in $views; do psql "$SU_DB" -XAtq -c "SET ROLE peakdesk_cli; SELECT 1 FROM analytics.$v LIMIT 1" >/dev/null 2>&1 || n=$((n + 1)); done
eq "peakdesk_cli reads every view" 0 "$n"

# ---- comments --------------------------------------------------------------
eq "every column of every analytics view has a comment" "" \
  "$(su_q "SELECT string_agg(c.table_name || '.' || c.column_name, ' ') FROM information_schema.columns c
           WHERE c.table_schema = 'analytics'
             AND coalesce(col_description(format('%I.%I', c.table_schema, c.table_name)::regclass, c.ordinal_position), '') = ''")"
eq "every analytics view has a comment" "" \
  "$(su_q "SELECT string_agg(c.relname, ' ') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'analytics' AND c.relkind IN ('v', 'm') AND coalesce(obj_description(c.oid, 'pg_class'), '') = ''")"
eq "analytics holds views only (no tables)" 0 \
  "$(su_q "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'analytics' AND c.relkind NOT IN ('v')")"

# ---- the figures -----------------------------------------------------------
D="day = '2025-11-11'"
eq "response_times: tickets, answered, p50/p90 first response, p50 resolution" "5|4|210.000|510.000|3|3600.000" \
  "$(an_q "SELECT tickets, responded, round(first_response_p50_s::numeric, 3), round(first_response_p90_s::numeric, 3), resolved,
                  round(resolution_p50_s::numeric, 3)
           FROM analytics.response_times WHERE breakdown = 'day' AND $D")"
eq "response_times by channel: webhook p50 first response" "210" \
  "$(an_q "SELECT first_response_p50_s FROM analytics.response_times WHERE breakdown = 'day,channel' AND $D AND channel = 'webhook'")"
eq "sla_breach_rate: 2 of 5 tickets breached = 40 %" "5|2|40.00|2|1|1" \
  "$(an_q "SELECT sum(tickets), sum(breached_tickets), round(100.0 * sum(breached_tickets) / sum(tickets), 2),
                  sum(first_response_breached), sum(resolution_breached), sum(lead_breached)
           FROM analytics.sla_breach_rate WHERE $D")"
eq "sla_breach_rate per row: complaints group 100 %" "100.00" \
  "$(an_q "SELECT breach_rate_pct FROM analytics.sla_breach_rate WHERE $D AND group_name = 'complaints'")"
eq "complaint_rate: 2 complaints per 8 orders = 250 per 1,000" "8|2|250.00" \
  "$(an_q "SELECT orders, complaints, complaints_per_1000_orders FROM analytics.complaint_rate WHERE $D AND campaign_id IS NULL")"
eq "complaint_rate: campaign d11 1 per 6 orders" "6|1|166.67" \
  "$(an_q "SELECT orders, complaints, complaints_per_1000_orders FROM analytics.complaint_rate WHERE $D AND campaign_id = 'd11'")"
eq "complaint_reasons: regulator, delay, damage once each" "damage:1 delay:1 regulator:1" \
  "$(an_q "SELECT string_agg(reason || ':' || complaints, ' ' ORDER BY reason) FROM analytics.complaint_reasons WHERE $D")"
eq "ticket_volume: opened, complaints, resolved, messages in/out" "5|2|3|6|4" \
  "$(an_q "SELECT sum(tickets_opened), sum(complaints_opened), sum(tickets_resolved), sum(messages_in), sum(messages_out)
           FROM analytics.ticket_volume WHERE hour_start >= '2025-11-11 00:00+08' AND hour_start < '2025-11-12 00:00+08'")"
eq "ticket_volume: the 10:00 hour" "2|2" \
  "$(an_q "SELECT sum(tickets_opened), sum(messages_in) FROM analytics.ticket_volume WHERE hour_start = '2025-11-11 10:00+08'")"
eq "survey_scores: CSAT 75 %, NPS 25, response rate 83.33 %" "12|10|83.33|4|3|75.00|25.00|3" \
  "$(an_q "SELECT invitations_sent, answered, response_rate_pct, csat_answers, csat_satisfied, csat_pct, nps, low_scores
           FROM analytics.survey_scores WHERE breakdown = ''")"
eq "survey_scores: dimension averages" "3.00|5.00|4.00|4.00" \
  "$(an_q "SELECT avg_description, avg_attitude, avg_logistics, avg_csat FROM analytics.survey_scores WHERE breakdown = ''")"
eq "survey_scores per day equals the total" "75.00|25.00" \
  "$(an_q "SELECT csat_pct, nps FROM analytics.survey_scores WHERE breakdown = 'day' AND $D")"
eq "survey_scores per agent: a1 CSAT 50 %, NPS 100" "50.00|100.00" \
  "$(an_q "SELECT csat_pct, nps FROM analytics.survey_scores WHERE breakdown = 'agent' AND agent_id = 'a1'")"
eq "survey_scores per campaign d11 and per channel email" "50.00|100.00" \
  "$(an_q "SELECT (SELECT csat_pct FROM analytics.survey_scores WHERE breakdown = 'campaign' AND campaign_id = 'd11'),
                  (SELECT csat_pct FROM analytics.survey_scores WHERE breakdown = 'channel' AND channel = 'email')")"
eq "survey_scores per group: order group response rate" "77.78" \
  "$(an_q "SELECT response_rate_pct FROM analytics.survey_scores WHERE breakdown = 'day,group' AND $D AND group_name = 'order'")"
eq "risk_vs_low_scores: the 60-84 band answered 2, both low" "2|2|100.00|t" \
  "$(an_q "SELECT answered, low_scores, low_score_rate_pct, flagged FROM analytics.risk_vs_low_scores WHERE $D AND risk_band = '60-84'")"
eq "proactive_notice_outcomes: delay 2 notices, 2 wrote in, 1 complained" "2|2|2|1|50.00" \
  "$(an_q "SELECT notices, delivered, contacted_after, complained_after, complaint_rate_pct
           FROM analytics.proactive_notice_outcomes WHERE $D AND notice_kind = 'delay'")"
eq "proactive_notice_outcomes: stock-out notice undelivered, no complaint" "1|0|0" \
  "$(an_q "SELECT notices, delivered, complained_after FROM analytics.proactive_notice_outcomes WHERE $D AND notice_kind = 'stockout'")"
eq "proactive_notices: who complained after" "O2:false:true O5:false:true O7:true:true" \
  "$(an_q "SELECT string_agg(order_id || ':' || complained_after || ':' || contacted_after, ' ' ORDER BY order_id) FROM analytics.proactive_notices")"
eq "proactive_notices: sku and warehouse of a stock-out notice" "stockout|SKU-MUG|WH1|dead" \
  "$(an_q "SELECT notice_kind, sku, warehouse, delivery_status FROM analytics.proactive_notices WHERE order_id = 'O5'")"
eq "stockout_impact: 2 orders, 1 notified, 1 cancelled, 1 with a ticket" "2|1|1|1|0" \
  "$(an_q "SELECT affected_orders, notified_orders, cancelled_orders, orders_with_tickets, orders_with_complaints FROM analytics.stockout_impact")"
eq "delay_impact: 2 late parcels, both notified, 1 complaint" "2|1|2|1|1|0" \
  "$(an_q "SELECT sum(delayed_shipments), sum(still_late), sum(notified), sum(with_complaints), sum(notified_with_complaints),
                  sum(unnotified_with_complaints) FROM analytics.delay_impact WHERE $D")"
eq "agent_scorecards: a1 replies, first responses, p50, resolved, breaches, CSAT, NPS" "frontline|2|2|180|2|1|1|50.00|100.00" \
  "$(an_q "SELECT tier, replies, first_responses, first_response_p50_s, resolved, complaints_resolved, breached_tickets, csat_pct, nps
           FROM analytics.agent_scorecards WHERE $D AND agent_id = 'a1'")"
eq "agent_scorecards: a2 breached tickets, surveys sent/answered" "1|6|4" \
  "$(an_q "SELECT breached_tickets, surveys_sent, surveys_answered FROM analytics.agent_scorecards WHERE $D AND agent_id = 'a2'")"
eq "forecast_vs_actual: the 10:00 hour, all groups and order group" "2|2 1|2" \
  "$(an_q "SELECT string_agg(actual_consultations || '|' || actual_orders, ' ' ORDER BY group_name)
           FROM analytics.forecast_vs_actual WHERE campaign_id = 'd11' AND hour_start = '2025-11-11 10:00+08'")"
eq "outbound_delivery: proactive notices 2 delivered 1 dead" "3|2|1" \
  "$(an_q "SELECT sum(messages), sum(delivered), sum(dead) FROM analytics.outbound_delivery WHERE reason = 'proactive_notice'")"
eq "tickets: complaint flag by tag and campaign via the order" "t|" \
  "$(an_q "SELECT is_complaint, campaign_id FROM analytics.tickets WHERE ticket_id = 'a0000000-0000-4000-8000-000000000004'")"
eq "tickets: campaign via the SLA override" "d11" \
  "$(an_q "SELECT campaign_id FROM analytics.tickets WHERE ticket_id = 'a0000000-0000-4000-8000-000000000003'")"
eq "survey_responses: the recovery ticket of the low score" "a0000000-0000-4000-8000-000000000006|open" \
  "$(an_q "SELECT recovery_ticket_id, recovery_status FROM analytics.survey_responses WHERE invitation_id = 'b0000000-0000-4000-8000-000000000003'")"

# ---- masking ---------------------------------------------------------------
eq "tickets: names to first character, phones 138****5678" "A*|136****3333 张*|138****5678 李*|139****1111 王*|137****2222" \
  "$(an_q "SELECT string_agg(DISTINCT customer_name || '|' || customer_phone, ' ' ORDER BY customer_name || '|' || customer_phone) FROM analytics.tickets")"
eq "customer_key is md5 of the customer id" "$(su_q "SELECT md5('c0000000-0000-4000-8000-000000000001')")" \
  "$(an_q "SELECT DISTINCT customer_key FROM analytics.tickets WHERE customer_name = '张*'")"
eq "survey comment masked" "我是王*，电话137****2222，太失望了，找我老婆135****2222" \
  "$(an_q "SELECT comment FROM analytics.survey_responses WHERE invitation_id = 'b0000000-0000-4000-8000-000000000003'")"
eq "mask functions usable by analysts" "138****5678|张*|*|" \
  "$(an_q "SELECT analytics.mask_phone('13812345678') || '|' || analytics.mask_name('张三丰') || '|' || analytics.mask_name('王') || '|' || analytics.mask_phone('')")"
leaks=""
for v in $views; do
  an_q "SELECT x::text FROM analytics.$v x" >"$WORK/view.txt" 2>&1 || { leaks="$leaks $v(unreadable)"; continue; }
  for secret in 13812345678 13900001111 13700002222 13511112222 '136 0000 3333' 13600003333 张三丰 李四 王小明 'Alice Wong' \
                wx-openid pub-t 客服一号; do
    grep -qF "$secret" "$WORK/view.txt" && leaks="$leaks $v:$secret"
  done
done
eq "no view shows a seeded phone, name, channel user id, public ticket id or agent name" "" "$leaks"

# ---- the analyst cannot write or read raw tables ---------------------------
an_refused "INSERT into an analytics view" "INSERT INTO analytics.campaigns(campaign_id) VALUES ('x')"
an_refused "UPDATE of an analytics view" "UPDATE analytics.shipments SET state = 'lost'" any
an_refused "DELETE from an analytics view" "DELETE FROM analytics.survey_responses" any
an_refused "UPDATE of a raw table" "UPDATE router.tickets SET status = 'closed'"
an_refused "DELETE from a raw table" "DELETE FROM survey.responses"
an_refused "INSERT into a raw table" "INSERT INTO logistics.orders(order_id, status) VALUES ('X', 'awaiting')"
an_refused "CREATE TABLE in analytics" "CREATE TABLE analytics.mine(i int)"
an_refused "CREATE VIEW in analytics" "CREATE VIEW analytics.mine AS SELECT 1 AS one"
an_refused "CREATE TABLE in public" "CREATE TABLE public.mine(i int)"
an_refused "CREATE SCHEMA" "CREATE SCHEMA mine"
an_refused "DROP VIEW" "DROP VIEW analytics.tickets"
for t in router.tickets router.customers router.ticket_messages gateway.inbound_messages gateway.outbound_messages \
         logistics.orders survey.responses survey.invitations stock.levels promo.campaigns bus.outbox; do
  an_refused "SELECT from raw $t" "SELECT * FROM $t LIMIT 1"
done
eq "analyst holds no privilege on any raw schema" "" \
  "$(su_q "SELECT string_agg(n.nspname, ' ') FROM pg_namespace n
           WHERE n.nspname IN ('router', 'gateway', 'logistics', 'stock', 'promo', 'survey', 'bus', 'public')
             AND (has_schema_privilege('alice_analyst', n.oid, 'USAGE') OR has_schema_privilege('alice_analyst', n.oid, 'CREATE'))")"
eq "analyst holds only SELECT in analytics" "" \
  "$(su_q "SELECT string_agg(DISTINCT c.relname, ' ') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
                  unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p
           WHERE n.nspname = 'analytics' AND has_table_privilege('alice_analyst', c.oid, p)")"
pd_done
