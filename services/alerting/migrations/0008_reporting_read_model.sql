-- The inbox and the reports' read model (services/alerting/reporting): one row per review as last
-- analysed, the case state per review, and hourly rollups the reports sum instead of raw rows.
CREATE TABLE inbox_reviews (
    review_id        uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL,
    version          integer NOT NULL,
    platform         text NOT NULL,
    marketplace      text NOT NULL,
    store_id         text NOT NULL,
    product_id       text NOT NULL,
    product_line     text NOT NULL,
    language         text NOT NULL,
    rating           smallint NOT NULL,
    title            text NOT NULL,
    body             text NOT NULL,
    translation      text NOT NULL DEFAULT '',
    sentiment        text NOT NULL,
    negative_score   real,
    aspects          text[] NOT NULL DEFAULT '{}',
    risk_categories  text[] NOT NULL DEFAULT '{}',
    malicious        boolean NOT NULL,
    competitor       boolean NOT NULL,
    -- False for a syndicated copy: listed in the inbox, never counted twice in the rollups.
    counted          boolean NOT NULL,
    posted_at        timestamptz NOT NULL,
    -- Lower-cased title, body and translation, and their distinct character bigrams: a GIN index
    -- on the bigrams finds substrings in any script (Chinese and Japanese have no word breaks).
    search_text      text NOT NULL,
    search_grams     text[] NOT NULL
);

CREATE INDEX inbox_reviews_posted_idx ON inbox_reviews (tenant_id, posted_at DESC, review_id DESC);
CREATE INDEX inbox_reviews_rating_idx ON inbox_reviews (tenant_id, rating, review_id);
CREATE INDEX inbox_reviews_negative_idx ON inbox_reviews (tenant_id, (coalesce(negative_score, -1)), review_id);
CREATE INDEX inbox_reviews_grams_idx ON inbox_reviews USING gin (search_grams);
CREATE INDEX inbox_reviews_aspects_idx ON inbox_reviews USING gin (aspects);

-- Translations announced by reviews.translated, kept in case one arrives before its review's row.
CREATE TABLE inbox_translations (
    review_id      uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL,
    review_version integer NOT NULL,
    text           text NOT NULL
);

-- The latest known state of the case opened for a review (cases.opened / cases.updated).
CREATE TABLE inbox_cases (
    review_id  uuid PRIMARY KEY,
    tenant_id  uuid NOT NULL,
    case_id    uuid NOT NULL,
    status     text NOT NULL,
    changed_at timestamptz NOT NULL
);

CREATE INDEX inbox_cases_status_idx ON inbox_cases (tenant_id, status);

-- Counted reviews per tenant × dimension × value × UTC hour; a report sums these. The dimensions
-- are marketplace, platform, product_line, store_id, product_id, and "all" (value '') for totals.
CREATE TABLE report_hourly (
    tenant_id    uuid NOT NULL,
    dimension    text NOT NULL,
    hour         timestamptz NOT NULL,
    value        text NOT NULL,
    competitor   boolean NOT NULL,
    reviews      bigint NOT NULL,
    rating_sum   bigint NOT NULL,
    negative     bigint NOT NULL,
    PRIMARY KEY (tenant_id, dimension, hour, value, competitor)
);

-- The same per aspect a review mentions.
CREATE TABLE report_aspect_hourly (
    tenant_id    uuid NOT NULL,
    dimension    text NOT NULL,
    hour         timestamptz NOT NULL,
    value        text NOT NULL,
    aspect       text NOT NULL,
    competitor   boolean NOT NULL,
    reviews      bigint NOT NULL,
    rating_sum   bigint NOT NULL,
    negative     bigint NOT NULL,
    PRIMARY KEY (tenant_id, dimension, hour, value, aspect, competitor)
);

-- The same per UTC day: a week or a month in any zone is its edge hours plus whole UTC days.
CREATE TABLE report_daily (
    tenant_id    uuid NOT NULL,
    dimension    text NOT NULL,
    day          date NOT NULL,
    value        text NOT NULL,
    competitor   boolean NOT NULL,
    reviews      bigint NOT NULL,
    rating_sum   bigint NOT NULL,
    negative     bigint NOT NULL,
    PRIMARY KEY (tenant_id, dimension, day, value, competitor)
);

CREATE TABLE report_aspect_daily (
    tenant_id    uuid NOT NULL,
    dimension    text NOT NULL,
    day          date NOT NULL,
    value        text NOT NULL,
    aspect       text NOT NULL,
    competitor   boolean NOT NULL,
    reviews      bigint NOT NULL,
    rating_sum   bigint NOT NULL,
    negative     bigint NOT NULL,
    PRIMARY KEY (tenant_id, dimension, day, value, aspect, competitor)
);
