"""Reports as PDF: a title, the chart drawn with fpdf2's own rectangles, then the table, in a font
that has Chinese and Japanese glyphs (Latin too)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fpdf import FPDF

from libs.errors import Unavailable

if TYPE_CHECKING:
    from services.alerting.reporting.exports import Chart, Table

# NOTE: installed by `make system-deps` (Debian fonts-wqy-microhei); one font covers CJK and Latin.
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
_BAR, _MARK, _GRID = (70, 130, 180), (200, 60, 50), (220, 220, 220)
_MAX_BARS = 24
_MAX_ROWS = 2000


class FontMissing(Unavailable):
    """The CJK font is not installed: PDFs cannot be written until it is (503, naming the file)."""


class PdfWriter:
    def __init__(self, font: Path = CJK_FONT) -> None:
        self._font = Path(font)

    def write(self, table: "Table") -> bytes:
        if not self._font.is_file():
            raise FontMissing(f"the PDF font {self._font} is missing: install fonts-wqy-microhei (make system-deps)")
        pdf = FPDF(orientation="landscape", format="A4")
        pdf.set_auto_page_break(True, margin=12)
        pdf.add_font("cjk", "", str(self._font))
        pdf.add_page()
        pdf.set_font("cjk", size=15)
        pdf.multi_cell(0, 8, table.title, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        if table.chart is not None and table.chart.labels:
            _chart(pdf, table.chart)
        _table(pdf, table)
        return bytes(pdf.output())


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """`text` cut (with …) to fit `width` millimetres in the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _number(value: float) -> str:
    return f"{value:.3g}" if isinstance(value, float) and not value.is_integer() else f"{value:g}"


def _chart(pdf: FPDF, chart: "Chart") -> None:
    labels, values = chart.labels[:_MAX_BARS], chart.values[:_MAX_BARS]
    marked = chart.marked[:_MAX_BARS]
    pdf.set_font("cjk", size=10)
    pdf.cell(0, 6, chart.title + (f"  (first {_MAX_BARS} of {len(chart.labels)})" if len(chart.labels) > _MAX_BARS else ""),
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=7)
    bar_height, label_width = 4.0, 70.0
    left = pdf.l_margin + label_width
    width = pdf.w - pdf.r_margin - left - 15
    top = max(values, default=0) or 1
    for i, (label, value) in enumerate(zip(labels, values)):
        if pdf.will_page_break(bar_height + 1):
            pdf.add_page()
        y = pdf.get_y()
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(label_width - 2, bar_height, _fit(pdf, label, label_width - 3), align="R")
        pdf.set_fill_color(*_GRID)
        pdf.rect(left, y + 0.5, width, bar_height - 1, style="F")
        pdf.set_fill_color(*_BAR)
        pdf.rect(left, y + 0.5, width * value / top, bar_height - 1, style="F")
        if marked and marked[i]:
            pdf.set_fill_color(*_MARK)
            pdf.rect(left, y + 1.25, width * marked[i] / top, bar_height - 2.5, style="F")
        pdf.set_xy(left + width + 1, y)
        pdf.cell(14, bar_height, _number(value) + (f" / {_number(marked[i])}" if marked else ""))
        pdf.set_y(y + bar_height)
    if chart.legend[0]:
        pdf.ln(1)
        for colour, name in ((_BAR, chart.legend[0]), (_MARK, chart.legend[1])):
            pdf.set_fill_color(*colour)
            pdf.rect(pdf.get_x(), pdf.get_y() + 1, 3, 3, style="F")
            pdf.set_x(pdf.get_x() + 4)
            pdf.cell(30, 5, name)
        pdf.ln(6)
    pdf.ln(3)


def _table(pdf: FPDF, table: "Table") -> None:
    pdf.set_font("cjk", size=7)
    rows = [["" if v is None else (_number(v) if isinstance(v, float) else str(v)) for v in row] for row in table.rows[:_MAX_ROWS]]
    usable = pdf.w - pdf.l_margin - pdf.r_margin
    # NOTE: each column as wide as its widest cell wants, capped, then scaled to the page.
    wants = [min(max([pdf.get_string_width(h) + 2, *(pdf.get_string_width(r[i]) + 2 for r in rows if i < len(r))]), 90)
             for i, h in enumerate(table.header)]
    widths = [w * usable / sum(wants) for w in wants]
    height = 4.5

    def header() -> None:
        pdf.set_fill_color(*_GRID)
        for name, w in zip(table.header, widths):
            pdf.cell(w, height, _fit(pdf, name, w - 1), border=1, fill=True)
        pdf.ln(height)

    header()
    for row in rows:
        if pdf.will_page_break(height):
            pdf.add_page()
            header()
        for text, w in zip(row, widths):
            pdf.cell(w, height, _fit(pdf, text, w - 1), border=1)
        pdf.ln(height)
    if len(table.rows) > _MAX_ROWS:
        pdf.cell(0, height, f"… {len(table.rows) - _MAX_ROWS} more rows in the CSV or XLSX export", new_x="LMARGIN", new_y="NEXT")
