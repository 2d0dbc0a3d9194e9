"""Near-duplicate reviews: MinHash signatures over character shingles, LSH across a tenant."""

from services.nlp.duplicates.index import DuplicateIndex, Near
from services.nlp.duplicates.shingles import shingles
from services.nlp.duplicates.signature import Signer, from_bytes, to_bytes

__all__ = ["DuplicateIndex", "Near", "Signer", "from_bytes", "shingles", "to_bytes"]
