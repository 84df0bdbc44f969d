-- The reasons in analytics.sku_feedback are free text: a return's reason
-- as the department recorded it (a customer's words: "请打138... 联系我")
-- and a risk signal's evidence. Masked like every other free text the
-- analysts see (analytics.mask_text: the order's phone and every mainland
-- mobile number), found by tests/integration/analytics_views.sh seeding a
-- return reason with a phone number. Same columns, so their comments stay.
CREATE OR REPLACE VIEW analytics.sku_feedback AS
  WITH ticket_skus AS (
    SELECT DISTINCT t.ticket_id, i.sku, t.tags
    FROM router.tickets t
    JOIN router.ticket_refs r ON r.ticket_id = t.ticket_id AND r.kind = 'order'
    JOIN logistics.order_items i ON i.order_id = r.value
  ), reasons AS (
    SELECT sku, tag AS reason, 'ticket_tag' AS source, ticket_id::text AS item
      FROM ticket_skus, unnest(tags) AS tag
      WHERE tag IN ('quality', 'damage', 'missing-item', 'size', 'return', 'exchange', 'refund',
                    'not-as-described', 'product-question')
    UNION ALL
    SELECT ts.sku, analytics.mask_text(sig.evidence, NULL, NULL), 'risk_signal', ts.ticket_id::text
      FROM ticket_skus ts JOIN router.ticket_risk_signals sig
        ON sig.ticket_id = ts.ticket_id AND sig.code = 'perfectionist'
    UNION ALL
    SELECT DISTINCT i.sku, analytics.mask_text(ret.reason, o.phone, NULL), 'return', ret.return_id
      FROM logistics.returns ret JOIN logistics.order_items i USING (order_id)
        LEFT JOIN logistics.orders o USING (order_id)
      WHERE ret.reason <> ''
  )
  SELECT r.sku, coalesce(s.name, '') AS sku_name, r.reason, r.source, count(DISTINCT r.item) AS occurrences
  FROM reasons r LEFT JOIN stock.skus s USING (sku)
  GROUP BY r.sku, s.name, r.reason, r.source;
