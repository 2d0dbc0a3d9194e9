"""Case lifecycle: the state machine every case follows, and its audit trail."""
