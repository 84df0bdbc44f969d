-- Cross-department workflows stored with the ticket (the return/refund
-- state machine of services/router/workflow.c) and the department tasks
-- their steps create: a step owned by the warehouse or finance becomes a
-- task for that group, closed when the step is taken (by the department's
-- agent through the agent API, or by the logistics service's facts).
CREATE TABLE router.workflows (
  ticket_id   uuid NOT NULL REFERENCES router.tickets,
  kind        text NOT NULL CHECK (kind IN ('return')),
  reference   text NOT NULL DEFAULT '',   -- return or order number
  state       text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ticket_id, kind)
);

CREATE TABLE router.workflow_tasks (
  task_id     bigserial PRIMARY KEY,
  ticket_id   uuid NOT NULL REFERENCES router.tickets,
  kind        text NOT NULL,
  step        text NOT NULL,              -- the state the task moves the workflow to
  group_name  text NOT NULL,              -- warehouse, finance
  created_at  timestamptz NOT NULL DEFAULT now(),
  done_at     timestamptz,
  done_by     text
);
CREATE UNIQUE INDEX workflow_tasks_open ON router.workflow_tasks (ticket_id, kind, group_name) WHERE done_at IS NULL;
CREATE INDEX workflow_tasks_group ON router.workflow_tasks (group_name) WHERE done_at IS NULL;

GRANT SELECT, INSERT, UPDATE ON router.workflows, router.workflow_tasks TO peakdesk_router;
GRANT USAGE ON SEQUENCE router.workflow_tasks_task_id_seq TO peakdesk_router;
GRANT SELECT ON router.workflows, router.workflow_tasks TO peakdesk_gateway, peakdesk_survey, peakdesk_cli;
