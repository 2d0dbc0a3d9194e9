"""Templates, translations and the locale-aware filters the pages are rendered with (built once)."""

from __future__ import annotations

import functools
import io
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

PACKAGE = Path(__file__).parent
TEMPLATES = PACKAGE / "templates"
STATIC = PACKAGE / "static"
CATALOGS = PACKAGE / "i18n"
DOMAIN = "console"
# The interface languages: the code a user or a browser names -> the Babel locale.
LOCALES = {"en": "en", "zh": "zh_Hans_CN"}
LOCALE_COOKIE = "rg_lang"
# NOTE: pages carry the session's CSRF token and a tenant's data: never cached, never framed by
# another site (clickjacking), and scripts only from the console's own files (no inline script).
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def compile_catalog(locale: str) -> Translations | NullTranslations:
    """The locale's gettext catalog, compiled from its .po in memory (English is the source)."""
    po = CATALOGS / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def pick_language(*, switched: str | None, user_locale: str | None, accept_language: str) -> str:
    """The switch (cookie) first, then the user's own setting, then the browser's Accept-Language."""
    for candidate in (switched, user_locale):
        if candidate and candidate[:2].lower() in LOCALES:
            return candidate[:2].lower()
    for part in accept_language.split(","):
        code = part.split(";")[0].strip()[:2].lower()
        if code in LOCALES:
            return code
    return "en"


@dataclass(frozen=True)
class Formats:
    """Dates, numbers and durations in one user's locale and time zone."""

    language: str
    zone: zoneinfo.ZoneInfo

    @functools.cached_property
    def locale(self) -> Locale:
        return Locale.parse(LOCALES[self.language])

    def datetime(self, value: datetime | str | None) -> str:
        if not value:
            return "—"
        if isinstance(value, str):  # NOTE: the proto-shaped answers (replies, offers) carry ISO 8601 text
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return dates.format_datetime(value if value.tzinfo else value.replace(tzinfo=timezone.utc), "medium", tzinfo=self.zone, locale=self.locale)

    def number(self, value: float | int | None, digits: int = 0) -> str:
        if value is None:
            return "—"
        return numbers.format_decimal(value, format=f"#,##0.{'0' * digits}" if digits else "#,##0", locale=self.locale)

    def until(self, value: datetime | None, now: datetime | None = None) -> str:
        """"in 3 hours", "2 days ago": how far a deadline is, in words."""
        if value is None:
            return "—"
        delta = value - (now or datetime.now(timezone.utc))
        return dates.format_timedelta(delta, add_direction=True, locale=self.locale)

    def percent(self, value: float | None) -> str:
        return "—" if value is None else numbers.format_percent(value, format="#,##0.0%", locale=self.locale)


def zone_named(name: str | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


class Renderer:
    """One Jinja2 environment per interface language (so no request swaps another's translations)."""

    def __init__(self, poll_seconds: float) -> None:
        self.poll_ms = int(poll_seconds * 1000)
        self._environments = {}
        for language in LOCALES:
            env = Environment(
                loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), extensions=["jinja2.ext.i18n"],
                trim_blocks=True, lstrip_blocks=True,
            )  # fmt: skip
            env.install_gettext_translations(compile_catalog(LOCALES[language] if language != "zh" else "zh_Hans"), newstyle=True)
            self._environments[language] = env

    def render(self, request: Request, name: str, *, status_code: int = 200, formats: Formats | None = None, **context) -> HTMLResponse:
        formats = formats or Formats(language=pick_language(
            switched=request.cookies.get(LOCALE_COOKIE), user_locale=None, accept_language=request.headers.get("accept-language", "")
        ), zone=zone_named("UTC"))  # fmt: skip
        template = self._environments[formats.language].get_template(name)
        body = template.render(request=request, fmt=formats, language=formats.language, poll_ms=self.poll_ms, **context)
        return HTMLResponse(body, status_code=status_code, headers=PAGE_HEADERS)
