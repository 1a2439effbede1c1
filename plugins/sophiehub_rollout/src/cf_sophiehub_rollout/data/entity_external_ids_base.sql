-- The Sophie Hub table a rollout's migration meets, as the checks model it: one row per link
-- between an internal entity and an external identity, upserted on (source, external_id), with
-- Slack and Google Workspace users already 1:1 per entity.
create table if not exists entity_external_ids (
  id bigint generated always as identity primary key,
  entity_type text not null,
  entity_id uuid not null,
  source text not null,
  external_id text not null,
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint entity_external_ids_source_external_id_key unique (source, external_id)
);
create unique index if not exists entity_external_ids_one_slack_user_per_entity
  on entity_external_ids (entity_type, entity_id) where source = 'slack_user';
create unique index if not exists entity_external_ids_one_google_workspace_user_per_entity
  on entity_external_ids (entity_type, entity_id) where source = 'google_workspace_user';
