-- Issue 14: the carrier dimension. Each review's order id (from its event) and carrier (from the
-- order's orders.submitted, whichever arrives first), and the rollups' "carrier" rows.
ALTER TABLE inbox_reviews
    ADD COLUMN order_id text NOT NULL DEFAULT '',
    ADD COLUMN carrier  text NOT NULL DEFAULT '';
CREATE INDEX inbox_reviews_order_idx ON inbox_reviews (tenant_id, order_id) WHERE order_id <> '';

-- The carrier of every order announced, kept for reviews that arrive after their order.
CREATE TABLE inbox_orders (
    tenant_id uuid NOT NULL,
    order_id  text NOT NULL,
    carrier   text NOT NULL,
    PRIMARY KEY (tenant_id, order_id)
);

-- NOTE: the reviews stored before this have no known carrier: their share goes to carrier '' so
-- that a later re-analysis, which takes the stored share out, nets to zero.
INSERT INTO report_hourly (tenant_id, dimension, hour, value, competitor, reviews, rating_sum, negative)
SELECT tenant_id, 'carrier', date_trunc('hour', posted_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', '', competitor,
       count(*), sum(rating), count(*) FILTER (WHERE sentiment = 'negative')
FROM inbox_reviews WHERE counted GROUP BY 1, 2, 3, 4, 5;
INSERT INTO report_daily (tenant_id, dimension, day, value, competitor, reviews, rating_sum, negative)
SELECT tenant_id, 'carrier', (posted_at AT TIME ZONE 'UTC')::date, '', competitor,
       count(*), sum(rating), count(*) FILTER (WHERE sentiment = 'negative')
FROM inbox_reviews WHERE counted GROUP BY 1, 2, 3, 4, 5;
INSERT INTO report_aspect_hourly (tenant_id, dimension, hour, value, aspect, competitor, reviews, rating_sum, negative)
SELECT r.tenant_id, 'carrier', date_trunc('hour', r.posted_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', '', a.aspect, r.competitor,
       count(*), sum(r.rating), count(*) FILTER (WHERE r.sentiment = 'negative')
FROM inbox_reviews r CROSS JOIN LATERAL unnest(r.aspects) AS a(aspect) WHERE r.counted GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO report_aspect_daily (tenant_id, dimension, day, value, aspect, competitor, reviews, rating_sum, negative)
SELECT r.tenant_id, 'carrier', (r.posted_at AT TIME ZONE 'UTC')::date, '', a.aspect, r.competitor,
       count(*), sum(r.rating), count(*) FILTER (WHERE r.sentiment = 'negative')
FROM inbox_reviews r CROSS JOIN LATERAL unnest(r.aspects) AS a(aspect) WHERE r.counted GROUP BY 1, 2, 3, 4, 5, 6;
