"""Which languages reviews on a marketplace are written in: the tenant's language-detection scope.

Language detection is limited to the languages of the marketplaces a tenant sells on: fewer
candidates make lingua several times faster and stop confusions between related languages a
seller never sees (Danish read as Norwegian, Galician as Portuguese). The price is that a review in
a language outside the scope is read as the closest one in it; a tenant adds such languages
explicitly (`extra_languages` in /v1/nlp-settings).

Decision: a marketplace's languages are the ones its storefront offers where we know them (the
language switchers of Amazon's sites, below), else the official languages of the country from
CLDR through Babel, and always English, because cross-border buyers everywhere write in it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from babel.core import UnknownLocaleError
from babel.languages import get_official_languages

# Languages the marketplace's storefront lets buyers shop and review in (Amazon's site switchers).
STOREFRONT_LANGUAGES: dict[str, tuple[str, ...]] = {
    "US": ("en", "es"),
    "CA": ("en", "fr"),
    "MX": ("es",),
    "BR": ("pt",),
    "GB": ("en",),
    "IE": ("en",),
    "DE": ("de", "en", "nl", "pl", "tr", "cs"),
    "FR": ("fr",),
    "IT": ("it",),
    "ES": ("es", "pt"),
    "NL": ("nl", "en"),
    "BE": ("fr", "nl", "en"),
    "SE": ("sv", "en"),
    "PL": ("pl",),
    "TR": ("tr",),
    "AE": ("ar", "en"),
    "SA": ("ar", "en"),
    "EG": ("ar", "en"),
    "IN": ("en", "hi"),
    "JP": ("ja", "en", "zh"),
    "SG": ("en",),
    "AU": ("en",),
    "CN": ("zh",),
}
# Marketplace spellings that are not ISO 3166 codes.
ALIASES = {"UK": "GB", "EL": "GR"}
_DOMAIN = re.compile(r"^(?:[a-z0-9-]+\.)+([a-z]{2})$")
ALWAYS = ("en",)


def country_of(marketplace: str) -> str:
    """"DE", "de", "amazon.de" and "amazon.co.uk" all name a country; "" when none can be told."""
    value = marketplace.strip().lower()
    if match := _DOMAIN.match(value):
        value = match.group(1)
    if value.endswith(".com"):  # amazon.com, walmart.com: the US sites
        value = "us"
    code = value.upper()
    code = ALIASES.get(code, code)
    return code if re.fullmatch(r"[A-Z]{2}", code) else ""


@lru_cache(maxsize=512)
def marketplace_languages(marketplace: str) -> frozenset[str]:
    """ISO 639-1 codes reviews on `marketplace` are written in; English alone for an unknown one."""
    country = country_of(marketplace)
    languages = set(ALWAYS)
    if country in STOREFRONT_LANGUAGES:
        languages.update(STOREFRONT_LANGUAGES[country])
    elif country:
        try:
            official = get_official_languages(country, de_facto=True)
        except UnknownLocaleError:  # pragma: no cover - babel raises only for malformed codes
            official = ()
        # NOTE: CLDR codes can carry a script or region ("zh_Hant", "sr_Latn"); lingua knows the language.
        languages.update(code.split("_")[0] for code in official if len(code.split("_")[0]) == 2)
    return frozenset(languages)


def scope(marketplaces: list[str] | set[str], extra_languages: list[str], universe: list[str]) -> list[str]:
    """The languages to detect among for a tenant: its marketplaces' and its own additions.

    Only languages of the deployment's `universe` count (their models are loaded); a scope of
    fewer than two falls back to the whole universe, since detection needs a choice to make.
    """
    wanted = set(extra_languages)
    for marketplace in marketplaces:
        wanted |= marketplace_languages(marketplace)
    chosen = [code for code in universe if code in wanted]
    return chosen if len(chosen) >= 2 else list(universe)
