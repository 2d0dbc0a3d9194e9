"""Replies resolution asks ingest to publish on a platform, through the review's source and its connector."""
