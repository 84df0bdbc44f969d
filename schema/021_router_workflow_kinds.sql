-- Exchange and reship beside return/refund (services/router/workflow.c).
ALTER TABLE router.workflows DROP CONSTRAINT workflows_kind_check;
ALTER TABLE router.workflows ADD CONSTRAINT workflows_kind_check CHECK (kind IN ('return', 'exchange', 'reship'));
