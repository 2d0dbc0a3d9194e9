-- The outbox's live rows, which the relay publishes before history (libs/outbox.claim_live_first):
-- found without walking past the thousands of history rows an import queues ahead of them.
-- NOTE: the predicate is the relay's, letter for letter (topology.HISTORY_SUFFIX), so the planner uses it.
CREATE INDEX outbox_live_idx ON outbox (id) WHERE subject NOT LIKE '%.history';
