-- The Sophie Hub tables a rollout's migration meets, as the plugin models them when there is no
-- checkout to read (with a checkout, the gate applies the checkout's own migrations instead).
-- Modelled on Tophie726/Sophie-Hub2 staging @ 1ec4e980eb974d0df3926797de6988eebccae88b:
-- supabase/migrations/20260114_initial_schema_bootstrap.sql (staff), 20260205_entity_external_ids.sql,
-- 2026020702_relax_entity_source_constraint.sql and 20260220_bigquery_multi_marketplace_mappings.sql.
create table if not exists staff (
  id uuid primary key default gen_random_uuid(),
  email text unique not null,
  role text not null default 'staff'
);
create table if not exists partners (
  id uuid primary key default gen_random_uuid(),
  brand_name text not null
);
create table if not exists entity_external_ids (
  id uuid primary key default gen_random_uuid(),
  entity_type text not null,
  entity_id uuid not null,
  source text not null,
  external_id text not null,
  metadata jsonb default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  created_by text,
  constraint entity_external_ids_unique_source_external unique (source, external_id),
  constraint entity_external_ids_unique_entity_source_external
    unique (entity_type, entity_id, source, external_id)
);
alter table entity_external_ids enable row level security;
create unique index if not exists idx_entity_external_ids_one_to_one_sources
  on entity_external_ids (entity_type, entity_id, source)
  where source in ('slack_user', 'google_workspace_user');
