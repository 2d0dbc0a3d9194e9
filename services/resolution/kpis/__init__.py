"""Resolution KPIs: 24 h response rate, median time to first response, resolution rate, rating recovery."""
