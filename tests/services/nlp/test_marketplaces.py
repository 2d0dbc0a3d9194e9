"""A tenant's language-detection scope from the marketplaces it sells on."""

from __future__ import annotations

import pytest

from services.nlp.marketplaces import country_of, marketplace_languages, scope

UNIVERSE = ["en", "de", "fr", "es", "it", "ja", "zh", "nl", "pl", "sv", "tr", "ar", "pt"]


@pytest.mark.parametrize(
    ("marketplace", "country"),
    [("DE", "DE"), ("de", "DE"), ("amazon.de", "DE"), ("amazon.co.uk", "GB"), ("UK", "GB"), ("amazon.com", "US"),
     ("walmart.com", "US"), ("amazon.com.mx", "MX"), ("", ""), ("global", "")],
)
def test_marketplace_spellings_name_their_country(marketplace: str, country: str) -> None:
    assert country_of(marketplace) == country


def test_storefront_languages_and_english_everywhere() -> None:
    assert marketplace_languages("JP") == {"ja", "en", "zh"}
    assert marketplace_languages("amazon.ca") == {"en", "fr"}
    assert marketplace_languages("US") == {"en", "es"}
    # Not an Amazon storefront we list: the country's official languages from CLDR, plus English.
    assert marketplace_languages("CH") >= {"de", "fr", "it", "en"}
    assert marketplace_languages("AT") == {"de", "en"}
    assert marketplace_languages("nowhere") == {"en"}


def test_scope_is_the_union_within_what_the_deployment_detects() -> None:
    assert scope(["DE", "FR"], [], UNIVERSE) == ["en", "de", "fr", "nl", "pl", "tr"]
    assert scope(["FR"], ["it"], UNIVERSE) == ["en", "fr", "it"]
    # Detection needs two candidates; an English-only tenant is checked against everything.
    assert scope(["GB"], [], UNIVERSE) == UNIVERSE
    assert scope([], [], UNIVERSE) == UNIVERSE
