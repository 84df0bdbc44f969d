-- A synthetic promo day for `peakdesk report`: one campaign with a main-day
-- window and a pooled hourly forecast, then tickets, customer messages,
-- SLA breaches, proactive notices, surveys, orders and SKUs, all made with
-- generate_series as the superuser (it writes every service's tables).
-- Used by tests/bench/report.sh (1,000,000 messages) and
-- tests/e2e/report_chromium.sh (a few hundred). Deterministic (setseed).
--
--   psql -v campaign=D11 -v start='2025-11-11 00:00+08' -v tickets=250000 \
--        -v messages=1000000 -f tests/tools/gen_promo_day.sql
--
-- Shape: a midnight rush (40 % of the day's tickets in its first hours,
-- decaying) over a flat day; ~4 customer messages per ticket (`messages`
-- rows with direction 'in', all inside the day) plus one agent reply per
-- answered ticket ('out'); first responses slower in the rush; a
-- first-response breach for each reply later than 3 minutes; a notice for
-- one customer in 50; surveys for 60 % of resolved tickets, 30 % answered.
-- One SKU name holds markup characters (& < > " ') to prove the escaping.
\set ON_ERROR_STOP on
\if :{?campaign}
\else
\set campaign D11
\endif
\if :{?start}
\else
\set start '2025-11-11 00:00:00+08'
\endif
\if :{?tickets}
\else
\set tickets 250000
\endif
\if :{?messages}
\else
\set messages 1000000
\endif
SET client_min_messages = warning;
SELECT setseed(0.42);

BEGIN;
INSERT INTO promo.campaigns (campaign_id, name, version, body, starts_at, ends_at, live, forecast_due)
VALUES (:'campaign', '双11 2025 & friends', 1, '\x', :'start'::timestamptz - interval '20 days',
        :'start'::timestamptz + interval '1 day', true, false);
INSERT INTO promo.windows (campaign_id, kind, starts_at, ends_at) VALUES
  (:'campaign', 'presale', :'start'::timestamptz - interval '20 days', :'start'::timestamptz - interval '10 days'),
  (:'campaign', 'main_day', :'start'::timestamptz, :'start'::timestamptz + interval '1 day');
-- The forecast expected the rush but not quite all of it.
INSERT INTO promo.forecast_hours (campaign_id, hour_start, group_name, expected_orders, expected_consultations,
                                  agents_needed, service_level)
SELECT :'campaign', :'start'::timestamptz + h * interval '1 hour', '', 0,
       :tickets * (0.6 / 24 + 0.3 * (exp(-h / 2.0) - exp(-(h + 1) / 2.0))), 10, 0.8
FROM generate_series(0, 23) h;

-- SKUs: 200, a few of them behind most complaints.
INSERT INTO stock.skus (sku, name)
SELECT 'SKU-' || lpad(s::text, 4, '0'),
       CASE s WHEN 1 THEN 'Mug & <Cup> "Deluxe" ''22' ELSE (ARRAY['保温杯', '连衣裙', '蓝牙耳机', '运动鞋', '面膜'])[1 + s % 5] || ' ' || s END
FROM generate_series(1, 200) s
ON CONFLICT (sku) DO NOTHING;

-- The day's tickets, in a scratch table first (messages and surveys need them).
CREATE TEMP TABLE gen_t AS
SELECT n, md5('t' || :'campaign' || n)::uuid AS ticket_id, c AS cust, created_at, cat,
       CASE WHEN random() < 0.03 THEN NULL
            ELSE created_at + make_interval(secs => (15 + (-ln(1 - random())) * 50)
                                          * CASE WHEN created_at < :'start'::timestamptz + interval '2 hours' THEN 4 ELSE 1 END)
       END AS first_response_at,
       random() < 0.7 AS resolved, r2
FROM (
  SELECT n, (n - 1) % greatest(1, (:tickets * 0.9)::int) + 1 AS c,
         :'start'::timestamptz + interval '1 day' * CASE WHEN random() < 0.4 THEN power(random(), 4) ELSE random() END
           * 0.9999 AS created_at,
         CASE WHEN r < 0.25 THEN 'presale' WHEN r < 0.45 THEN 'order' WHEN r < 0.65 THEN 'logistics'
              WHEN r < 0.80 THEN 'after-sale' WHEN r < 0.88 THEN 'complaint' WHEN r < 0.93 THEN 'stock'
              WHEN r < 0.98 THEN 'promo' ELSE 'other' END AS cat,
         random() AS r2
  FROM (SELECT n, random() AS r FROM generate_series(1, :tickets) n) x
) y;
CREATE UNIQUE INDEX ON gen_t (n);
ANALYZE gen_t;

INSERT INTO router.customers (customer_id, display_name)
SELECT md5('c' || :'campaign' || c)::uuid, 'customer ' || c FROM (SELECT DISTINCT cust AS c FROM gen_t) x;

INSERT INTO router.tickets (ticket_id, public_id, customer_id, status, category, priority, group_name, agent_id,
                            channel, account, external_user_id, subject, created_at, updated_at,
                            last_customer_message_at, first_response_at, resolved_at, tags, sla_campaign_id,
                            first_response_due)
SELECT ticket_id, 'pub-' || :'campaign' || '-' || n, md5('c' || :'campaign' || cust)::uuid,
       CASE WHEN resolved THEN 'resolved' ELSE 'open' END, cat, CASE WHEN cat = 'complaint' THEN 1 ELSE 2 END,
       CASE cat WHEN 'complaint' THEN 'complaints' WHEN 'after-sale' THEN 'after-sale' WHEN 'presale' THEN 'presale'
                ELSE 'order' END,
       'agent-' || (n % 300), (ARRAY['webhook', 'wechat', 'email'])[1 + n % 3], 'webchat', :'campaign' || '-u' || cust, '',
       created_at, created_at, created_at, first_response_at,
       CASE WHEN resolved THEN coalesce(first_response_at, created_at) + interval '20 minutes' END,
       CASE cat
         WHEN 'complaint' THEN ARRAY['complaint', (ARRAY['regulator', 'exposure', 'legal', 'bad-review-threat', 'quality'])[1 + (r2 * 5)::int % 5]]
         WHEN 'after-sale' THEN ARRAY[(ARRAY['refund', 'return', 'exchange', 'quality', 'missing-item', 'size'])[1 + (r2 * 6)::int % 6]]
         WHEN 'logistics' THEN ARRAY[(ARRAY['delay', 'tracking', 'damage', 'not-received'])[1 + (r2 * 4)::int % 4]]
         WHEN 'presale' THEN ARRAY[(ARRAY['size', 'product-question', 'general'])[1 + (r2 * 3)::int % 3]]
         WHEN 'promo' THEN ARRAY[(ARRAY['coupon', 'deposit', 'price-protect'])[1 + (r2 * 3)::int % 3]]
         ELSE ARRAY['unclassified'] END,
       CASE WHEN n % 10 <> 0 THEN :'campaign' END,
       created_at + interval '3 minutes'
FROM gen_t;

-- Orders (one per ticket that names one, plus as many again without a
-- ticket) with one or two items; complaint SKUs skewed to a few.
INSERT INTO logistics.orders (order_id, customer_id, account, external_user_id, status, ordered_at, campaign_id)
SELECT :'campaign' || '-O' || o, 'c' || o, 'webchat', :'campaign' || '-u' || o, 'shipped',
       :'start'::timestamptz + interval '1 day' * random() * 0.9999, :'campaign'
FROM generate_series(1, :tickets * 2) o;
INSERT INTO logistics.order_items (order_id, line_no, sku, name, quantity, unit_price_cents)
SELECT :'campaign' || '-O' || o, l, 'SKU-' || lpad((1 + floor(200 * power(random(), 3)))::int::text, 4, '0'), '', 1, 9900
FROM generate_series(1, :tickets * 2) o, generate_series(1, 2) l
WHERE l = 1 OR o % 3 = 0;
INSERT INTO router.ticket_refs (ticket_id, kind, value, found_at)
SELECT ticket_id, 'order', :'campaign' || '-O' || n, created_at FROM gen_t
WHERE cat IN ('order', 'logistics', 'after-sale', 'complaint');

-- Customer messages: `messages` of them, ~4 per ticket, all inside the day;
-- one agent reply per answered ticket.
INSERT INTO router.ticket_messages (message_id, ticket_id, direction, text, at)
SELECT md5('m' || :'campaign' || g)::uuid, t.ticket_id, 'in',
       (ARRAY['你好，我的订单什么时候发货？', '优惠券用不了', '尺码偏小可以换吗', '快递三天没动了',
              '质量太差了，我要投诉', '定金可以退吗', '请问有现货吗', '收到的东西坏了'])[1 + g % 8],
       least(t.created_at + make_interval(secs => ((g - 1) / :tickets) * random() * 900),
             :'start'::timestamptz + interval '1 day' - interval '1 second')
FROM generate_series(1, :messages) g JOIN gen_t t ON t.n = (g - 1) % :tickets + 1;
INSERT INTO router.ticket_messages (message_id, ticket_id, direction, text, at)
SELECT md5('r' || :'campaign' || n)::uuid, ticket_id, 'out', '您好，这边为您查询一下', first_response_at
FROM gen_t WHERE first_response_at IS NOT NULL;

-- SLA: a first-response breach for every reply (or silence) past 3 minutes;
-- a lead-tier breach too when it took over 10.
INSERT INTO router.sla_breaches (ticket_id, kind, tier, deadline, breached_at)
SELECT ticket_id, 'first_response', 'frontline', created_at + interval '3 minutes', created_at + interval '3 minutes'
FROM gen_t WHERE first_response_at IS NULL OR first_response_at > created_at + interval '3 minutes';
INSERT INTO router.sla_breaches (ticket_id, kind, tier, deadline, breached_at)
SELECT ticket_id, 'first_response', 'lead', created_at + interval '10 minutes', created_at + interval '10 minutes'
FROM gen_t WHERE first_response_at IS NULL OR first_response_at > created_at + interval '10 minutes';

-- Proactive notices: one customer in 50, delays mostly; sent early in the
-- day, before the customer's ticket for about half of them.
INSERT INTO router.proactive_notices (order_id, kind, episode, customer_id, account, external_user_id, outbound_id,
                                      sent_at, channel)
SELECT :'campaign' || '-N' || c,
       CASE (c / 50) % 5 WHEN 0 THEN 'stockout:SKU-' || lpad((1 + c % 7)::text, 4, '0') || '@WH1'
                  WHEN 1 THEN 'restocked:SKU-' || lpad((1 + c % 7)::text, 4, '0') || '@WH1' ELSE 'delay' END,
       1, md5('c' || :'campaign' || c)::uuid, 'webchat', :'campaign' || '-u' || c, 'ob-' || c,
       :'start'::timestamptz + interval '1 day' * random() * 0.6, 1
FROM generate_series(1, greatest(1, (:tickets * 0.9)::int), 50) c;

-- Surveys: 60 % of resolved tickets invited, 30 % of those answered.
INSERT INTO survey.invitations (invitation_id, ticket_id, ticket_public_id, customer_id, kind, channel, account,
                                external_user_id, category, group_name, agent_id, campaign_id, resolved_at, state,
                                sent_at, expires_at)
SELECT md5('i' || :'campaign' || n)::uuid, ticket_id, 'pub-' || :'campaign' || '-' || n,
       md5('c' || :'campaign' || cust)::uuid, 'csat', 'webhook', 'webchat', :'campaign' || '-u' || cust, cat, '', '',
       :'campaign', coalesce(first_response_at, created_at) + interval '20 minutes',
       CASE WHEN n % 10 < 3 THEN 'answered' ELSE 'sent' END,
       coalesce(first_response_at, created_at) + interval '30 minutes',
       coalesce(first_response_at, created_at) + interval '7 days'
FROM gen_t WHERE resolved AND r2 < 0.6;
INSERT INTO survey.responses (invitation_id, csat, nps, via, low_score, answered_at)
SELECT md5('i' || :'campaign' || n)::uuid, s.csat, s.nps, 'link', s.csat <= 2,
       coalesce(first_response_at, created_at) + interval '2 hours'
FROM gen_t, LATERAL (SELECT CASE WHEN cat = 'complaint' THEN 1 + (r2 * 40)::int % 3 ELSE 3 + (n % 3) END AS csat,
                            CASE WHEN cat = 'complaint' THEN (n % 7) ELSE 5 + (n % 6) END AS nps) s
WHERE resolved AND r2 < 0.6 AND n % 10 < 3;
COMMIT;

ANALYZE router.tickets, router.ticket_messages, router.sla_breaches, router.proactive_notices, router.ticket_refs,
        router.customers, logistics.orders, logistics.order_items, stock.skus, survey.invitations, survey.responses,
        promo.forecast_hours, promo.campaigns, promo.windows;
