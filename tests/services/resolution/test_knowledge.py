"""Knowledge base: handled cases searchable by type, region, outcome and text in several languages."""

from __future__ import annotations

import uuid

from reviewguard.resolution.v1 import case_pb2
from tests.services.resolution.conftest import open_case

TENANT = str(uuid.uuid4())


async def handle(workflow, *, marketplace, issue, summary, reply, reason, note=""):
    case = await open_case(workflow, TENANT, marketplace=marketplace, summary=summary)
    await workflow.update_case(TENANT, case.id, language="", issue_type=issue, customer_id="", order_id="", platform="", actor="")
    await workflow.send_reply(TENANT, case.id, text=reply, scenario="", language="", placeholders={}, variant="", actor="lena")
    await workflow.transition(TENANT, case.id, to_status=case_pb2.CASE_STATUS_RESOLVED, reason=reason, actor="lena", note=note)
    return case


async def test_resolved_cases_are_found_by_text_type_region_and_outcome(workflow) -> None:
    satisfied, updated = case_pb2.RESOLUTION_REASON_CUSTOMER_SATISFIED, case_pb2.RESOLUTION_REASON_REVIEW_UPDATED
    de = await handle(workflow, marketplace="DE", issue="damaged", summary="Wasserkocher mit Riss im Gehäuse angekommen",
                      reply="Guten Tag, wir senden Ihnen kostenlos Ersatz.", reason=updated, note="Ersatz per DHL Express, Kundin hat auf 4 Sterne erhöht")
    fr = await handle(workflow, marketplace="FR", issue="delay", summary="Colis bloqué chez le transporteur depuis dix jours",
                      reply="Bonjour, nous avons ouvert une enquête auprès du transporteur.", reason=satisfied)
    zh = await handle(workflow, marketplace="CN", issue="quality", summary="外壳有裂缝，用了两天就不能加热了",
                      reply="非常抱歉，我们会为您全额退款。", reason=satisfied)
    us = await handle(workflow, marketplace="US", issue="damaged", summary="Kettle arrived with a cracked lid",
                      reply="We are sorry, a replacement ships today.", reason=case_pb2.RESOLUTION_REASON_NO_RESPONSE)
    await open_case(workflow, TENANT, summary="Riss im Gehäuse, noch offen")  # open cases are not in the knowledge base

    async def search(**kw):
        args = {"query": "", "issue_type": "", "region": "", "outcome": "", "limit": 20} | kw
        return [e.case_id for e in await workflow.search_knowledge(TENANT, **args)]

    assert await search(query="Riss Gehäuse") == [de.id]
    assert await search(query="DHL express") == [de.id]  # from the resolution note
    assert await search(query="transporteur") == [fr.id]
    assert await search(query="裂缝") == [zh.id]
    assert set(await search(issue_type="damaged")) == {de.id, us.id}
    assert set(await search(region="EU")) == {de.id, fr.id}
    assert await search(region="APAC") == [zh.id]
    assert await search(region="US") == [us.id]
    assert await search(outcome="review_updated") == [de.id]
    assert await search(issue_type="damaged", outcome="no_response", query="replacement") == [us.id]
    assert await search(query="replacement", region="EU") == []
    (entry,) = await workflow.search_knowledge(TENANT, query="Riss", issue_type="", region="", outcome="", limit=5)
    assert (entry.region, entry.marketplace, entry.outcome, entry.platform, entry.language) == ("EU", "DE", "review_updated", "amazon", "de")
    assert await workflow.search_knowledge(str(uuid.uuid4()), query="Riss", issue_type="", region="", outcome="", limit=5) == []
