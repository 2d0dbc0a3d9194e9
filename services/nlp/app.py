"""Wiring root of the NLP service: analyser, models, pool, bus consumer, gRPC server; closed in reverse."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from libs import topology
from libs.backend import Backend
from libs.crypto import SecretBox
from libs.outbound import OutboundPolicy, outbound_client
from libs.settings import NlpSettings, Settings
from reviewguard.events.v1 import events_pb2
from reviewguard.nlp.v1 import nlp_pb2, nlp_pb2_grpc
from services.nlp.analyzer import Analyzer
from services.nlp.aspects import AspectTagger
from services.nlp.grpc_api import NlpServicer
from services.nlp.language import LanguageDetector
from services.nlp.lexicon import RiskLexicon
from services.nlp.metrics import NlpMetrics
from services.nlp.model_registry import ModelRegistry
from services.nlp.service import NlpService
from services.nlp.stars.loading import load_star_model
from services.nlp.stars.model import DEFAULT_MODEL_PATH
from services.nlp.translation.worker import OUTBOX_CHANNEL, TranslationWorker

SCHEMA = "nlp"
MIGRATIONS = Path(__file__).parent / "migrations"


def build_analyzer(own: NlpSettings) -> Analyzer:
    """Loads the models; slow (seconds), so it runs in the executor at start."""
    model_path = Path(own.nlp_star_model) if own.nlp_star_model else DEFAULT_MODEL_PATH
    return Analyzer(
        detector=LanguageDetector(own.nlp_languages.split(",")),
        lexicon=RiskLexicon.load(),
        aspects=AspectTagger.load(),
        # NOTE: a directory with tokenizer.json is a Hugging Face ONNX export (bring your own model).
        stars=load_star_model(model_path),
    )


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    # NOTE: CPU work (models, tokenising) runs here, never on the event loop.
    executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="nlp-cpu")
    analyzer = await asyncio.get_running_loop().run_in_executor(executor, build_analyzer, settings.nlp)
    backend = await Backend.open(
        settings, stop, name="nlp", schema=SCHEMA, migrations=MIGRATIONS, port=settings.nlp_port,
        grpc_service=nlp_pb2.DESCRIPTOR.services_by_name["NlpService"].full_name,
    )
    backend.on_close(lambda: executor.shutdown(wait=True, cancel_futures=True))
    models = ModelRegistry(analyzer.default_model)
    async with backend.pool.acquire() as conn:
        await models.refresh(conn, executor)
    box = SecretBox(settings.secret_key_list()) if settings.secret_key_list() else None
    # NOTE: translation providers are reached only where the outbound policy allows (libs/outbound.py).
    outbound = OutboundPolicy.from_settings(settings)
    http = outbound_client(outbound)
    backend.on_close_async(http.aclose)
    translations = TranslationWorker(pool=backend.pool, box=box, http=http)
    service = NlpService(
        pool=backend.pool, analyzer=analyzer, executor=executor, bus=backend.bus, models=models, box=box,
        on_translations_queued=translations.wake.set, outbound=outbound, metrics=NlpMetrics(backend.metrics),
    )
    nlp_pb2_grpc.add_NlpServiceServicer_to_server(NlpServicer(service), backend.grpc.server)
    backend.consume_lanes(
        stream=topology.REVIEWS.name,
        live_subject=topology.REVIEW_INGESTED,
        history_subject=topology.REVIEW_INGESTED_HISTORY,
        message_type=events_pb2.ReviewIngested,
        handler=service.handle_ingested,
    )
    backend.background(models.run(backend.pool, executor, interval_seconds=settings.nlp.nlp_model_refresh_seconds, stop=stop))
    backend.relay_outbox(OUTBOX_CHANNEL)
    backend.background(translations.run(stop, poll_seconds=settings.nlp.nlp_translation_poll_seconds))
    await backend.run()
