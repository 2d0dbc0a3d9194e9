"""Multilingual 1–5 star and negative-sentiment model (hashed n-gram bag, ONNX runtime)."""
