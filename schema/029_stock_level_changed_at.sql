-- When a level's numbers last changed, beside updated_at (when the newest
-- report was applied): a department's periodic full sync resends the same
-- numbers under a newer version, which moves updated_at but not this.
--
-- The stock service's level upsert sets it to statement_timestamp() in the
-- rows whose numbers (on hand, reserved, available, restock ETA, ship-by)
-- it changes and returns `changed_at = statement_timestamp()`: whether a
-- report is worth a stock.level_changed comes back from the upsert itself,
-- without a second lookup of every level's old row (make bench, part (e):
-- that lookup was one index probe per report on top of the upsert's own).
-- NULL for levels written before this column existed, until they change.
-- Nullable without a default: adding it rewrites nothing.
ALTER TABLE stock.levels ADD COLUMN changed_at timestamptz;
COMMENT ON COLUMN stock.levels.changed_at IS
  'When on_hand, reserved, available, restock_eta or ship_by last changed (NULL: not since this column was added)';
