-- Review requests sent through the platforms (issue 16): how each went out and what the platform
-- answered. Send requests now leave through resolution's outbox (libs/outbox.py) as
-- review_requests.send_requested, so the per-channel invitation outbox is retired.
ALTER TABLE review_requests
    -- amazon_solicitations, trustpilot_invitation or email; '' until sent
    ADD COLUMN route               text NOT NULL DEFAULT '',
    ADD COLUMN platform_request_id text NOT NULL DEFAULT '',
    ADD COLUMN outcome_at          timestamptz;

-- NOTE: an invitation still waiting in the old outbox goes out again through the new path.
UPDATE review_requests SET status = 'scheduled', sent_at = NULL
 WHERE id IN (SELECT request_id FROM review_request_outbox WHERE delivered_at IS NULL);
DROP TABLE review_request_outbox;
