"""The order and the customer behind a case: review facts from ingest, orders, VIP, linked either way round."""
