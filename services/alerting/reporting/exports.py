"""Every report as one table (a header and rows) with the chart a reader looks at first, written as
CSV, XLSX or PDF: one flattening per report, shared by the API's downloads and the scheduled e-mails."""

from __future__ import annotations

import csv
import io
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from openpyxl import Workbook

from reviewguard.reporting.v1 import reporting_pb2
from services.alerting.reporting.pdf import PdfWriter

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
KINDS = ("ratings", "aspects", "competitors", "drilldown", "product", "logistics", "service")
TITLES = {
    "ratings": "Ratings", "aspects": "Aspect heat map", "competitors": "Own vs competitor listings", "drilldown": "Drill-down",
    "product": "Product department: top defects per SKU", "logistics": "Logistics department: delay and damage complaints",
    "service": "Service department: response and recovery",
}


@dataclass(frozen=True)
class Chart:
    """Horizontal bars: one per label, `values` drawn whole and `marked` (≤ value) over it in a second colour."""

    title: str
    labels: list[str]
    values: list[float]
    marked: list[float] = field(default_factory=list)
    legend: tuple[str, str] = ("", "")


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    header: list[str]
    rows: list[list]
    chart: Chart | None = None


def _opt(message, name: str):
    return getattr(message, name) if message.HasField(name) else None


def _per_period(cells, value, marked=None) -> tuple[list[str], list[float], list[float]]:
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for c in cells:
        totals[c.period][0] += value(c)
        totals[c.period][1] += marked(c) if marked else 0
    labels = sorted(totals)
    return labels, [totals[p][0] for p in labels], [totals[p][1] for p in labels] if marked else []


