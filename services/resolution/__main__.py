"""`python -m services.resolution`: run the resolution service."""

from libs.runtime import run_service
from services.resolution.app import serve

if __name__ == "__main__":
    run_service("resolution", serve)
