"""`python -m services.alerting`: run the alerting service."""

from libs.runtime import run_service
from services.alerting.app import serve

if __name__ == "__main__":
    run_service("alerting", serve)
