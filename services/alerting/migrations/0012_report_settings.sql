-- Issue 14: per-tenant report settings, kept by the Reporting service that reads them on every
-- report: the time zone a report is counted in when its request names none.
CREATE TABLE report_settings (
    tenant_id  uuid PRIMARY KEY,
    time_zone  text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
