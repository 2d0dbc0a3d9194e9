-- Issue 14: the same rollups per UTC week (its Monday): a report over months sums a product's 52
-- weeks, not its 365 days; the edges of the zone's periods are added or taken away by day and hour.
CREATE TABLE report_weekly (
    tenant_id    uuid NOT NULL,
    dimension    text NOT NULL,
    week         date NOT NULL,
    value        text NOT NULL,
    competitor   boolean NOT NULL,
    reviews      bigint NOT NULL,
    rating_sum   bigint NOT NULL,
    negative     bigint NOT NULL,
    PRIMARY KEY (tenant_id, dimension, week, value, competitor)
);

CREATE TABLE report_aspect_weekly (
    tenant_id    uuid NOT NULL,
    dimension    text NOT NULL,
    week         date NOT NULL,
    value        text NOT NULL,
    aspect       text NOT NULL,
    competitor   boolean NOT NULL,
    reviews      bigint NOT NULL,
    rating_sum   bigint NOT NULL,
    negative     bigint NOT NULL,
    PRIMARY KEY (tenant_id, dimension, week, value, aspect, competitor)
);

-- NOTE: from the daily rollups kept so far; date_trunc('week') is the ISO Monday.
INSERT INTO report_weekly (tenant_id, dimension, week, value, competitor, reviews, rating_sum, negative)
SELECT tenant_id, dimension, date_trunc('week', day)::date, value, competitor, sum(reviews), sum(rating_sum), sum(negative)
FROM report_daily GROUP BY 1, 2, 3, 4, 5;
INSERT INTO report_aspect_weekly (tenant_id, dimension, week, value, aspect, competitor, reviews, rating_sum, negative)
SELECT tenant_id, dimension, date_trunc('week', day)::date, value, aspect, competitor, sum(reviews), sum(rating_sum), sum(negative)
FROM report_aspect_daily GROUP BY 1, 2, 3, 4, 5, 6;
