-- Route-scoped time intervals travel with each notification group; resolved notifications are
-- remembered per group member so each receiver hears "resolved" once.
ALTER TABLE notification_groups
    ADD COLUMN mute_time_intervals   text[] NOT NULL DEFAULT '{}',
    ADD COLUMN active_time_intervals text[] NOT NULL DEFAULT '{}';

ALTER TABLE group_alerts ADD COLUMN resolved_notified_at timestamptz;

-- The members a resolution can still concern: told as firing, not yet told resolved.
CREATE INDEX group_alerts_open_idx ON group_alerts (alert_id) WHERE notified_at IS NOT NULL AND resolved_notified_at IS NULL;
