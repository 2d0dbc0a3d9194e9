"""Tamper-evident evidence chain for a case: each item hashed and linked to the one before."""
