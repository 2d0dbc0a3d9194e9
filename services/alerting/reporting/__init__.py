"""The review inbox and the reports: a read model fed by reviews.analyzed and the case events."""
