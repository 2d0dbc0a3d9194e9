-- Review requests ingest sent (or gave up on) for resolution (issue 16), one row per request: a
-- redelivered request is answered from here, never sent again; and Amazon's rule of one request
-- per order holds across requests (a re-submitted order, a second replica).
CREATE TABLE review_request_sends (
    tenant_id           uuid NOT NULL,
    request_id          uuid NOT NULL,
    order_id            text NOT NULL,
    -- amazon_solicitations, trustpilot_invitation or email
    route               text NOT NULL,
    -- sent, refused, failed or manual
    outcome             text NOT NULL,
    reason              text NOT NULL DEFAULT '',
    source_id           uuid,
    platform_request_id text NOT NULL DEFAULT '',
    at                  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, request_id)
);
CREATE UNIQUE INDEX review_request_sends_once_per_order ON review_request_sends (tenant_id, route, order_id) WHERE outcome = 'sent';
