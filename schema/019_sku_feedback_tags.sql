-- Product feedback by what a ticket is about, not by its first category:
-- a customer who first asked about an invoice and then complained about
-- colour counts (the router now adds a later message's tags to the
-- ticket). Tags that say nothing about the product are left out.
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
    SELECT ts.sku, sig.evidence, 'risk_signal', ts.ticket_id::text
      FROM ticket_skus ts JOIN router.ticket_risk_signals sig
        ON sig.ticket_id = ts.ticket_id AND sig.code = 'perfectionist'
    UNION ALL
    SELECT DISTINCT i.sku, ret.reason, 'return', ret.return_id
      FROM logistics.returns ret JOIN logistics.order_items i USING (order_id)
      WHERE ret.reason <> ''
  )
  SELECT r.sku, coalesce(s.name, '') AS sku_name, r.reason, r.source, count(DISTINCT r.item) AS occurrences
  FROM reasons r LEFT JOIN stock.skus s USING (sku)
  GROUP BY r.sku, s.name, r.reason, r.source;
