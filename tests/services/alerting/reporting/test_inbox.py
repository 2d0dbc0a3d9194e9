"""The inbox: every filter, CJK search, keyset pages, signed tokens, tenancy, case state."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from libs.errors import InvalidArgument
from reviewguard.events.v1 import events_pb2
from reviewguard.reporting.v1 import reporting_pb2
from reviewguard.resolution.v1 import case_pb2
from tests.services.alerting.reporting.conftest import analyzed, delivery

A, B = str(uuid.uuid4()), str(uuid.uuid4())
T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)


def search(servicer, tenant=A, **fields):
    return servicer.SearchReviews(reporting_pb2.SearchReviewsRequest(tenant_id=tenant, **fields), None)


@pytest.fixture
async def seeded(service):
    messages = [
        analyzed(A, posted_at=T0, rating=1, score=0.9, aspects=["shipping"], marketplace="JP", language="ja",
                 title="残念です", body="届いた時には蓋が割れていて、二日目から電源が入らなくなりました。", risk=["damage"]),
        analyzed(A, posted_at=T0 + timedelta(hours=1), rating=2, score=0.7, aspects=["quality"], marketplace="CN", language="zh",
                 title="质量太差", body="收到的时候外壳就有裂缝，客服也不回复消息。", platform="aliexpress"),
        analyzed(A, posted_at=T0 + timedelta(hours=2), rating=5, score=0.05, marketplace="DE", language="de",
                 title="Super", body="Der Wasserkocher ist großartig.", product_line="kitchen"),
        analyzed(A, posted_at=T0 + timedelta(hours=3), rating=3, score=0.4, marketplace="US", competitor=True,
                 title="Okay kettle", body="It leaked from the base once."),
        analyzed(A, posted_at=T0 + timedelta(hours=4), rating=1, marketplace="US", title="Scam", body="Broken and a fraud"),
        # Another tenant's reviews share every value and word, so any leak would show.
        analyzed(B, posted_at=T0, rating=1, score=0.9, aspects=["shipping"], marketplace="JP", language="ja",
                 title="残念です", body="蓋が割れていて"),
    ]
    await service.handle_analyzed([delivery(m) for m in messages])
    return [m.review.id for m in messages]


async def ids(servicer, **fields) -> list[str]:
    return [r.id for r in (await search(servicer, **fields)).items]


async def test_filters_each_narrow_to_the_matching_reviews(servicer, seeded):
    jp, cn, de, competitor, scam, _other = seeded
    assert await ids(servicer) == [scam, competitor, de, cn, jp]
    assert await ids(servicer, marketplace=["JP", "CN"]) == [cn, jp]
    assert await ids(servicer, platform=["aliexpress"]) == [cn]
    assert await ids(servicer, language=["de"]) == [de]
    assert await ids(servicer, product_line=["kitchen"]) == [de]
    assert await ids(servicer, rating_gte=2, rating_lte=3) == [competitor, cn]
    assert await ids(servicer, sentiment="negative") == [scam, cn, jp]
    assert await ids(servicer, sentiment="positive") == [de]
    assert await ids(servicer, sentiment="neutral") == [competitor]
    assert await ids(servicer, aspect="shipping") == [jp]
    assert await ids(servicer, risk="damage") == [jp]
    assert await ids(servicer, risk="any") == [jp]
    assert await ids(servicer, competitor=True) == [competitor]
    assert await ids(servicer, posted_from=_ts(T0 + timedelta(hours=1)), posted_to=_ts(T0 + timedelta(hours=3))) == [de, cn]


async def test_full_text_finds_chinese_japanese_and_latin_substrings_in_one_tenant(servicer, seeded):
    jp, cn, de, competitor, scam, _other = seeded
    assert await ids(servicer, q="割れて") == [jp]
    assert await ids(servicer, q="裂缝") == [cn]
    assert await ids(servicer, q="WASSERKOCHER") == [de]
    assert await ids(servicer, q="from the base") == [competitor]
    assert await ids(servicer, q="蓋") == [jp]
    assert await ids(servicer, q="nowhere at all") == []


async def test_sorts_and_pages_visit_every_review_once(servicer, seeded):
    jp, cn, de, competitor, scam, _other = seeded
    assert await ids(servicer, sort="rating") in ([jp, scam, cn, competitor, de], [scam, jp, cn, competitor, de])
    assert (await ids(servicer, sort="-negative_score"))[:2] == [jp, cn]
    seen, token = [], ""
    while True:
        page = await search(servicer, sort="posted_at", page_size=2, page_token=token)
        seen += [r.id for r in page.items]
        token = page.next_page_token
        if not token:
            break
    assert seen == [jp, cn, de, competitor, scam]
    for sort in ("rating", "-rating", "negative_score", "-negative_score", "-posted_at"):
        assert sorted(await all_pages(servicer, sort)) == sorted(seeded[:5]), sort


async def all_pages(servicer, sort: str) -> list[str]:
    seen, token = [], ""
    while True:
        page = await search(servicer, sort=sort, page_size=1, page_token=token)
        seen += [r.id for r in page.items]
        if not (token := page.next_page_token):
            return seen


async def test_a_tampered_or_foreign_page_token_is_refused(servicer, seeded):
    page = await search(servicer, page_size=1)
    token = page.next_page_token
    body, _, signature = token.partition(".")
    forged = ("A" if body[0] != "A" else "B") + body[1:] + "." + signature
    for bad in (forged, token[:-2], "garbage"):
        with pytest.raises(InvalidArgument) as refused:
            await search(servicer, page_size=1, page_token=bad)
        assert refused.value.violations[0].field == "page_token"
    # NOTE: a genuine token of tenant A is no key to tenant B's rows, nor to another filter set.
    for other in ({"tenant": B}, {"marketplace": ["JP"]}):
        with pytest.raises(InvalidArgument):
            await search(servicer, page_size=1, page_token=token, **other)


async def test_bad_parameters_name_the_field(servicer, seeded):
    for fields, name in (({"sort": "title"}, "sort"), ({"sentiment": "angry"}, "sentiment"), ({"rating_gte": 9}, "rating_gte"),
                         ({"page_size": 501}, "page_size"), ({"case_status": "lost"}, "case_status")):
        with pytest.raises(InvalidArgument) as refused:
            await search(servicer, **fields)
        assert refused.value.violations[0].field == name


async def test_case_state_follows_the_latest_case_event(service, servicer, seeded):
    jp = seeded[0]
    case = case_pb2.Case(id=str(uuid.uuid4()), tenant_id=A, review_id=jp, status=case_pb2.CASE_STATUS_NEW)
    case.opened_at.FromDatetime(T0)
    later = case_pb2.Case()
    later.CopyFrom(case)
    later.status = case_pb2.CASE_STATUS_AWAITING_CUSTOMER
    later.updated_at.FromDatetime(T0 + timedelta(hours=5))
    # NOTE: the update is delivered before the opening: the older event must not win.
    await service.handle_case_event([delivery(events_pb2.CaseUpdated(case=later)), delivery(events_pb2.CaseOpened(case=case))])
    assert await ids(servicer, has_case=True) == [jp]
    assert await ids(servicer, case_status="awaiting_customer") == [jp]
    assert jp not in await ids(servicer, has_case=False)
    assert await ids(servicer, tenant=B, has_case=True) == []


async def test_a_new_version_replaces_the_old_and_a_redelivery_changes_nothing(service, servicer, seeded):
    scam = seeded[4]
    edited = analyzed(A, posted_at=T0 + timedelta(hours=4), rating=4, review_id=scam, version=2, title="Fixed", body="Seller helped")
    older = analyzed(A, posted_at=T0 + timedelta(hours=4), rating=1, review_id=scam, version=1, title="Scam", body="fraud")
    await service.handle_analyzed([delivery(edited)])
    await service.handle_analyzed([delivery(edited), delivery(older)])
    page = await search(servicer, q="seller helped")
    assert [(r.id, r.rating) for r in page.items] == [(scam, 4)]
    assert await ids(servicer, q="fraud") == []


def _ts(value: datetime):
    from google.protobuf.timestamp_pb2 import Timestamp

    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


async def test_a_translation_is_searchable_whichever_event_comes_first(service, servicer):
    early, late = (analyzed(A, posted_at=T0, title="不良品", body="電源が入らない") for _ in range(2))
    for message in (early, late):
        message.analysis.translation.status = "pending"

    def translated(message, text):
        return delivery(events_pb2.ReviewTranslated(
            tenant_id=A, review_id=message.review.id, review_version=1, text=text, target_language="en", provider="deepl",
        ))

    await service.handle_analyzed([delivery(early)])
    await service.handle_translated([translated(early, "Defective: it will not power on")])
    # NOTE: here the translation overtakes its review (the read model's review lane lagging).
    await service.handle_translated([translated(late, "Faulty unit, no power at all")])
    await service.handle_analyzed([delivery(late)])
    assert await ids(servicer, q="will not power") == [early.review.id]
    assert await ids(servicer, q="no power at all") == [late.review.id]
    page = await search(servicer, q="faulty")
    assert page.items[0].translation == "Faulty unit, no power at all" and page.items[0].body == "電源が入らない"
    assert await ids(servicer, tenant=B, q="faulty") == []
