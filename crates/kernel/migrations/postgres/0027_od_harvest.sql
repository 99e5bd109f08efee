-- Harvesting of other catalogs (issue 17, ADR 0034): sources the prefecture's open data administrator
-- configures (a CKAN site or a DCAT-AP Turtle feed), one log row per run, and on each harvested dataset the
-- source it came from. Expand only (ADR 0032): new tables and nullable columns.
CREATE TABLE od_harvest_sources (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),          -- the prefecture that configured it
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('ckan', 'dcat-turtle')),
    url TEXT NOT NULL,
    org_tenant_id BIGINT NOT NULL REFERENCES tenants(id),      -- the organisation datasets are filed under
    every_hours BIGINT NOT NULL DEFAULT 0,                   -- 0: manual only
    enabled BIGINT NOT NULL DEFAULT 1,
    high_water TEXT NOT NULL DEFAULT '',                     -- metadata_modified reached by the last successful run
    next_run_at BIGINT,                                      -- when the schedule queues the next run
    created_at BIGINT NOT NULL,
    modified_at BIGINT NOT NULL
);
CREATE TABLE od_harvest_runs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_id BIGINT NOT NULL REFERENCES od_harvest_sources(id),
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    queued_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    found BIGINT NOT NULL DEFAULT 0,                         -- datasets the source sent as new or modified
    created BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    deleted BIGINT NOT NULL DEFAULT 0,
    requests BIGINT NOT NULL DEFAULT 0,                      -- HTTP requests made to the source
    errors TEXT NOT NULL DEFAULT '[]',                       -- JSON [{dataset, reason}]
    message TEXT NOT NULL DEFAULT ''                         -- why a failed run failed
);
CREATE INDEX od_harvest_runs_source ON od_harvest_runs (source_id, id);
ALTER TABLE od_datasets ADD COLUMN harvest_source_id BIGINT REFERENCES od_harvest_sources(id);
ALTER TABLE od_datasets ADD COLUMN harvest_remote_id TEXT;              -- CKAN id, or the DCAT dataset IRI
ALTER TABLE od_datasets ADD COLUMN harvest_remote_name TEXT;            -- CKAN name (package_list lists names)
ALTER TABLE od_datasets ADD COLUMN harvest_modified TEXT;               -- the source's metadata_modified / dct:modified
CREATE INDEX od_datasets_harvest ON od_datasets (harvest_source_id, harvest_remote_id);
