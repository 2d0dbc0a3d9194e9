"""Appeals to the platform: eligibility against policy clauses and a letter in the marketplace's language."""
