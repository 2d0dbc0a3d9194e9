"""A local server speaking the DeepL, Google v2 and LibreTranslate APIs, with scripted failures."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

DEEPL_KEY = "deepl-secret-123:fx"
GOOGLE_KEY = "AIza-google-secret-456"
LIBRE_KEY = "libre-secret-789"
# NOTE: a fixed "translation" so tests can check order and pairing: the target and the original.
DETECTED = "de"


def fake_translation(text: str, target: str) -> str:
    return f"<{target.lower()}>{text}"


@dataclass
class Seen:
    """One request: path, query, headers and decoded body."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict


@dataclass
class FakeProviders:
    """Answers as the three providers do; `fail` holds statuses to answer first, in order."""

    url: str = ""
    seen: list[Seen] = field(default_factory=list)
    fail: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    def reset(self) -> None:
        self.seen.clear()
        self.fail.clear()

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/v2/translate", self.deepl, methods=["POST"]),
            Route("/language/translate/v2", self.google, methods=["POST"]),
            Route("/translate", self.libre, methods=["POST"]),
        ])

    async def _record(self, request: Request) -> Seen:
        raw = await request.body()
        if request.headers.get("content-type", "").startswith("application/json"):
            body = json.loads(raw)
        else:
            form = await request.form()
            body = {k: form.getlist(k) for k in form.keys()}
        seen = Seen(request.url.path, dict(request.query_params), {k.lower(): v for k, v in request.headers.items()}, body)
        self.seen.append(seen)
        return seen

    def _scripted(self) -> Response | None:
        if self.fail:
            status, headers = self.fail.pop(0)
            return JSONResponse({"message": "scripted failure"}, status_code=status, headers=headers)
        return None

    async def deepl(self, request: Request) -> Response:
        seen = await self._record(request)
        if seen.headers.get("authorization") != f"DeepL-Auth-Key {DEEPL_KEY}":
            return JSONResponse({"message": "Forbidden"}, status_code=403)
        if (scripted := self._scripted()) is not None:
            return scripted
        texts, target = seen.body.get("text"), seen.body.get("target_lang")
        if not isinstance(texts, list) or not target:
            return JSONResponse({"message": "Value for 'text' not supported."}, status_code=400)
        source = seen.body.get("source_lang") or DETECTED.upper()
        return JSONResponse({"translations": [
            {"detected_source_language": source, "text": fake_translation(t, target)} for t in texts
        ]})

    async def google(self, request: Request) -> Response:
        seen = await self._record(request)
        key = seen.query.get("key") or seen.headers.get("x-goog-api-key")
        if key != GOOGLE_KEY:
            return JSONResponse({"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
                                           "status": "INVALID_ARGUMENT",
                                           "details": [{"reason": "API_KEY_INVALID"}]}}, status_code=400)
        if (scripted := self._scripted()) is not None:
            return scripted
        q, target = seen.body.get("q"), seen.body.get("target")
        if isinstance(q, str):
            q = [q]
        if not q or not target or seen.body.get("format") not in (None, "text", "html"):
            return JSONResponse({"error": {"code": 400, "message": "Invalid Value"}}, status_code=400)
        translations = []
        for text in q:
            item = {"translatedText": fake_translation(text, target)}
            if not seen.body.get("source"):
                item["detectedSourceLanguage"] = DETECTED
            translations.append(item)
        return JSONResponse({"data": {"translations": translations}})

    async def libre(self, request: Request) -> Response:
        seen = await self._record(request)
        if seen.body.get("api_key") != LIBRE_KEY:
            return JSONResponse({"error": "Invalid API key"}, status_code=403)
        if (scripted := self._scripted()) is not None:
            return scripted
        q, target = seen.body.get("q"), seen.body.get("target")
        if not isinstance(q, str) or not target:
            return JSONResponse({"error": "Invalid request: missing q parameter"}, status_code=400)
        answer: dict = {"translatedText": fake_translation(q, target)}
        if seen.body.get("source") == "auto":
            answer["detectedLanguage"] = {"confidence": 90.0, "language": DETECTED}
        return JSONResponse(answer)
