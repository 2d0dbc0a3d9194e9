"""What a knowledge-base entry says about a handled case, and which region a market belongs to."""

from __future__ import annotations

from types import MappingProxyType

from services.resolution.assignment.service import canonical_market

REGIONS: MappingProxyType[str, str] = MappingProxyType(
    {
        "US": "NA", "CA": "NA", "MX": "NA",
        "GB": "EU", "DE": "EU", "FR": "EU", "ES": "EU", "IT": "EU", "NL": "EU", "PL": "EU", "SE": "EU", "AT": "EU", "BE": "EU",
        "JP": "APAC", "CN": "APAC", "AU": "APAC",
    }
)


def region_of(marketplace: str) -> str:
    """"EU" for "DE"; "OTHER" for markets outside the table."""
    return REGIONS.get(canonical_market(marketplace), "OTHER")


def entry_text(*, summary: str, replies: list[str], notes: list[str], appeal_letters: list[str]) -> str:
    """The searchable text of a handled case: what happened, what was said and decided."""
    return "\n".join(part for part in (summary, *notes, *replies, *appeal_letters) if part)
