"""The platforms' documented request limits, per credential, as token-bucket rates (libs/token_bucket.py),
as the reply sender (services/ingest/replies) and review-request sending use them.

Keyed by what a caller names the API by; reply publishing looks up a connector's `platform`.
"""

from __future__ import annotations

from libs.token_bucket import Rate

# The platforms' documented limits (per credential):
# - Trustpilot: 833 calls per 5 minutes (developers.trustpilot.com, "Rate limiting");
# - Google Business Profile API: 300 queries per minute (developers.google.com/my-business/content/limits);
# - Amazon SP-API Solicitations, createProductReviewAndSellerFeedbackSolicitation: 1 request/s,
#   burst 5 (developer-docs.amazon.com/sp-api/docs/solicitations-api-v1-reference, "Usage plan").
RATES: dict[str, Rate] = {
    "trustpilot": Rate.per(833, 300),
    "google": Rate.per(300, 60),
    "amazon_solicitations": Rate.per(1, 1, burst=5),
}
