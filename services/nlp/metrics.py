"""NLP's Prometheus metrics, on the service's registry (libs/metrics.py) the wiring root passes down."""

from __future__ import annotations

from libs.metrics import Metrics

# Seconds the models take for one batch: a single review in milliseconds, a full 64-review batch in a second or two.
MODEL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, float("inf"))
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, float("inf"))


class NlpMetrics:
    """Reviews analysed (their rate is reviews/s) and the models' time per batch."""

    def __init__(self, metrics: Metrics) -> None:
        self.reviews = metrics.counter("reviewguard_nlp_reviews_analyzed_total", "Reviews the models analysed.")
        self.model_seconds = metrics.histogram(
            "reviewguard_nlp_model_seconds", "Seconds the models (language, stars, aspects, signatures) took per batch.",
            buckets=MODEL_BUCKETS,
        )
        self.batch_reviews = metrics.histogram("reviewguard_nlp_batch_reviews", "Reviews per analysed batch.", buckets=BATCH_BUCKETS)

    def observe_batch(self, reviews: int, seconds: float) -> None:
        self.reviews.inc(reviews)
        self.model_seconds.observe(seconds)
        self.batch_reviews.observe(reviews)
