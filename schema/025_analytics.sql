-- The analysts' surface (docs/analytics.md): read-only views in schema
-- analytics over every service's tables, with personal data masked, for
-- the peakdesk_analyst role (analysts log in as their own role, a member
-- of it) and peakdesk_cli (the report command). Analysts have no grant on
-- any raw schema: a view runs with its owner's rights, so a view is the
-- only way in.
--
-- Conventions of every view here:
-- * hour_start = the hour, cut in UTC (the same instant as a China hour);
--   day = the calendar day in China time (Asia/Shanghai, UTC+8), the day a
--   promo day is counted in. Both are immutable expressions of indexed
--   timestamps, so a filter on them (WHERE day = '2025-11-11') reaches an
--   index through the aggregate instead of reading every day.
-- * a customer is customer_key = md5 of the internal customer id (stable,
--   pseudonymous); names become their first character + '*', phones
--   '138****5678'; channel user ids, message texts, ticket public ids
--   (they open the customer's progress page) are not exposed at all.
-- * a complaint is a ticket of category 'complaint' or one that got the
--   'complaint' tag later (the router keeps a ticket's first category and
--   adds a later message's tags, services/router/decide.c).
-- * rates are percentages rounded to 2 decimals, NULL when the
--   denominator is 0; durations are seconds (double precision).

-- ---- masking helpers ------------------------------------------------------

CREATE FUNCTION analytics.mask_phone(p text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN p IS NULL OR p = '' THEN ''
    WHEN length(regexp_replace(p, '[^0-9]', '', 'g')) >= 11
      THEN left(right(regexp_replace(p, '[^0-9]', '', 'g'), 11), 3) || '****' || right(regexp_replace(p, '[^0-9]', '', 'g'), 4)
    WHEN length(regexp_replace(p, '[^0-9]', '', 'g')) >= 7
      THEN left(regexp_replace(p, '[^0-9]', '', 'g'), 2) || '****' || right(regexp_replace(p, '[^0-9]', '', 'g'), 2)
    ELSE '****' END $$;
COMMENT ON FUNCTION analytics.mask_phone(text) IS
  'Masks a phone number: 11+ digits -> first 3 of the last 11, ****, last 4 (13812345678 -> 138****5678); 7-10 digits -> 2 + **** + 2; shorter -> ****; '''' stays ''''';

CREATE FUNCTION analytics.mask_name(n text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN n IS NULL OR n = '' THEN '' WHEN char_length(n) = 1 THEN '*' ELSE left(n, 1) || '*' END $$;
COMMENT ON FUNCTION analytics.mask_name(text) IS 'Masks a person''s name to its first character + * (张三丰 -> 张*); a one-character name becomes *';

-- Free text a customer wrote (survey comments): their own phone and name,
-- and anything shaped like a mainland mobile number, are masked.
CREATE FUNCTION analytics.mask_text(t text, phone text, name text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT regexp_replace(
           CASE WHEN coalesce(name, '') = '' OR char_length(name) < 2 THEN
                  CASE WHEN coalesce(phone, '') = '' THEN coalesce(t, '') ELSE replace(coalesce(t, ''), phone, analytics.mask_phone(phone)) END
                ELSE replace(CASE WHEN coalesce(phone, '') = '' THEN coalesce(t, '') ELSE replace(coalesce(t, ''), phone, analytics.mask_phone(phone)) END,
                             name, analytics.mask_name(name)) END,
           '(1[3-9][0-9])[0-9]{4}([0-9]{4})', '\1****\2', 'g') $$;
COMMENT ON FUNCTION analytics.mask_text(text, text, text) IS
  'Masks free text: the given phone and name (the writer''s own) and every 11-digit mainland mobile number';

-- ---- indexes the views need ------------------------------------------------
-- Day and hour buckets as indexed expressions: a filter on a view's day or
-- hour_start column is pushed below the aggregate and becomes an index
-- range instead of a scan of every day ever kept.
CREATE INDEX tickets_created_day ON router.tickets (((created_at AT TIME ZONE 'Asia/Shanghai')::date));
CREATE INDEX tickets_created_hour ON router.tickets ((date_trunc('hour', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'));
CREATE INDEX ticket_messages_hour ON router.ticket_messages ((date_trunc('hour', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'));
CREATE INDEX tickets_resolved_day ON router.tickets (((resolved_at AT TIME ZONE 'Asia/Shanghai')::date))
  WHERE resolved_at IS NOT NULL;
-- an agent's replies per day (agent_scorecards)
CREATE INDEX ticket_events_agent_reply ON router.ticket_events (((at AT TIME ZONE 'Asia/Shanghai')::date))
  WHERE kind = 'agent_reply';
CREATE INDEX sla_breaches_day ON router.sla_breaches (((breached_at AT TIME ZONE 'Asia/Shanghai')::date));
CREATE INDEX orders_ordered_day ON logistics.orders (((ordered_at AT TIME ZONE 'Asia/Shanghai')::date));
CREATE INDEX invitations_resolved_day ON survey.invitations (((resolved_at AT TIME ZONE 'Asia/Shanghai')::date));
CREATE INDEX proactive_notices_order ON router.proactive_notices (order_id);

-- ---- tickets ---------------------------------------------------------------

CREATE VIEW analytics.tickets AS
  SELECT t.ticket_id,
         t.created_at,
         (t.created_at AT TIME ZONE 'Asia/Shanghai')::date AS day,
         date_trunc('hour', t.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour_start,
         t.channel, t.category,
         (t.category = 'complaint' OR 'complaint' = ANY (t.tags)) AS is_complaint,
         t.tags, t.priority, t.status, t.group_name, t.agent_id,
         coalesce(nullif(t.sla_campaign_id, ''), oc.campaign_id, '') AS campaign_id,
         t.risk_score, t.risk_flagged,
         md5(t.customer_id::text) AS customer_key,
         analytics.mask_name(c.display_name) AS customer_name,
         analytics.mask_phone(c.phone) AS customer_phone,
         c.tier AS customer_tier,
         t.assigned_at, t.first_response_at,
         extract(epoch FROM t.first_response_at - t.created_at)::double precision AS first_response_seconds,
         t.auto_answered_at IS NOT NULL AS auto_answered,
         t.resolved_at,
         extract(epoch FROM t.resolved_at - t.created_at)::double precision AS resolution_seconds,
         t.auto_closed, t.escalation_tier,
         coalesce(b.breaches, 0) AS sla_breaches
  FROM router.tickets t
  LEFT JOIN router.customers c ON c.customer_id = t.customer_id
  LEFT JOIN (SELECT r.ticket_id, min(o.campaign_id) AS campaign_id
               FROM router.ticket_refs r JOIN logistics.orders o ON o.order_id = r.value
              WHERE r.kind = 'order' AND o.campaign_id <> ''
              GROUP BY r.ticket_id) oc ON oc.ticket_id = t.ticket_id
  LEFT JOIN (SELECT ticket_id, count(*) AS breaches FROM router.sla_breaches GROUP BY ticket_id) b
         ON b.ticket_id = t.ticket_id;
COMMENT ON VIEW analytics.tickets IS 'One row per ticket with its routing, timings and outcome; the customer masked (key, name initial, phone 138****5678)';
COMMENT ON COLUMN analytics.tickets.ticket_id IS 'Internal ticket id (not the public progress-page id)';
COMMENT ON COLUMN analytics.tickets.created_at IS 'When the ticket was opened (the customer''s first message)';
COMMENT ON COLUMN analytics.tickets.day IS 'Calendar day (China time) the ticket was opened';
COMMENT ON COLUMN analytics.tickets.hour_start IS 'Start of the hour the ticket was opened';
COMMENT ON COLUMN analytics.tickets.channel IS 'webhook, wechat or email';
COMMENT ON COLUMN analytics.tickets.category IS 'First classification: presale, order, after-sale, logistics, stock, promo, complaint, other, unclassified (kept when later messages are about something else)';
COMMENT ON COLUMN analytics.tickets.is_complaint IS 'Category complaint, or the complaint tag added by a later message';
COMMENT ON COLUMN analytics.tickets.tags IS 'Classification tags of all its messages (regulator, legal, delay, damage, quality, ...)';
COMMENT ON COLUMN analytics.tickets.priority IS '0 (lowest) .. 4 (urgent)';
COMMENT ON COLUMN analytics.tickets.status IS 'open, pending_customer, pending_department, resolved, closed';
COMMENT ON COLUMN analytics.tickets.group_name IS 'Agent group it is routed to (presale, order, after-sale, complaints, vip, ...)';
COMMENT ON COLUMN analytics.tickets.agent_id IS 'Agent it is assigned to now; '''' = unassigned';
COMMENT ON COLUMN analytics.tickets.campaign_id IS 'Campaign whose SLA override applied, else the campaign of an order it names; '''' = none';
COMMENT ON COLUMN analytics.tickets.risk_score IS 'Bad-review risk score 0..100 (now)';
COMMENT ON COLUMN analytics.tickets.risk_flagged IS 'Risk score reached the flag threshold (60)';
COMMENT ON COLUMN analytics.tickets.customer_key IS 'Pseudonymous customer key: md5 of the internal customer id (stable across views)';
COMMENT ON COLUMN analytics.tickets.customer_name IS 'Customer display name masked to its first character + *';
COMMENT ON COLUMN analytics.tickets.customer_phone IS 'Customer phone masked (138****5678); '''' when unknown';
COMMENT ON COLUMN analytics.tickets.customer_tier IS 'normal or vip';
COMMENT ON COLUMN analytics.tickets.assigned_at IS 'When it was last assigned to an agent';
COMMENT ON COLUMN analytics.tickets.first_response_at IS 'First agent reply; NULL while unanswered (auto-replies do not count)';
COMMENT ON COLUMN analytics.tickets.first_response_seconds IS 'first_response_at - created_at in seconds';
COMMENT ON COLUMN analytics.tickets.auto_answered IS 'An auto-reply from live facts answered before any agent';
COMMENT ON COLUMN analytics.tickets.resolved_at IS 'When it was resolved; NULL while open (a reopened ticket clears it)';
COMMENT ON COLUMN analytics.tickets.resolution_seconds IS 'resolved_at - created_at in seconds (wall clock, pauses included)';
COMMENT ON COLUMN analytics.tickets.auto_closed IS 'Closed by the quiet period after an auto-reply, without an agent';
COMMENT ON COLUMN analytics.tickets.escalation_tier IS 'Tier accountable now: frontline, lead, supervisor';
COMMENT ON COLUMN analytics.tickets.sla_breaches IS 'SLA breaches recorded (one per clock and tier)';

-- ---- volume ----------------------------------------------------------------

CREATE VIEW analytics.ticket_volume AS
  SELECT e.hour_start, e.channel, e.category, e.group_name,
         count(*) FILTER (WHERE e.what = 1) AS tickets_opened,
         count(*) FILTER (WHERE e.what = 1 AND e.complaint) AS complaints_opened,
         count(*) FILTER (WHERE e.what = 2) AS tickets_resolved,
         count(*) FILTER (WHERE e.what = 3) AS messages_in,
         count(*) FILTER (WHERE e.what = 4) AS messages_out
  FROM (
    SELECT date_trunc('hour', t.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour_start,
           t.channel, t.category, t.group_name, 1 AS what,
           (t.category = 'complaint' OR 'complaint' = ANY (t.tags)) AS complaint
      FROM router.tickets t
    UNION ALL
    SELECT date_trunc('hour', t.resolved_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
           t.channel, t.category, t.group_name, 2, false
      FROM router.tickets t WHERE t.resolved_at IS NOT NULL
    UNION ALL
    SELECT date_trunc('hour', m.at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
           t.channel, t.category, t.group_name, CASE WHEN m.direction = 'in' THEN 3 ELSE 4 END, false
      FROM router.ticket_messages m JOIN router.tickets t ON t.ticket_id = m.ticket_id
  ) e
  GROUP BY e.hour_start, e.channel, e.category, e.group_name;
COMMENT ON VIEW analytics.ticket_volume IS 'Per hour, channel, category and group: tickets opened and resolved, customer messages in, agent replies out';
COMMENT ON COLUMN analytics.ticket_volume.hour_start IS 'Start of the hour (each count in the hour its event happened)';
COMMENT ON COLUMN analytics.ticket_volume.channel IS 'webhook, wechat or email';
COMMENT ON COLUMN analytics.ticket_volume.category IS 'Ticket category (its first classification)';
COMMENT ON COLUMN analytics.ticket_volume.group_name IS 'Agent group the ticket is routed to now';
COMMENT ON COLUMN analytics.ticket_volume.tickets_opened IS 'Tickets opened in the hour';
COMMENT ON COLUMN analytics.ticket_volume.complaints_opened IS 'Of those, complaints (category or tag complaint)';
COMMENT ON COLUMN analytics.ticket_volume.tickets_resolved IS 'Tickets resolved in the hour (and not reopened since)';
COMMENT ON COLUMN analytics.ticket_volume.messages_in IS 'Customer messages received in the hour';
COMMENT ON COLUMN analytics.ticket_volume.messages_out IS 'Agent replies sent in the hour';

-- ---- response and resolution times -----------------------------------------

CREATE VIEW analytics.response_times AS
  SELECT CASE WHEN grouping(x.channel, x.category, x.group_name) = 0 THEN 'day,channel,category,group'
              WHEN grouping(x.channel) = 0 THEN 'day,channel'
              WHEN grouping(x.category) = 0 THEN 'day,category'
              WHEN grouping(x.group_name) = 0 THEN 'day,group'
              ELSE 'day' END AS breakdown,
         x.day, x.channel, x.category, x.group_name,
         count(*) AS tickets,
         count(x.frs) AS responded,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY x.frs) AS first_response_p50_s,
         percentile_cont(0.9) WITHIN GROUP (ORDER BY x.frs) AS first_response_p90_s,
         percentile_cont(0.99) WITHIN GROUP (ORDER BY x.frs) AS first_response_p99_s,
         avg(x.frs) AS first_response_avg_s,
         count(x.rs) AS resolved,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY x.rs) AS resolution_p50_s,
         percentile_cont(0.9) WITHIN GROUP (ORDER BY x.rs) AS resolution_p90_s,
         percentile_cont(0.99) WITHIN GROUP (ORDER BY x.rs) AS resolution_p99_s,
         avg(x.rs) AS resolution_avg_s
  FROM (SELECT (t.created_at AT TIME ZONE 'Asia/Shanghai')::date AS day, t.channel, t.category, t.group_name,
               extract(epoch FROM t.first_response_at - t.created_at)::double precision AS frs,
               extract(epoch FROM t.resolved_at - t.created_at)::double precision AS rs
          FROM router.tickets t) x
  GROUP BY GROUPING SETS ((x.day, x.channel, x.category, x.group_name), (x.day, x.channel), (x.day, x.category),
                          (x.day, x.group_name), (x.day));
COMMENT ON VIEW analytics.response_times IS 'First-response and resolution time percentiles of the tickets opened each day, overall and by channel, category, group; NULL in a breakdown column = all values';
COMMENT ON COLUMN analytics.response_times.breakdown IS 'Which columns this row is broken down by: day | day,channel | day,category | day,group | day,channel,category,group';
COMMENT ON COLUMN analytics.response_times.day IS 'Calendar day (China time) the tickets were opened';
COMMENT ON COLUMN analytics.response_times.channel IS 'webhook, wechat, email; NULL = all channels';
COMMENT ON COLUMN analytics.response_times.category IS 'Ticket category; NULL = all categories';
COMMENT ON COLUMN analytics.response_times.group_name IS 'Agent group; NULL = all groups ('''' = never routed)';
COMMENT ON COLUMN analytics.response_times.tickets IS 'Tickets opened';
COMMENT ON COLUMN analytics.response_times.responded IS 'Of those, answered by an agent';
COMMENT ON COLUMN analytics.response_times.first_response_p50_s IS 'Median seconds from opening to the first agent reply (answered tickets only)';
COMMENT ON COLUMN analytics.response_times.first_response_p90_s IS '90th percentile of the first-response time, seconds';
COMMENT ON COLUMN analytics.response_times.first_response_p99_s IS '99th percentile of the first-response time, seconds';
COMMENT ON COLUMN analytics.response_times.first_response_avg_s IS 'Mean first-response time, seconds';
COMMENT ON COLUMN analytics.response_times.resolved IS 'Of those, resolved (and not reopened)';
COMMENT ON COLUMN analytics.response_times.resolution_p50_s IS 'Median seconds from opening to resolution (resolved tickets only; pauses included)';
COMMENT ON COLUMN analytics.response_times.resolution_p90_s IS '90th percentile of the resolution time, seconds';
COMMENT ON COLUMN analytics.response_times.resolution_p99_s IS '99th percentile of the resolution time, seconds';
COMMENT ON COLUMN analytics.response_times.resolution_avg_s IS 'Mean resolution time, seconds';

-- ---- SLA -------------------------------------------------------------------

CREATE VIEW analytics.sla_breach_rate AS
  SELECT (t.created_at AT TIME ZONE 'Asia/Shanghai')::date AS day, t.channel, t.priority, t.group_name,
         coalesce(t.sla_campaign_id, '') AS campaign_id,
         count(*) AS tickets,
         count(b.ticket_id) AS breached_tickets,
         round(100.0 * count(b.ticket_id) / count(*), 2) AS breach_rate_pct,
         count(*) FILTER (WHERE b.first_response) AS first_response_breached,
         count(*) FILTER (WHERE b.next_response) AS next_response_breached,
         count(*) FILTER (WHERE b.resolution) AS resolution_breached,
         count(*) FILTER (WHERE b.lead) AS lead_breached,
         coalesce(sum(b.breaches), 0)::bigint AS breaches
  FROM router.tickets t
  LEFT JOIN (SELECT ticket_id, count(*) AS breaches,
                    bool_or(kind = 'first_response') AS first_response,
                    bool_or(kind = 'next_response') AS next_response,
                    bool_or(kind = 'resolution') AS resolution,
                    bool_or(tier IN ('lead', 'supervisor')) AS lead
               FROM router.sla_breaches GROUP BY ticket_id) b ON b.ticket_id = t.ticket_id
  GROUP BY 1, 2, 3, 4, 5;
COMMENT ON VIEW analytics.sla_breach_rate IS 'Share of the tickets opened each day that missed an SLA deadline, by channel, priority, group and campaign SLA override';
COMMENT ON COLUMN analytics.sla_breach_rate.day IS 'Calendar day (China time) the tickets were opened';
COMMENT ON COLUMN analytics.sla_breach_rate.channel IS 'webhook, wechat or email';
COMMENT ON COLUMN analytics.sla_breach_rate.priority IS 'Ticket priority 0..4 (now)';
COMMENT ON COLUMN analytics.sla_breach_rate.group_name IS 'Agent group the ticket is routed to now';
COMMENT ON COLUMN analytics.sla_breach_rate.campaign_id IS 'Campaign whose SLA override set the deadlines; '''' = the normal SLA table';
COMMENT ON COLUMN analytics.sla_breach_rate.tickets IS 'Tickets opened';
COMMENT ON COLUMN analytics.sla_breach_rate.breached_tickets IS 'Of those, tickets with at least one breach (any clock, any tier)';
COMMENT ON COLUMN analytics.sla_breach_rate.breach_rate_pct IS 'breached_tickets / tickets x 100';
COMMENT ON COLUMN analytics.sla_breach_rate.first_response_breached IS 'Tickets whose first-response deadline passed unanswered';
COMMENT ON COLUMN analytics.sla_breach_rate.next_response_breached IS 'Tickets with a later customer message left unanswered past its deadline';
COMMENT ON COLUMN analytics.sla_breach_rate.resolution_breached IS 'Tickets not resolved by the resolution deadline';
COMMENT ON COLUMN analytics.sla_breach_rate.lead_breached IS 'Tickets that breached again after escalation to a lead or supervisor';
COMMENT ON COLUMN analytics.sla_breach_rate.breaches IS 'Breaches recorded (one per ticket, clock and tier)';

-- ---- complaints ------------------------------------------------------------

CREATE VIEW analytics.complaint_rate AS
  WITH o AS (
    SELECT (ordered_at AT TIME ZONE 'Asia/Shanghai')::date AS day, campaign_id, count(*) AS orders
      FROM logistics.orders WHERE ordered_at IS NOT NULL GROUP BY 1, 2
  ), ct AS MATERIALIZED (
    SELECT t.day, t.campaign_id, t.customer_key FROM analytics.tickets t WHERE t.is_complaint
  ), c AS (
    SELECT day, campaign_id, count(*) AS complaints, count(DISTINCT customer_key) AS customers FROM ct GROUP BY 1, 2
  ), per_campaign AS (
    SELECT coalesce(o.day, c.day) AS day, coalesce(o.campaign_id, c.campaign_id) AS campaign_id,
           coalesce(o.orders, 0) AS orders, coalesce(c.complaints, 0) AS complaints,
           coalesce(c.customers, 0) AS complaining_customers
      FROM o FULL JOIN c ON c.day = o.day AND c.campaign_id = o.campaign_id
  ), per_day AS (
    SELECT coalesce(o.day, c.day) AS day, NULL::text AS campaign_id, coalesce(o.orders, 0) AS orders,
           coalesce(c.complaints, 0) AS complaints, coalesce(c.customers, 0) AS complaining_customers
      FROM (SELECT day, sum(orders)::bigint AS orders FROM o GROUP BY day) o
      FULL JOIN (SELECT day, count(*) AS complaints, count(DISTINCT customer_key) AS customers
                   FROM ct GROUP BY 1) c ON c.day = o.day
  )
  SELECT day, campaign_id, orders::bigint AS orders, complaints, complaining_customers,
         round(1000.0 * complaints / nullif(orders, 0), 2) AS complaints_per_1000_orders
    FROM (SELECT * FROM per_campaign UNION ALL SELECT * FROM per_day) x;
COMMENT ON VIEW analytics.complaint_rate IS 'Complaints per 1,000 orders each day, overall (campaign_id NULL) and per campaign';
COMMENT ON COLUMN analytics.complaint_rate.day IS 'Calendar day (China time): orders placed and complaints opened that day';
COMMENT ON COLUMN analytics.complaint_rate.campaign_id IS 'Campaign of the orders and complaints; '''' = none; NULL = the whole day';
COMMENT ON COLUMN analytics.complaint_rate.orders IS 'Orders placed that day';
COMMENT ON COLUMN analytics.complaint_rate.complaints IS 'Complaint tickets opened that day (category or tag complaint)';
COMMENT ON COLUMN analytics.complaint_rate.complaining_customers IS 'Distinct customers behind them';
COMMENT ON COLUMN analytics.complaint_rate.complaints_per_1000_orders IS 'complaints / orders x 1000; NULL without orders';

CREATE VIEW analytics.complaint_reasons AS
  WITH c AS (
    SELECT (t.created_at AT TIME ZONE 'Asia/Shanghai')::date AS day, t.channel, t.ticket_id,
           ARRAY(SELECT x FROM unnest(t.tags) AS x
                  WHERE x NOT IN ('complaint', 'order-number', 'general', 'unclassified', 'vip', 'wants-human')) AS reasons
      FROM router.tickets t
     WHERE t.category = 'complaint' OR 'complaint' = ANY (t.tags)
  ), d AS (
    SELECT day, channel, ticket_id,
           CASE WHEN cardinality(reasons) = 0 THEN ARRAY['unspecified'] ELSE reasons END AS reasons,
           count(*) OVER (PARTITION BY day, channel) AS day_complaints
      FROM c
  )
  SELECT d.day, d.channel, r.reason, count(*) AS complaints, max(d.day_complaints) AS all_complaints,
         round(100.0 * count(*) / max(d.day_complaints), 2) AS share_pct
    FROM d, unnest(d.reasons) AS r(reason)
   GROUP BY d.day, d.channel, r.reason;
COMMENT ON VIEW analytics.complaint_reasons IS 'Why customers complained: the classification tags of each day''s complaints (a complaint with several tags counts under each)';
COMMENT ON COLUMN analytics.complaint_reasons.day IS 'Calendar day (China time) the complaints were opened';
COMMENT ON COLUMN analytics.complaint_reasons.channel IS 'webhook, wechat or email';
COMMENT ON COLUMN analytics.complaint_reasons.reason IS 'A tag: regulator (12315), exposure (media), legal, bad-review-threat, quality, damage, delay, not-received, refund, ...; unspecified = no tag beyond complaint';
COMMENT ON COLUMN analytics.complaint_reasons.complaints IS 'Complaints carrying the reason';
COMMENT ON COLUMN analytics.complaint_reasons.all_complaints IS 'All complaints of the day and channel';
COMMENT ON COLUMN analytics.complaint_reasons.share_pct IS 'complaints / all_complaints x 100 (shares add up to more than 100 when complaints carry several reasons)';

-- ---- surveys ---------------------------------------------------------------

CREATE VIEW analytics.survey_responses AS
  SELECT i.invitation_id, i.ticket_id, i.kind,
         (i.resolved_at AT TIME ZONE 'Asia/Shanghai')::date AS day,
         i.resolved_at, i.channel, i.category, i.group_name, i.agent_id, i.campaign_id, i.risk_score,
         i.state, i.skip_reason, i.sent_at, i.expires_at,
         r.answered_at, r.via, r.csat, r.description_score, r.attitude_score, r.logistics_score, r.nps,
         r.low_score, r.low_reasons, r.negative_comment,
         analytics.mask_text(r.comment, c.phone, c.display_name) AS comment,
         md5(i.customer_id::text) AS customer_key,
         rec.ticket_id AS recovery_ticket_id, rec.status AS recovery_status, rec.resolved_at AS recovery_resolved_at
  FROM survey.invitations i
  LEFT JOIN survey.responses r ON r.invitation_id = i.invitation_id
  LEFT JOIN router.customers c ON c.customer_id = i.customer_id
  LEFT JOIN (SELECT DISTINCT ON (rf.value) rf.value AS public_id, t.ticket_id, t.status, t.resolved_at
               FROM router.ticket_refs rf JOIN router.tickets t ON t.ticket_id = rf.ticket_id
              WHERE rf.kind = 'recovers'
              ORDER BY rf.value, t.created_at) rec ON rec.public_id = i.ticket_public_id;
COMMENT ON VIEW analytics.survey_responses IS 'One row per survey invitation (resolved ticket) with its answer, if any, and the service-recovery ticket a low score opened';
COMMENT ON COLUMN analytics.survey_responses.invitation_id IS 'Invitation id';
COMMENT ON COLUMN analytics.survey_responses.ticket_id IS 'The resolved ticket surveyed (analytics.tickets.ticket_id)';
COMMENT ON COLUMN analytics.survey_responses.kind IS 'csat (1..5), dsr (three shop scores 1..5) or nps (0..10)';
COMMENT ON COLUMN analytics.survey_responses.day IS 'Calendar day (China time) the ticket was resolved';
COMMENT ON COLUMN analytics.survey_responses.resolved_at IS 'When the ticket was resolved';
COMMENT ON COLUMN analytics.survey_responses.channel IS 'Channel of the ticket at resolution';
COMMENT ON COLUMN analytics.survey_responses.category IS 'Ticket category at resolution';
COMMENT ON COLUMN analytics.survey_responses.group_name IS 'Agent group at resolution';
COMMENT ON COLUMN analytics.survey_responses.agent_id IS 'Agent who had the ticket at resolution';
COMMENT ON COLUMN analytics.survey_responses.campaign_id IS 'Campaign of the ticket at resolution; '''' = none';
COMMENT ON COLUMN analytics.survey_responses.risk_score IS 'Bad-review risk score at resolution (0..100)';
COMMENT ON COLUMN analytics.survey_responses.state IS 'queued, sent, answered, expired or skipped';
COMMENT ON COLUMN analytics.survey_responses.skip_reason IS 'Why no survey went out (auto-closed, asked too recently, ...)';
COMMENT ON COLUMN analytics.survey_responses.sent_at IS 'When the invitation went out';
COMMENT ON COLUMN analytics.survey_responses.expires_at IS 'When the link stops working';
COMMENT ON COLUMN analytics.survey_responses.answered_at IS 'When the customer answered; NULL = no answer';
COMMENT ON COLUMN analytics.survey_responses.via IS 'link (signed web link) or channel (a reply in the chat)';
COMMENT ON COLUMN analytics.survey_responses.csat IS 'Satisfaction 1..5 (csat surveys)';
COMMENT ON COLUMN analytics.survey_responses.description_score IS 'Item as described, 1..5 (dsr surveys)';
COMMENT ON COLUMN analytics.survey_responses.attitude_score IS 'Service attitude, 1..5 (dsr surveys)';
COMMENT ON COLUMN analytics.survey_responses.logistics_score IS 'Logistics service, 1..5 (dsr surveys)';
COMMENT ON COLUMN analytics.survey_responses.nps IS 'Likelihood to recommend, 0..10 (nps surveys)';
COMMENT ON COLUMN analytics.survey_responses.low_score IS 'The answer is a low score (it opens a service-recovery ticket)';
COMMENT ON COLUMN analytics.survey_responses.low_reasons IS 'Which scores were low: csat, description, attitude, logistics, nps';
COMMENT ON COLUMN analytics.survey_responses.negative_comment IS 'The comment reads negative';
COMMENT ON COLUMN analytics.survey_responses.comment IS 'The customer''s comment with their phone, name and any mobile number masked';
COMMENT ON COLUMN analytics.survey_responses.customer_key IS 'Pseudonymous customer key (as in analytics.tickets)';
COMMENT ON COLUMN analytics.survey_responses.recovery_ticket_id IS 'Service-recovery ticket opened after a low score; NULL = none';
COMMENT ON COLUMN analytics.survey_responses.recovery_status IS 'Status of that recovery ticket';
COMMENT ON COLUMN analytics.survey_responses.recovery_resolved_at IS 'When the recovery ticket was resolved';

CREATE VIEW analytics.survey_scores AS
  SELECT concat_ws(',', CASE WHEN grouping(x.day) = 0 THEN 'day' END,
                   CASE WHEN grouping(x.channel) = 0 THEN 'channel'
                        WHEN grouping(x.group_name) = 0 THEN 'group'
                        WHEN grouping(x.agent_id) = 0 THEN 'agent'
                        WHEN grouping(x.campaign_id) = 0 THEN 'campaign' END) AS breakdown,
         x.day, x.channel, x.group_name, x.agent_id, x.campaign_id,
         count(*) FILTER (WHERE x.state IN ('sent', 'answered', 'expired')) AS invitations_sent,
         count(*) FILTER (WHERE x.state = 'answered') AS answered,
         round(100.0 * count(*) FILTER (WHERE x.state = 'answered')
               / nullif(count(*) FILTER (WHERE x.state IN ('sent', 'answered', 'expired')), 0), 2) AS response_rate_pct,
         count(x.csat) AS csat_answers,
         count(*) FILTER (WHERE x.csat >= 4) AS csat_satisfied,
         round(100.0 * count(*) FILTER (WHERE x.csat >= 4) / nullif(count(x.csat), 0), 2) AS csat_pct,
         round(avg(x.csat), 2) AS avg_csat,
         round(avg(x.description_score), 2) AS avg_description,
         round(avg(x.attitude_score), 2) AS avg_attitude,
         round(avg(x.logistics_score), 2) AS avg_logistics,
         count(x.nps) AS nps_answers,
         count(*) FILTER (WHERE x.nps >= 9) AS promoters,
         count(*) FILTER (WHERE x.nps <= 6) AS detractors,
         round(100.0 * (count(*) FILTER (WHERE x.nps >= 9) - count(*) FILTER (WHERE x.nps <= 6))
               / nullif(count(x.nps), 0), 2) AS nps,
         count(*) FILTER (WHERE x.low_score) AS low_scores
  FROM (SELECT (i.resolved_at AT TIME ZONE 'Asia/Shanghai')::date AS day, i.channel, i.group_name, i.agent_id,
               i.campaign_id, i.state, r.csat, r.description_score, r.attitude_score, r.logistics_score, r.nps,
               r.low_score
          FROM survey.invitations i LEFT JOIN survey.responses r ON r.invitation_id = i.invitation_id
         WHERE i.state <> 'skipped') x
  GROUP BY GROUPING SETS ((x.day), (x.day, x.channel), (x.day, x.group_name), (x.day, x.agent_id), (x.day, x.campaign_id),
                          (), (x.channel), (x.group_name), (x.agent_id), (x.campaign_id));
COMMENT ON VIEW analytics.survey_scores IS 'Survey scores (CSAT %, NPS, shop-score averages, response rate) per day and overall, by channel, group, agent, campaign; NULL in a breakdown column = all values';
COMMENT ON COLUMN analytics.survey_scores.breakdown IS 'The slice: '''' (everything), day, channel, group, agent, campaign, day,channel, day,group, day,agent, day,campaign';
COMMENT ON COLUMN analytics.survey_scores.day IS 'Calendar day (China time) the surveyed tickets were resolved; NULL = all days';
COMMENT ON COLUMN analytics.survey_scores.channel IS 'Channel; NULL = all';
COMMENT ON COLUMN analytics.survey_scores.group_name IS 'Agent group at resolution; NULL = all';
COMMENT ON COLUMN analytics.survey_scores.agent_id IS 'Agent at resolution; NULL = all';
COMMENT ON COLUMN analytics.survey_scores.campaign_id IS 'Campaign at resolution ('''' = none); NULL = all';
COMMENT ON COLUMN analytics.survey_scores.invitations_sent IS 'Invitations that went out (sent, answered or expired; queued and skipped are not counted)';
COMMENT ON COLUMN analytics.survey_scores.answered IS 'Invitations answered';
COMMENT ON COLUMN analytics.survey_scores.response_rate_pct IS 'answered / invitations_sent x 100';
COMMENT ON COLUMN analytics.survey_scores.csat_answers IS 'Answers with a CSAT score';
COMMENT ON COLUMN analytics.survey_scores.csat_satisfied IS 'CSAT answers of 4 or 5';
COMMENT ON COLUMN analytics.survey_scores.csat_pct IS 'CSAT %: csat_satisfied / csat_answers x 100';
COMMENT ON COLUMN analytics.survey_scores.avg_csat IS 'Mean CSAT score (1..5)';
COMMENT ON COLUMN analytics.survey_scores.avg_description IS 'Mean "item as described" score (1..5)';
COMMENT ON COLUMN analytics.survey_scores.avg_attitude IS 'Mean "service attitude" score (1..5)';
COMMENT ON COLUMN analytics.survey_scores.avg_logistics IS 'Mean "logistics service" score (1..5)';
COMMENT ON COLUMN analytics.survey_scores.nps_answers IS 'Answers with an NPS score';
COMMENT ON COLUMN analytics.survey_scores.promoters IS 'NPS answers of 9 or 10';
COMMENT ON COLUMN analytics.survey_scores.detractors IS 'NPS answers of 0..6';
COMMENT ON COLUMN analytics.survey_scores.nps IS 'Net promoter score: (promoters - detractors) / nps_answers x 100, -100..100';
COMMENT ON COLUMN analytics.survey_scores.low_scores IS 'Answers that were low scores';

-- ---- bad-review risk vs what the customer then said ------------------------

CREATE VIEW analytics.risk_vs_low_scores AS
  SELECT x.day, x.risk_band, min(x.band_min) AS band_min, min(x.band_max) AS band_max,
         bool_and(x.band_min >= 60) AS flagged,
         count(*) FILTER (WHERE x.state IN ('sent', 'answered', 'expired')) AS surveys_sent,
         count(*) FILTER (WHERE x.state = 'answered') AS answered,
         count(*) FILTER (WHERE x.low_score) AS low_scores,
         round(100.0 * count(*) FILTER (WHERE x.low_score) / nullif(count(*) FILTER (WHERE x.state = 'answered'), 0), 2)
           AS low_score_rate_pct,
         round(100.0 * count(*) FILTER (WHERE x.csat >= 4) / nullif(count(x.csat), 0), 2) AS csat_pct,
         count(*) FILTER (WHERE x.category = 'complaint') AS complaints
  FROM (SELECT (i.resolved_at AT TIME ZONE 'Asia/Shanghai')::date AS day, i.state, i.category, r.low_score, r.csat,
               b.risk_band, b.band_min, b.band_max
          FROM survey.invitations i
          LEFT JOIN survey.responses r ON r.invitation_id = i.invitation_id
          JOIN (VALUES (0, '0-19', 0, 19), (1, '20-39', 20, 39), (2, '40-59', 40, 59), (3, '60-84', 60, 84), (4, '85-100', 85, 100))
               AS b(band, risk_band, band_min, band_max)
            ON b.band = CASE WHEN i.risk_score < 20 THEN 0 WHEN i.risk_score < 40 THEN 1 WHEN i.risk_score < 60 THEN 2
                             WHEN i.risk_score < 85 THEN 3 ELSE 4 END
         WHERE i.state <> 'skipped') x
  GROUP BY x.day, x.risk_band;
COMMENT ON VIEW analytics.risk_vs_low_scores IS 'Does the bad-review risk score predict low survey scores? Surveyed tickets by their risk score at resolution, beside the low scores that followed';
COMMENT ON COLUMN analytics.risk_vs_low_scores.day IS 'Calendar day (China time) the tickets were resolved';
COMMENT ON COLUMN analytics.risk_vs_low_scores.risk_band IS 'Risk score range at resolution: 0-19, 20-39, 40-59, 60-84 (flagged), 85-100 (flagged, urgent)';
COMMENT ON COLUMN analytics.risk_vs_low_scores.band_min IS 'Lowest score of the band';
COMMENT ON COLUMN analytics.risk_vs_low_scores.band_max IS 'Highest score of the band';
COMMENT ON COLUMN analytics.risk_vs_low_scores.flagged IS 'The band is at or above the flag threshold (60)';
COMMENT ON COLUMN analytics.risk_vs_low_scores.surveys_sent IS 'Invitations that went out';
COMMENT ON COLUMN analytics.risk_vs_low_scores.answered IS 'Of those, answered';
COMMENT ON COLUMN analytics.risk_vs_low_scores.low_scores IS 'Answers that were low scores';
COMMENT ON COLUMN analytics.risk_vs_low_scores.low_score_rate_pct IS 'low_scores / answered x 100';
COMMENT ON COLUMN analytics.risk_vs_low_scores.csat_pct IS 'CSAT % (4-5 of the CSAT answers) in the band';
COMMENT ON COLUMN analytics.risk_vs_low_scores.complaints IS 'Surveyed tickets of category complaint';

-- ---- proactive notices and what followed -----------------------------------

CREATE VIEW analytics.proactive_notices AS
  WITH n AS (
    SELECT n.order_id, n.kind, n.episode, n.sent_at, n.channel, n.outbound_id,
           coalesce(c.merged_into, c.customer_id) AS customer_id
      FROM router.proactive_notices n
      LEFT JOIN router.identities i ON i.account = n.account AND i.external_user_id = n.external_user_id
      LEFT JOIN router.customers c ON c.customer_id = coalesce(n.customer_id, i.customer_id)
  ), f AS (
    SELECT n.order_id, n.kind, n.episode,
           count(t.ticket_id) AS tickets_after,
           count(t.ticket_id) FILTER (WHERE t.category = 'complaint' OR 'complaint' = ANY (t.tags)) AS complaints_after,
           min(t.created_at) AS first_contact_at
      FROM n JOIN router.tickets t
        ON t.customer_id = n.customer_id AND t.created_at > n.sent_at AND t.created_at <= n.sent_at + interval '7 days'
     GROUP BY n.order_id, n.kind, n.episode
  )
  SELECT n.order_id, split_part(n.kind, ':', 1) AS notice_kind,
         CASE WHEN n.kind LIKE '%:%@%' THEN substring(n.kind FROM '^[^:]*:(.*)@[^@]*$') ELSE '' END AS sku,
         CASE WHEN n.kind LIKE '%:%@%' THEN substring(n.kind FROM '@([^@]*)$') ELSE '' END AS warehouse,
         n.episode, n.sent_at, (n.sent_at AT TIME ZONE 'Asia/Shanghai')::date AS day,
         CASE n.channel WHEN 1 THEN 'webhook' WHEN 2 THEN 'wechat' WHEN 3 THEN 'email' ELSE '' END AS channel,
         coalesce(o.status, '') AS delivery_status,
         md5(n.customer_id::text) AS customer_key,
         coalesce(f.tickets_after, 0) AS tickets_after,
         coalesce(f.complaints_after, 0) AS complaints_after,
         coalesce(f.tickets_after, 0) > 0 AS contacted_after,
         coalesce(f.complaints_after, 0) > 0 AS complained_after,
         extract(epoch FROM f.first_contact_at - n.sent_at)::double precision AS first_contact_seconds
  FROM n
  LEFT JOIN f ON f.order_id = n.order_id AND f.kind = n.kind AND f.episode = n.episode
  LEFT JOIN gateway.outbound_messages o ON o.outbound_id = n.outbound_id;
COMMENT ON VIEW analytics.proactive_notices IS 'Every proactive notice (parcel late, out of stock, back in stock) and what the customer did in the 7 days after it';
COMMENT ON COLUMN analytics.proactive_notices.order_id IS 'Order the notice was about';
COMMENT ON COLUMN analytics.proactive_notices.notice_kind IS 'delay, stockout or restocked';
COMMENT ON COLUMN analytics.proactive_notices.sku IS 'SKU out of stock or restocked; '''' for delays';
COMMENT ON COLUMN analytics.proactive_notices.warehouse IS 'Warehouse of the stock-out; '''' for delays';
COMMENT ON COLUMN analytics.proactive_notices.episode IS 'Delay episode of the shipment or stock-out episode of the SKU, from 1';
COMMENT ON COLUMN analytics.proactive_notices.sent_at IS 'When the notice was issued';
COMMENT ON COLUMN analytics.proactive_notices.day IS 'Calendar day (China time) it was issued';
COMMENT ON COLUMN analytics.proactive_notices.channel IS 'Channel it went out on (webhook, wechat, email; '''' unknown)';
COMMENT ON COLUMN analytics.proactive_notices.delivery_status IS 'Gateway delivery: delivered, pending, sending, dead; '''' = not found';
COMMENT ON COLUMN analytics.proactive_notices.customer_key IS 'Pseudonymous customer key (as in analytics.tickets); NULL = customer unknown to the router';
COMMENT ON COLUMN analytics.proactive_notices.tickets_after IS 'Tickets the customer opened within 7 days after the notice';
COMMENT ON COLUMN analytics.proactive_notices.complaints_after IS 'Of those, complaints';
COMMENT ON COLUMN analytics.proactive_notices.contacted_after IS 'The customer still wrote in within 7 days';
COMMENT ON COLUMN analytics.proactive_notices.complained_after IS 'The customer still complained within 7 days';
COMMENT ON COLUMN analytics.proactive_notices.first_contact_seconds IS 'Seconds from the notice to the customer''s next ticket; NULL = none';

CREATE VIEW analytics.proactive_notice_outcomes AS
  SELECT day, notice_kind, count(*) AS notices,
         count(*) FILTER (WHERE delivery_status = 'delivered') AS delivered,
         count(DISTINCT customer_key) AS customers,
         count(*) FILTER (WHERE contacted_after) AS contacted_after,
         count(*) FILTER (WHERE complained_after) AS complained_after,
         round(100.0 * count(*) FILTER (WHERE contacted_after) / count(*), 2) AS contact_rate_pct,
         round(100.0 * count(*) FILTER (WHERE complained_after) / count(*), 2) AS complaint_rate_pct,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY first_contact_seconds) AS first_contact_p50_s
  FROM analytics.proactive_notices
  GROUP BY day, notice_kind;
COMMENT ON VIEW analytics.proactive_notice_outcomes IS 'Per day and kind: notices sent and how many customers still wrote in or complained within 7 days';
COMMENT ON COLUMN analytics.proactive_notice_outcomes.day IS 'Calendar day (China time) the notices were issued';
COMMENT ON COLUMN analytics.proactive_notice_outcomes.notice_kind IS 'delay, stockout or restocked';
COMMENT ON COLUMN analytics.proactive_notice_outcomes.notices IS 'Notices issued';
COMMENT ON COLUMN analytics.proactive_notice_outcomes.delivered IS 'Of those, confirmed delivered by the channel';
COMMENT ON COLUMN analytics.proactive_notice_outcomes.customers IS 'Distinct customers notified';
COMMENT ON COLUMN analytics.proactive_notice_outcomes.contacted_after IS 'Notices followed by a ticket of the customer within 7 days';
COMMENT ON COLUMN analytics.proactive_notice_outcomes.complained_after IS 'Notices followed by a complaint of the customer within 7 days';
COMMENT ON COLUMN analytics.proactive_notice_outcomes.contact_rate_pct IS 'contacted_after / notices x 100';
COMMENT ON COLUMN analytics.proactive_notice_outcomes.complaint_rate_pct IS 'complained_after / notices x 100';
COMMENT ON COLUMN analytics.proactive_notice_outcomes.first_contact_p50_s IS 'Median seconds from a notice to the customer''s next ticket (those who wrote in)';

-- ---- stock-outs and delays: what they cost ---------------------------------

CREATE VIEW analytics.stockout_impact AS
  WITH po AS (
    SELECT so.sku, so.warehouse, so.episode, so.order_id, h.started_at, o.status,
           n.sent_at AS notified_at
      FROM stock.shortage_orders so
      JOIN stock.shortages h ON h.sku = so.sku AND h.warehouse = so.warehouse AND h.episode = so.episode
      LEFT JOIN logistics.orders o ON o.order_id = so.order_id
      LEFT JOIN router.proactive_notices n
        ON n.account = o.account AND n.external_user_id = o.external_user_id
       AND n.kind = 'stockout:' || so.sku || '@' || so.warehouse AND n.episode = so.episode
  ), pc AS (
    SELECT po.sku, po.warehouse, po.episode, po.order_id,
           count(t.ticket_id) AS tickets,
           count(t.ticket_id) FILTER (WHERE t.category = 'complaint' OR 'complaint' = ANY (t.tags)) AS complaints
      FROM po
      JOIN router.ticket_refs r ON r.kind = 'order' AND r.value = po.order_id
      JOIN router.tickets t ON t.ticket_id = r.ticket_id AND t.created_at >= po.started_at
     GROUP BY 1, 2, 3, 4
  )
  SELECT h.sku, coalesce(s.name, '') AS sku_name, h.warehouse, h.episode, h.started_at, h.restocked_at,
         h.restocked_at - h.started_at AS duration,
         count(po.order_id) AS affected_orders,
         count(po.notified_at) AS notified_orders,
         count(*) FILTER (WHERE po.status = 'cancelled') AS cancelled_orders,
         count(*) FILTER (WHERE pc.tickets > 0) AS orders_with_tickets,
         count(*) FILTER (WHERE pc.complaints > 0) AS orders_with_complaints,
         count(*) FILTER (WHERE pc.complaints > 0 AND po.notified_at IS NOT NULL) AS notified_with_complaints,
         count(*) FILTER (WHERE pc.complaints > 0 AND po.notified_at IS NULL AND po.order_id IS NOT NULL)
           AS unnotified_with_complaints
  FROM stock.shortages h
  LEFT JOIN stock.skus s ON s.sku = h.sku
  LEFT JOIN po ON po.sku = h.sku AND po.warehouse = h.warehouse AND po.episode = h.episode
  LEFT JOIN pc ON pc.sku = po.sku AND pc.warehouse = po.warehouse AND pc.episode = po.episode AND pc.order_id = po.order_id
  GROUP BY h.sku, s.name, h.warehouse, h.episode, h.started_at, h.restocked_at;
COMMENT ON VIEW analytics.stockout_impact IS 'Each stock-out episode and what it cost: orders hit, customers told, cancellations, tickets and complaints about those orders since it started';
COMMENT ON COLUMN analytics.stockout_impact.sku IS 'Stock keeping unit code';
COMMENT ON COLUMN analytics.stockout_impact.sku_name IS 'Product name ('''' when unknown)';
COMMENT ON COLUMN analytics.stockout_impact.warehouse IS 'Warehouse code';
COMMENT ON COLUMN analytics.stockout_impact.episode IS 'Stock-out episode of the SKU in the warehouse, from 1';
COMMENT ON COLUMN analytics.stockout_impact.started_at IS 'When it ran out';
COMMENT ON COLUMN analytics.stockout_impact.restocked_at IS 'When stock came back; NULL while still out';
COMMENT ON COLUMN analytics.stockout_impact.duration IS 'restocked_at - started_at; NULL while still out';
COMMENT ON COLUMN analytics.stockout_impact.affected_orders IS 'Unshipped orders the stock-out listed';
COMMENT ON COLUMN analytics.stockout_impact.notified_orders IS 'Of those, orders whose customer got the stock-out notice (one notice per customer and episode)';
COMMENT ON COLUMN analytics.stockout_impact.cancelled_orders IS 'Of those, orders cancelled by now';
COMMENT ON COLUMN analytics.stockout_impact.orders_with_tickets IS 'Affected orders named in a ticket opened since the stock-out started';
COMMENT ON COLUMN analytics.stockout_impact.orders_with_complaints IS 'Affected orders named in a complaint opened since it started';
COMMENT ON COLUMN analytics.stockout_impact.notified_with_complaints IS 'Notified orders that still got a complaint';
COMMENT ON COLUMN analytics.stockout_impact.unnotified_with_complaints IS 'Orders without a notice that got a complaint';

CREATE VIEW analytics.delay_impact AS
  WITH d AS (
    SELECT s.shipment_id, s.order_id, s.carrier, s.delayed_at, s.delay_open, s.delay_episodes,
           coalesce(o.warehouse, '') AS warehouse, coalesce(o.campaign_id, '') AS campaign_id, n.first_notice_at,
           least(s.delayed_at, n.first_notice_at) AS since
      FROM logistics.shipments s
      LEFT JOIN logistics.orders o ON o.order_id = s.order_id
      LEFT JOIN (SELECT order_id, min(sent_at) AS first_notice_at FROM router.proactive_notices
                  WHERE kind = 'delay' GROUP BY order_id) n ON n.order_id = s.order_id
     WHERE s.delay_episodes > 0 AND s.delayed_at IS NOT NULL
  ), dc AS (
    SELECT d.shipment_id, count(t.ticket_id) AS tickets,
           count(t.ticket_id) FILTER (WHERE t.category = 'complaint' OR 'complaint' = ANY (t.tags)) AS complaints
      FROM d
      JOIN router.ticket_refs r ON r.kind = 'order' AND r.value = d.order_id
      JOIN router.tickets t ON t.ticket_id = r.ticket_id AND t.created_at >= d.since
     GROUP BY d.shipment_id
  )
  SELECT (d.delayed_at AT TIME ZONE 'Asia/Shanghai')::date AS day, d.carrier, d.warehouse, d.campaign_id,
         count(*) AS delayed_shipments,
         count(*) FILTER (WHERE d.delay_open) AS still_late,
         sum(d.delay_episodes)::bigint AS delay_episodes,
         count(d.first_notice_at) AS notified,
         count(*) FILTER (WHERE dc.tickets > 0) AS with_tickets,
         count(*) FILTER (WHERE dc.complaints > 0) AS with_complaints,
         count(*) FILTER (WHERE dc.complaints > 0 AND d.first_notice_at IS NOT NULL) AS notified_with_complaints,
         count(*) FILTER (WHERE dc.complaints > 0 AND d.first_notice_at IS NULL) AS unnotified_with_complaints
  FROM d LEFT JOIN dc ON dc.shipment_id = d.shipment_id
  GROUP BY 1, 2, 3, 4;
COMMENT ON VIEW analytics.delay_impact IS 'Late parcels by day, carrier, warehouse and campaign, and what followed: notices, tickets and complaints about those orders';
COMMENT ON COLUMN analytics.delay_impact.day IS 'Calendar day (China time) the latest delay was detected';
COMMENT ON COLUMN analytics.delay_impact.carrier IS 'Carrier code (Kuaidi100 com)';
COMMENT ON COLUMN analytics.delay_impact.warehouse IS 'Warehouse that shipped the order ('''' unknown)';
COMMENT ON COLUMN analytics.delay_impact.campaign_id IS 'Campaign of the order; '''' = none';
COMMENT ON COLUMN analytics.delay_impact.delayed_shipments IS 'Shipments that became late at least once';
COMMENT ON COLUMN analytics.delay_impact.still_late IS 'Of those, still in a delay episode';
COMMENT ON COLUMN analytics.delay_impact.delay_episodes IS 'Delay episodes of those shipments in all';
COMMENT ON COLUMN analytics.delay_impact.notified IS 'Shipments whose customer got a delay notice';
COMMENT ON COLUMN analytics.delay_impact.with_tickets IS 'Shipments whose order was named in a ticket opened since the delay (or its notice)';
COMMENT ON COLUMN analytics.delay_impact.with_complaints IS 'Shipments whose order was named in a complaint since then';
COMMENT ON COLUMN analytics.delay_impact.notified_with_complaints IS 'Notified shipments that still got a complaint';
COMMENT ON COLUMN analytics.delay_impact.unnotified_with_complaints IS 'Shipments without a notice that got a complaint';

-- ---- agents ----------------------------------------------------------------

CREATE VIEW analytics.agent_scorecards AS
  WITH parts AS (
    -- first responses, by the day they were given, for the ticket's agent
    SELECT (t.first_response_at AT TIME ZONE 'Asia/Shanghai')::date AS day, t.agent_id,
           count(*) AS first_responses,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.first_response_at - t.created_at)::double precision) AS first_response_p50_s,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM t.first_response_at - t.created_at)::double precision) AS first_response_p90_s,
           NULL::bigint AS resolved, NULL::bigint AS complaints_resolved, NULL::double precision AS resolution_p50_s,
           NULL::bigint AS replies, NULL::bigint AS breached_tickets,
           NULL::bigint AS surveys_sent, NULL::bigint AS surveys_answered, NULL::bigint AS csat_answers,
           NULL::bigint AS csat_satisfied, NULL::bigint AS nps_answers, NULL::bigint AS promoters,
           NULL::bigint AS detractors, NULL::bigint AS low_scores
      FROM router.tickets t WHERE t.first_response_at IS NOT NULL AND t.agent_id <> '' GROUP BY 1, 2
    UNION ALL
    SELECT (t.resolved_at AT TIME ZONE 'Asia/Shanghai')::date, t.agent_id, NULL, NULL, NULL,
           count(*), count(*) FILTER (WHERE t.category = 'complaint' OR 'complaint' = ANY (t.tags)),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.resolved_at - t.created_at)::double precision),
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
      FROM router.tickets t WHERE t.resolved_at IS NOT NULL AND t.agent_id <> '' GROUP BY 1, 2
    UNION ALL
    SELECT (e.at AT TIME ZONE 'Asia/Shanghai')::date, substr(e.actor, 7), NULL, NULL, NULL, NULL, NULL, NULL,
           count(*), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
      FROM router.ticket_events e WHERE e.kind = 'agent_reply' AND e.actor LIKE 'agent:%' GROUP BY 1, 2
    UNION ALL
    SELECT (b.breached_at AT TIME ZONE 'Asia/Shanghai')::date, t.agent_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           count(DISTINCT b.ticket_id), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
      FROM router.sla_breaches b JOIN router.tickets t ON t.ticket_id = b.ticket_id
     WHERE t.agent_id <> '' GROUP BY 1, 2
    UNION ALL
    SELECT (i.resolved_at AT TIME ZONE 'Asia/Shanghai')::date, i.agent_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           count(*) FILTER (WHERE i.state IN ('sent', 'answered', 'expired')),
           count(*) FILTER (WHERE i.state = 'answered'),
           count(r.csat), count(*) FILTER (WHERE r.csat >= 4),
           count(r.nps), count(*) FILTER (WHERE r.nps >= 9), count(*) FILTER (WHERE r.nps <= 6),
           count(*) FILTER (WHERE r.low_score)
      FROM survey.invitations i LEFT JOIN survey.responses r ON r.invitation_id = i.invitation_id
     WHERE i.agent_id <> '' AND i.state <> 'skipped' GROUP BY 1, 2
  )
  SELECT p.day, p.agent_id, coalesce(a.tier, '') AS tier,
         coalesce(sum(p.first_responses), 0)::bigint AS first_responses,
         max(p.first_response_p50_s) AS first_response_p50_s,
         max(p.first_response_p90_s) AS first_response_p90_s,
         coalesce(sum(p.replies), 0)::bigint AS replies,
         coalesce(sum(p.resolved), 0)::bigint AS resolved,
         coalesce(sum(p.complaints_resolved), 0)::bigint AS complaints_resolved,
         max(p.resolution_p50_s) AS resolution_p50_s,
         coalesce(sum(p.breached_tickets), 0)::bigint AS breached_tickets,
         coalesce(sum(p.surveys_sent), 0)::bigint AS surveys_sent,
         coalesce(sum(p.surveys_answered), 0)::bigint AS surveys_answered,
         round(100.0 * sum(p.csat_satisfied) / nullif(sum(p.csat_answers), 0), 2) AS csat_pct,
         round(100.0 * (sum(p.promoters) - sum(p.detractors)) / nullif(sum(p.nps_answers), 0), 2) AS nps,
         coalesce(sum(p.low_scores), 0)::bigint AS low_scores
  FROM parts p LEFT JOIN router.agents a ON a.agent_id = p.agent_id
  GROUP BY p.day, p.agent_id, a.tier;
COMMENT ON VIEW analytics.agent_scorecards IS 'Per agent and day: replies, first responses, resolutions, SLA breaches, survey scores (each counted on the day it happened)';
COMMENT ON COLUMN analytics.agent_scorecards.day IS 'Calendar day (China time)';
COMMENT ON COLUMN analytics.agent_scorecards.agent_id IS 'Agent id (names are not exposed)';
COMMENT ON COLUMN analytics.agent_scorecards.tier IS 'frontline, lead or supervisor ('''' = agent since removed)';
COMMENT ON COLUMN analytics.agent_scorecards.first_responses IS 'Tickets first answered that day, now assigned to the agent';
COMMENT ON COLUMN analytics.agent_scorecards.first_response_p50_s IS 'Median first-response time of those, seconds';
COMMENT ON COLUMN analytics.agent_scorecards.first_response_p90_s IS '90th percentile first-response time of those, seconds';
COMMENT ON COLUMN analytics.agent_scorecards.replies IS 'Replies the agent sent to customers that day';
COMMENT ON COLUMN analytics.agent_scorecards.resolved IS 'Tickets of the agent resolved that day';
COMMENT ON COLUMN analytics.agent_scorecards.complaints_resolved IS 'Of those, complaints';
COMMENT ON COLUMN analytics.agent_scorecards.resolution_p50_s IS 'Median time from opening to resolution of those, seconds';
COMMENT ON COLUMN analytics.agent_scorecards.breached_tickets IS 'Tickets now assigned to the agent with an SLA breach recorded that day';
COMMENT ON COLUMN analytics.agent_scorecards.surveys_sent IS 'Survey invitations sent for the agent''s tickets resolved that day';
COMMENT ON COLUMN analytics.agent_scorecards.surveys_answered IS 'Of those, answered';
COMMENT ON COLUMN analytics.agent_scorecards.csat_pct IS 'CSAT % (4-5 of CSAT answers) of those';
COMMENT ON COLUMN analytics.agent_scorecards.nps IS 'NPS (promoters - detractors, % of NPS answers) of those';
COMMENT ON COLUMN analytics.agent_scorecards.low_scores IS 'Low-score answers of those';

-- ---- outbound messages -----------------------------------------------------

CREATE VIEW analytics.outbound_delivery AS
  SELECT date_trunc('hour', o.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour_start, o.channel,
         CASE o.reason WHEN 1 THEN 'agent_reply' WHEN 2 THEN 'auto_reply' WHEN 3 THEN 'proactive_notice'
                       WHEN 4 THEN 'survey_invitation' WHEN 5 THEN 'acknowledgement' ELSE 'other' END AS reason,
         count(*) AS messages,
         count(*) FILTER (WHERE o.status = 'delivered') AS delivered,
         count(*) FILTER (WHERE o.status = 'dead') AS dead,
         count(*) FILTER (WHERE o.status IN ('pending', 'sending')) AS pending,
         percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM o.delivered_at - o.created_at)::double precision)
           AS delivery_p90_s
  FROM gateway.outbound_messages o
  GROUP BY 1, 2, 3;
COMMENT ON VIEW analytics.outbound_delivery IS 'Messages to customers per hour, channel and reason (agent reply, auto-reply, proactive notice, survey invitation, acknowledgement) and whether they arrived';
COMMENT ON COLUMN analytics.outbound_delivery.hour_start IS 'Start of the hour the message was queued';
COMMENT ON COLUMN analytics.outbound_delivery.channel IS 'webhook, wechat or email';
COMMENT ON COLUMN analytics.outbound_delivery.reason IS 'agent_reply, auto_reply, proactive_notice, survey_invitation, acknowledgement, other';
COMMENT ON COLUMN analytics.outbound_delivery.messages IS 'Messages queued';
COMMENT ON COLUMN analytics.outbound_delivery.delivered IS 'Delivered to the channel';
COMMENT ON COLUMN analytics.outbound_delivery.dead IS 'Given up after the last retry';
COMMENT ON COLUMN analytics.outbound_delivery.pending IS 'Still being tried';
COMMENT ON COLUMN analytics.outbound_delivery.delivery_p90_s IS '90th percentile seconds from queued to delivered (delivered ones)';

-- ---- forecast vs actual, without a subquery per forecast row ---------------
-- 013's version counted the hour's tickets once per forecast row (one per
-- group and hour): on a 1,000,000-message day 1.6 s for one campaign. Here
-- each campaign hour is counted once, per group at the same time; a filter
-- on campaign_id (peakdesk forecast) still reaches only that campaign's
-- hours. Same columns, same meaning, so the comments of 013 stay.
CREATE OR REPLACE VIEW analytics.forecast_vs_actual AS
  SELECT h.campaign_id, h.hour_start, x.group_name, x.expected_orders, x.expected_consultations,
         x.agents_needed, x.service_level AS forecast_service_level,
         coalesce(CASE WHEN x.group_name = '' THEN x.total ELSE (x.per_group ->> x.group_name)::bigint END, 0)::bigint
           AS actual_consultations,
         x.orders AS actual_orders
  FROM (SELECT f.campaign_id, f.hour_start, array_agg(f) AS rows FROM promo.forecast_hours f
         GROUP BY f.campaign_id, f.hour_start) h
  CROSS JOIN LATERAL (
    SELECT r.group_name, r.expected_orders, r.expected_consultations, r.agents_needed, r.service_level,
           tk.total, tk.per_group, od.orders
      FROM (SELECT coalesce(sum(g.n), 0)::bigint AS total, coalesce(jsonb_object_agg(g.group_name, g.n), '{}') AS per_group
              FROM (SELECT t.group_name, count(*) AS n FROM router.tickets t
                     WHERE t.created_at >= h.hour_start AND t.created_at < h.hour_start + interval '1 hour'
                     GROUP BY t.group_name) g) tk,
           (SELECT count(*) AS orders FROM logistics.orders o
             WHERE o.ordered_at >= h.hour_start AND o.ordered_at < h.hour_start + interval '1 hour'
               AND o.campaign_id = h.campaign_id) od,
           unnest(h.rows) AS r) x;

-- ---- grants ----------------------------------------------------------------
-- Every view, old and new, for analysts and the CLI's report; views and
-- functions added by later migrations get the same by default.
GRANT USAGE ON SCHEMA analytics TO peakdesk_analyst, peakdesk_cli;
GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO peakdesk_analyst, peakdesk_cli;
ALTER DEFAULT PRIVILEGES IN SCHEMA analytics GRANT SELECT ON TABLES TO peakdesk_analyst, peakdesk_cli;
