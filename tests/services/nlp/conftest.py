"""One analyser (models loaded once, several seconds) for every NLP service test."""

from __future__ import annotations

import pytest

from libs.settings import NlpSettings
from services.nlp.analyzer import Analyzer
from services.nlp.app import build_analyzer


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    return build_analyzer(NlpSettings(nlp_languages="en,de,fr,es,it,ja,zh"))
