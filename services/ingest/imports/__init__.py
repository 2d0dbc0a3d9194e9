"""File imports: streaming CSV, JSON-array and JSONL exports into reviews, bad rows reported by line.

`encoding` detects how a file is encoded, `mapping` says which columns become which Review fields
(Amazon Seller Central, Walmart and AliExpress seller centre and Judge.me presets, or a user's own), `readers` streams the rows.
"""

from services.ingest.imports.encoding import detect_encoding, open_text
from services.ingest.imports.mapping import (
    ColumnMapping,
    RowProblem,
    aliexpress_seller_center,
    amazon_seller_central,
    judgeme_csv,
    walmart_seller_center,
)
from services.ingest.imports.readers import ImportRun, ImportSummary, RowError, import_reviews

__all__ = [
    "ColumnMapping",
    "ImportRun",
    "ImportSummary",
    "RowError",
    "RowProblem",
    "aliexpress_seller_center",
    "amazon_seller_central",
    "detect_encoding",
    "import_reviews",
    "judgeme_csv",
    "open_text",
    "walmart_seller_center",
]
