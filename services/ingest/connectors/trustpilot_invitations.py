"""Trustpilot's own review invitation e-mail for one order, through the Invitation API.

Follows developers.trustpilot.com (Invitation API, "Create invitation(s)"):
`POST https://invitations-api.trustpilot.com/v1/private/business-units/{businessUnitId}/email-invitations`
with a business user's OAuth bearer token (the same login as replies, see trustpilot.py) and
`{"consumerEmail", "consumerName", "referenceNumber", "locale", "type": "email",
"serviceReviewInvitation": {"preferredSendTime"}}`; Trustpilot sends its own template in `locale`
and answers 202 Accepted. The reference number is the order id, so Trustpilot can tell repeats apart.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from services.ingest.connectors.errors import CredentialsRejected
from services.ingest.connectors.http import send
from services.ingest.connectors.trustpilot import SOURCE, TrustpilotConnector

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Trustpilot's locales for the languages ReviewGuard writes invitations in.
LOCALES = {"en": "en-US", "de": "de-DE", "fr": "fr-FR", "es": "es-ES", "it": "it-IT", "ja": "ja-JP", "zh": "zh-CN", "nl": "nl-NL"}


def is_email(value: str) -> bool:
    return bool(_EMAIL.match(value))


class TrustpilotInviter(TrustpilotConnector):
    """A Trustpilot source's business unit, sending invitations."""

    @property
    def invitations_url(self) -> str:
        # NOTE: the Invitation API has its own host beside api.trustpilot.com; a base_url pointing
        # elsewhere (a test server, a proxy) serves both.
        return self._config.base_url.rstrip("/").replace("://api.", "://invitations-api.", 1)

    async def invite(self, *, order_id: str, email: str, name: str, language: str, at: datetime) -> str:
        """Asks Trustpilot to e-mail its invitation for one order; returns the reference sent."""
        body = json.dumps({
            "consumerEmail": email, "consumerName": name or email.split("@")[0], "referenceNumber": order_id,
            "locale": LOCALES.get(language, "en-US"), "type": "email",
            "serviceReviewInvitation": {"preferredSendTime": at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")},
        }).encode()
        url = f"{self.invitations_url}/v1/private/business-units/{self._config.business_unit_id}/email-invitations"
        for renew in (False, True):
            token = await self._token(renew=renew)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json"}
            try:
                await send(self._client, "POST", url, source=SOURCE, policy=self._retry, headers=headers, content=body, secrets=[token, email])
                return order_id
            except CredentialsRejected:
                if renew:
                    raise
        raise AssertionError("unreachable")
