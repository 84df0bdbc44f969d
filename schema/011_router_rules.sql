-- Classification rules, edited in the database and picked up by running
-- routers without a restart (NOTIFY peakdesk_rules on every change). The
-- router seeds the shipped promo rule set when the table is empty.
CREATE TABLE router.rules (
  rule_id        text PRIMARY KEY,
  position       int NOT NULL UNIQUE,          -- evaluation order, ascending
  enabled        boolean NOT NULL DEFAULT true,
  channels       text[] NOT NULL DEFAULT '{}', -- webhook, wechat, email; empty = all
  tier           text NOT NULL DEFAULT '',     -- customer tier filter, e.g. vip
  if_category    text NOT NULL DEFAULT '',     -- only while the ticket has this category
  keywords_any   text[] NOT NULL DEFAULT '{}',
  keywords_all   text[] NOT NULL DEFAULT '{}',
  keywords_none  text[] NOT NULL DEFAULT '{}',
  regex          text NOT NULL DEFAULT '',     -- ASCII POSIX ERE (order-number formats, ...)
  category       text NOT NULL DEFAULT '',
  priority       int NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 4),
  group_name     text NOT NULL DEFAULT '',
  tags           text[] NOT NULL DEFAULT '{}',
  auto_reply     text NOT NULL DEFAULT '',     -- auto-reply template name
  fall_through   boolean NOT NULL DEFAULT false,
  updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION router.notify_rules() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('peakdesk_rules', '');
  RETURN NULL;
END $$;
CREATE TRIGGER rules_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON router.rules
  FOR EACH STATEMENT EXECUTE FUNCTION router.notify_rules();

GRANT SELECT, INSERT, UPDATE, DELETE ON router.rules TO peakdesk_router;
GRANT SELECT, INSERT, UPDATE, DELETE ON router.rules TO peakdesk_cli;
