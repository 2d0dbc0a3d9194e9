"""`python -m services.gateway`: run the public REST API."""

from libs.runtime import run_service
from services.gateway.app import serve

if __name__ == "__main__":
    run_service("gateway", serve)
