"""Tenant policy of the resolution service: SLA hours and clock, warnings, approval threshold."""
