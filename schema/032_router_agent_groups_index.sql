-- The online agents of one group, for assignment: a GIN index over
-- router.agents.groups (queried as groups @> ARRAY[group]), so choosing
-- among 1,000 agents reads the group's rows only (make bench, part router:
-- the candidate query was a third of the router's database time).
CREATE INDEX agents_online_groups ON router.agents USING gin (groups) WHERE presence = 'online';
