"""Reply templates by scenario and language, with A/B variants and their measured outcomes."""
