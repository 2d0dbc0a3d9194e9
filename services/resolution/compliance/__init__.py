"""Compliance check of seller wording against each platform's rules, in every supported language."""
