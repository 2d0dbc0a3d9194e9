"""`python -m services.ingest`: run the ingest service."""

from libs.runtime import run_service
from services.ingest.app import serve

if __name__ == "__main__":
    run_service("ingest", serve)
