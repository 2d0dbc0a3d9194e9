"""Replies published on the platform: which platforms take them, the requests to ingest, their outcomes."""