def report_table(kind: str, answer, subtitle: str = "") -> Table:
    """The table of one report's answer (the message its RPC returns)."""
    title = TITLES[kind] + (f" · {subtitle}" if subtitle else "")
    if kind in ("ratings", "aspects", "competitors"):
        header = ["period", *answer.keys, "reviews", "negative", "mean_rating", "negative_share", "baseline_mean_rating", "alerts", "top_aspects"]
        rows = [
            [c.period, *c.key, c.reviews, c.negative, _opt(c, "mean_rating"), c.negative_share, _opt(c, "baseline_mean_rating"),
             c.alerts, " ".join(c.top_aspects)]
            for c in answer.cells
        ]
        labels, values, marked = _per_period(answer.cells, lambda c: c.reviews, lambda c: c.negative)
        chart = Chart("Reviews per period (negative marked)", labels, values, marked, ("reviews", "negative"))
        return Table(kind, title, header, rows, chart)
    if kind == "drilldown":
        rows = [
            *(["aspect", c.value, c.reviews, c.negative, ""] for c in answer.top_aspects),
            *(["product", c.value, c.reviews, c.negative, ""] for c in answer.top_products),
            *(["example", r.id, 1, int(r.sentiment == "negative"), f"{r.rating}★ {r.title}: {r.body}"] for r in answer.examples),
        ]
        chart = Chart("Top aspects (negative marked)", [c.value for c in answer.top_aspects], [c.reviews for c in answer.top_aspects],
                      [c.negative for c in answer.top_aspects], ("reviews", "negative"))
        return Table(kind, title, ["section", "value", "reviews", "negative", "text"], rows, chart)
    if kind == "product":
        header = ["product_id", "reviews", "negative", "mean_rating", "aspect", "complaints", "complaint_share", "previous_complaints",
                  "trend", "quotes"]
        rows, labels, values, before = [], [], [], []
        for p in answer.products:
            for d in p.defects or [None]:
                if d is None:
                    rows.append([p.product_id, p.reviews, p.negative, _opt(p, "mean_rating"), "", 0, 0.0, 0, "", ""])
                    continue
                trend = " ".join(f"{t.period[:10]}:{t.complaints}" for t in d.trend)
                quotes = " | ".join(f"{q.rating}★ {q.title}: {q.body}" for q in d.quotes)
                rows.append([p.product_id, p.reviews, p.negative, _opt(p, "mean_rating"), d.aspect, d.complaints, d.complaint_share,
                             d.previous_complaints, trend, quotes])
                labels.append(f"{p.product_id} · {d.aspect}")
                values.append(d.complaints)
                before.append(min(d.previous_complaints, d.complaints))
        chart = Chart("Complaints per SKU and defect (the window before marked)", labels, values, before, ("now", "before"))
        return Table(kind, title, header, rows, chart)
    if kind == "logistics":
        header = ["period", answer.group_by, "reviews", "delay_complaints", "delay_rate", "damage_complaints", "damage_rate"]
        rows = [[r.period, r.value, r.reviews, r.delay_complaints, r.delay_rate, r.damage_complaints, r.damage_rate] for r in answer.rows]
        totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        for r in answer.rows:
            totals[r.value][0] += r.reviews
            totals[r.value][1] += r.delay_complaints + r.damage_complaints
            totals[r.value][2] += r.damage_complaints
        labels = sorted(totals)
        chart = Chart("Delay + damage complaints per reviews, % (damage marked)", labels,
                      [100 * totals[v][1] / totals[v][0] if totals[v][0] else 0 for v in labels],
                      [100 * totals[v][2] / totals[v][0] if totals[v][0] else 0 for v in labels], ("delay + damage", "damage"))
        return Table(kind, title, header, rows, chart)
    if kind == "service":
        header = ["period", "cases", "responded", "mean_response_hours", "median_response_hours", "response_rate_24h", "sla_met_share",
                  "compensation_usd", "ratings_raised", "mean_rating_change"]
        rows = [[r.period, r.cases, r.responded, _opt(r, "mean_response_hours"), _opt(r, "median_response_hours"), r.response_rate_24h,
                 r.sla_met_share, r.compensation_usd, r.ratings_raised, _opt(r, "mean_rating_change")] for r in answer.rows]
        chart = Chart("First responses within 24 h, % (SLA met marked)", [r.period for r in answer.rows],
                      [100 * r.response_rate_24h for r in answer.rows],
                      [100 * min(r.sla_met_share, r.response_rate_24h) for r in answer.rows], ("24 h", "SLA met"))
        return Table(kind, title, header, rows, chart)
    raise ValueError(f"unknown report kind {kind!r}")


def _cell(value):
    # NOTE: a text starting with = + - @ would run as a formula in a spreadsheet; keep it text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def render(table: Table, fmt: str, pdf: PdfWriter) -> reporting_pb2.ReportFile:
    """The table as a file: CSV (UTF-8 with a BOM, so spreadsheet programs read CJK text), XLSX or PDF."""
    if fmt == "csv":
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow(table.header)
        writer.writerows(["" if v is None else _cell(v) for v in row] for row in table.rows)
        content = out.getvalue().encode("utf-8")
    elif fmt == "xlsx":
        book = Workbook(write_only=True)
        sheet = book.create_sheet(table.name[:31])
        sheet.append(list(table.header))
        for row in table.rows:
            sheet.append([_cell(v) for v in row])
        buffer = io.BytesIO()
        book.save(buffer)
        content = buffer.getvalue()
    elif fmt == "pdf":
        content = pdf.write(table)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return reporting_pb2.ReportFile(filename=f"{table.name}.{fmt}", media_type=FORMATS[fmt], content=content)



def window_text(starts_at: datetime, ends_at: datetime, grain: str, zone: str) -> str:
    """e.g. 2026-10-19 00:00 – 2026-11-02 00:00 Europe/Berlin, by week."""
    local = zoneinfo.ZoneInfo(zone or "UTC")
    return f"{starts_at.astimezone(local):%Y-%m-%d %H:%M} – {ends_at.astimezone(local):%Y-%m-%d %H:%M} {zone or 'UTC'}, by {grain or 'day'}"
