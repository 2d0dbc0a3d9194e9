"""Aspect tags of review texts: SPEC §3's taxonomy plus tenant tags, matched in one pass."""

from services.nlp.aspects.models import ASPECTS, PROBLEM_ASPECTS, AspectHit, TenantTag
from services.nlp.aspects.tagger import AspectTagger
from services.nlp.aspects.taxonomy import Taxonomy

__all__ = ["ASPECTS", "PROBLEM_ASPECTS", "AspectHit", "AspectTagger", "TenantTag", "Taxonomy"]
