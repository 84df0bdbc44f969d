-- The router finds the shipment a ticket talks about by the tracking
-- number or the order number the customer wrote (auto-replies with the
-- parcel's state: services/router/decide.c, gather_facts). Shipments were indexed by
-- (carrier, tracking_no) only, so both lookups scanned the table: 12 ms per
-- customer message at 100,000 shipments, the router's most frequent
-- statement while catching up a backlog (`make chaos`, resource_chaos.sh).
CREATE INDEX shipments_tracking_no ON logistics.shipments (tracking_no);
CREATE INDEX shipments_order_id ON logistics.shipments (order_id);
