"""Review requests: localised invitations after delivery, scheduled around holidays, sent exactly once."""
