-- What follows from a case's move (the A/B outcome of its replies, its knowledge-base entry) is applied
-- by the case-event relay once the move committed, not inside the move: effects_done_at marks a
-- transition whose follow-on effects were applied. Transitions before this migration had theirs inline.
ALTER TABLE case_events ADD COLUMN effects_done_at timestamptz;
UPDATE case_events SET effects_done_at = at WHERE kind = 'transition';
CREATE INDEX case_events_effects_idx ON case_events (seq) WHERE kind = 'transition' AND effects_done_at IS NULL;
