"""Reports as CSV or XLSX: one table, a header row, then a row per cell."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from fastapi.responses import Response
from openpyxl import Workbook

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_response(name: str, fmt: str, header: Sequence[str], rows: Iterable[Sequence]) -> Response:
    """`rows` under `header` as a downloadable CSV or XLSX file called `name`."""
    if fmt == "csv":
        out = io.StringIO()
        # NOTE: a BOM, so spreadsheet programs open UTF-8 (Chinese, Japanese) text correctly.
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(["" if v is None else _cell(v) for v in row] for row in rows)
        body, media, suffix = out.getvalue().encode("utf-8"), CSV_TYPE, "csv"
    else:
        book = Workbook(write_only=True)
        sheet = book.create_sheet(name[:31])
        sheet.append(list(header))
        for row in rows:
            sheet.append([_cell(v) for v in row])
        out = io.BytesIO()
        book.save(out)
        body, media, suffix = out.getvalue(), XLSX_TYPE, "xlsx"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}.{suffix}"'})


def _cell(value):
    # NOTE: a text starting with = + - @ would run as a formula in a spreadsheet; keep it text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
