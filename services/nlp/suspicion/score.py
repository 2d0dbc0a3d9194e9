"""The suspicion score: each present signal adds a reason, combined as independent evidence."""

from __future__ import annotations

import logging

from services.nlp.suspicion.models import Reason, Signals, Suspicion

log = logging.getLogger(__name__)

# NOTE: weights are priors, not fitted (no labelled fake reviews exist yet); they order the
# signals by how strongly SPEC §3 and the review-fraud literature tie them to fakes.
W_GENERIC_SHORT = 0.3
W_GENERIC = 0.15
W_NEAR_DUPLICATE = 0.5
W_NEAR_DUPLICATE_MAX = 0.8
W_BURST = 0.3
W_BURST_MAX = 0.6
W_NEGATIVE_ONLY = 0.35
W_NEGATIVE_ONLY_LONG = 0.5
W_COMPETITOR_BRAND = 0.4
W_COMPETITOR_CUE = 0.25
W_MIN_UNIT_ORDER = 0.2
W_COMPETITOR_PROMOTION = 0.25

BURST_MIN_REVIEWS = 5
BURST_MIN_RATIO = 3.0
NEGATIVE_ONLY_MIN_REVIEWS = 3
NEGATIVE_ONLY_SHARE = 0.9


def _reasons(signals: Signals) -> list[Reason]:
    reasons = []
    g = signals.generic
    if g is not None and g.specifics == 0 and g.short:
        reasons.append(Reason("generic_text", "Short text with no product detail (no numbers, names or specifics).",
                              W_GENERIC_SHORT))
    elif g is not None and g.specifics <= 1 and g.generic_share >= 0.7:
        reasons.append(Reason("generic_text", "Mostly generic wording with little product detail.", W_GENERIC))
    if signals.near_duplicates > 0:
        n = signals.near_duplicates
        weight = min(W_NEAR_DUPLICATE_MAX, W_NEAR_DUPLICATE + 0.1 * (n - 1))
        reasons.append(Reason("near_duplicate", f"Near-identical to {n} other review{'s' if n > 1 else ''}.", weight))
    b = signals.burst
    if b is not None and b.in_window >= BURST_MIN_REVIEWS:
        ratio = b.in_window / max(b.usual_in_window, 1.0)
        if ratio >= BURST_MIN_RATIO:
            weight = min(W_BURST_MAX, W_BURST * ratio / BURST_MIN_RATIO)
            reasons.append(Reason("review_burst",
                                  f"{b.in_window} reviews of this product within {b.window_hours:g} h, "
                                  f"{ratio:.1f}× the usual.", weight))
    r = signals.reviewer
    if r is not None and r.reviews >= NEGATIVE_ONLY_MIN_REVIEWS and r.negative / r.reviews >= NEGATIVE_ONLY_SHARE:
        weight = W_NEGATIVE_ONLY_LONG if r.reviews >= 10 else W_NEGATIVE_ONLY
        reasons.append(Reason("negative_only_reviewer",
                              f"The reviewer's {r.reviews} reviews are {r.negative} negative.", weight))
    c = signals.competitor
    if c is not None and c.brands:
        reasons.append(Reason("competitor_brand", f"Names a competitor: {', '.join(c.brands)}.", W_COMPETITOR_BRAND))
    if c is not None and c.cues:
        reasons.append(Reason("competitor_cue", f"Sends buyers elsewhere: “{c.cues[0]}”.", W_COMPETITOR_CUE))
    if signals.minimum_unit_order:
        reasons.append(Reason("minimum_unit_order", "Bought the minimum unit only.", W_MIN_UNIT_ORDER))
    if signals.during_competitor_promotion:
        reasons.append(Reason("competitor_promotion", "Bought during a competitor's promotion.", W_COMPETITOR_PROMOTION))
    return reasons


def score(signals: Signals) -> Suspicion:
    """The suspicion of one review: 1 − Π(1 − weight) over its reasons, reasons strongest first."""
    reasons = sorted(_reasons(signals), key=lambda r: -r.weight)
    # NOTE: noisy-OR: each reason alone gives its weight, several together approach 1 but never
    # reach it, and the order reasons were found in does not matter.
    remaining = 1.0
    for reason in reasons:
        remaining *= 1.0 - reason.weight
    return Suspicion(score=round(1.0 - remaining, 4), reasons=tuple(reasons))
