"""The shape DingTalk, WeCom and Feishu robots share: JSON posted to one secret webhook URL, answered
with a code that is 0 on success; some codes are worth another try (busy, over the rate limit)."""

from __future__ import annotations

import asyncio
from abc import abstractmethod
from collections.abc import Iterable
from typing import ClassVar

import httpx

from services.alerting.receivers.base import Attempt, PermanentError, Receiver, ReceiverConfigBase, Sleep, TransientError, redact_url


class ChatRobotReceiver(Receiver):
    """A chat group robot: subclasses build the `payload` and name their `transient_codes`."""

    transient_codes: ClassVar[frozenset[int]] = frozenset()
    # NOTE: how the robot's documentation names its answer code, so a failure reads as it does there.
    code_label: ClassVar[str] = "errcode"

    def __init__(
        self, config: ReceiverConfigBase, *, url: str, secrets: Iterable[str | None], http: httpx.AsyncClient, sleep: Sleep = asyncio.sleep
    ) -> None:
        super().__init__(
            name=config.name, target=redact_url(url), secrets=[url, *secrets],
            language=config.language, retry=config.retry, timeout_s=config.timeout_s, sleep=sleep,
        )
        self._http = http
        self._url = url

    @abstractmethod
    def payload(self, attempt: Attempt) -> dict:
        """The JSON body of one attempt."""

    def request_url(self) -> str:
        """Where one attempt posts (a robot that signs its URL makes it anew per attempt)."""
        return self._url

    def answer(self, response: httpx.Response) -> tuple[int, str]:
        """The robot's answer code and message: `errcode` and `errmsg` of an HTTP 200 answer."""
        self._check_status(response)
        body = self._json(response)
        return body.get("errcode", 0), str(body.get("errmsg", ""))

    async def _send_once(self, attempt: Attempt) -> None:
        response = await self._post(self._http, self.request_url(), json=self.payload(attempt))
        code, message = self.answer(response)
        if code == 0:
            return
        detail = f"{self.code_label} {code}: {self._redact(message)[:200]}"
        if code in self.transient_codes:
            raise TransientError(detail, reason=f"{self.code_label} {code}")
        raise PermanentError(detail, reason=f"{self.code_label} {code}")
