"""The platforms' documented limits as bucket rates: the whole allowance as the burst unless stated."""

from __future__ import annotations

from libs.token_bucket import Rate
from services.ingest.connectors.rates import RATES


def test_the_documented_platform_rates() -> None:
    assert RATES["trustpilot"] == Rate(capacity=833, per_second=833 / 300)
    assert RATES["google"] == Rate(capacity=300, per_second=5.0)
    assert RATES["amazon_solicitations"] == Rate(capacity=5, per_second=1.0)
