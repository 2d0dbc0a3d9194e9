"""File imports: streaming CSV, JSON-array and JSONL exports into reviews, bad rows reported by line.

`encoding` detects how a file is encoded, `mapping` says which columns become which Review fields
(Amazon Seller Central and Judge.me presets, or a user's own), `readers` streams the rows.
"""

from services.ingest.imports.encoding import detect_encoding, open_text
from services.ingest.imports.mapping import ColumnMapping, RowProblem, amazon_seller_central, judgeme_csv
from services.ingest.imports.readers import ImportRun, ImportSummary, RowError, import_reviews

__all__ = [
    "ColumnMapping",
    "ImportRun",
    "ImportSummary",
    "RowError",
    "RowProblem",
    "amazon_seller_central",
    "detect_encoding",
    "import_reviews",
    "judgeme_csv",
    "open_text",
]
