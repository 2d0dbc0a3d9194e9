-- Issue 14, department reports: the service facts of every case (from cases.opened / cases.updated),
-- the compensation offers made on them, and the rating a review was first seen with (rating recovery).
CREATE TABLE service_cases (
    case_id               uuid PRIMARY KEY,
    tenant_id             uuid NOT NULL,
    review_id             uuid,
    opened_at             timestamptz NOT NULL,
    first_response_due_at timestamptz,
    first_response_at     timestamptz,
    resolved_at           timestamptz,
    changed_at            timestamptz NOT NULL
);

CREATE INDEX service_cases_opened_idx ON service_cases (tenant_id, opened_at);

-- One row per offer: its cost from offer_recorded, accepted from offer_accepted, whichever comes first.
CREATE TABLE service_offers (
    offer_id  uuid PRIMARY KEY,
    tenant_id uuid NOT NULL,
    case_id   uuid NOT NULL,
    cost_usd  numeric(14, 2),
    accepted  boolean NOT NULL DEFAULT false
);

CREATE INDEX service_offers_case_idx ON service_offers (case_id);

-- NOTE: a review row's rating changes with each version; rating recovery compares it with this.
ALTER TABLE inbox_reviews ADD COLUMN first_rating smallint;
UPDATE inbox_reviews SET first_rating = rating;
