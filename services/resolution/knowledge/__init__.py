"""Knowledge base of handled cases, searchable by type, region, outcome and text."""
