"""What each platform accepts as a seller's reply, and the publish states a reply moves through.

Ingest owns the platform credentials and clients (sources), so resolution never calls a platform:
it asks ingest through `replies.publish_requested` (its outbox) and records `replies.published` /
`replies.publish_failed`. Limits are checked here, before anything is stored or sent, so a reply the
platform would refuse is a 422 naming the field, not a failure an hour later.
"""

from __future__ import annotations

from libs.errors import FieldViolation, InvalidArgument

NOT_REQUESTED = "not_requested"
QUEUED = "queued"
PUBLISHED = "published"
FAILED = "failed"
MANUAL = "manual"

PUBLISH = "publish"
DELETE = "delete"

# Platforms (as cases name them) whose reply API ingest's connectors call; the others get "manual".
# Judge.me reviews carry platform "shopify" (services/ingest/connectors/judgeme.py).
REPLY_APIS = frozenset({"ebay", "trustpilot", "shopify", "google"})

# NOTE: eBay Trading API RespondToFeedback, ResponseText: "max length 80" (developer.ebay.com/devzone/
# xml/docs/reference/ebay/RespondToFeedback.html). Google Business Profile updateReply: comment up to
# 4096 bytes (developers.google.com/my-business/reference/rest/v4/accounts.locations.reviews/updateReply).
MAX_REPLY_CHARS = {"ebay": 80, "google": 4096}


# Platforms with a private reply (emailed to the reviewer): Judge.me's private_replies.
PRIVATE_REPLIES = frozenset({"shopify"})
# What a platform's API cannot do to a reply once it is there: eBay keeps a reply to feedback as first
# posted; Judge.me's API cannot withdraw one (services/ingest/connectors/ebay.py, judgeme.py).
CANNOT_EDIT = frozenset({"ebay"})
CANNOT_DELETE = frozenset({"ebay", "shopify"})


def require_fits(platform: str, text: str, *, field: str = "text", private: bool = False) -> None:
    """Refuses a reply the platform would refuse (too long, private where it has none), naming the field."""
    if private and platform not in PRIVATE_REPLIES:
        raise InvalidArgument(f"{platform} has no private reply", [FieldViolation("private", f"not on {platform}")])
    limit = MAX_REPLY_CHARS.get(platform)
    if limit is not None and len(text) > limit:
        raise InvalidArgument(
            f"a reply on {platform} is at most {limit} characters; this one has {len(text)}",
            [FieldViolation(field, f"at most {limit} characters on {platform} (has {len(text)})")],
        )


def publish_state_for(platform: str) -> str:
    """The first state of a reply to publish: queued where ingest can send it, else manual."""
    return QUEUED if platform in REPLY_APIS else MANUAL
