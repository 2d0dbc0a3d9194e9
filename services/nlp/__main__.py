"""`python -m services.nlp`: run the NLP service."""

from libs.runtime import run_service
from services.nlp.app import serve

if __name__ == "__main__":
    run_service("nlp", serve)
