-- The parcel a workflow waits for (a reship's new parcel): its delivery,
-- reported by the logistics service, is the workflow's next step.
ALTER TABLE router.workflows ADD COLUMN parcel text NOT NULL DEFAULT '';
CREATE INDEX workflows_parcel ON router.workflows (parcel) WHERE parcel <> '';
COMMENT ON COLUMN router.workflows.parcel IS 'tracking number of the parcel the workflow waits for (reship: the new parcel)';
