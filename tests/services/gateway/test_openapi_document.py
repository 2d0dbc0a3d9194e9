"""The gateway's OpenAPI document, without a running system: every operation says what it answers."""

from __future__ import annotations

import pytest

from libs.settings import Settings
from services.gateway.app import create_app

METHODS = ("get", "put", "post", "patch", "delete")
ERROR_STATUSES = ("401", "404", "409", "413", "422", "429", "503")


@pytest.fixture(scope="module")
def document() -> dict:
    return create_app(Settings()).openapi()


def _operations(document: dict):
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def _typed(schema: dict) -> bool:
    return bool(schema) and any(key in schema for key in ("$ref", "type", "anyOf", "oneOf", "allOf"))


def test_every_operation_has_a_typed_success_response(document):
    untyped = []
    for label, operation in _operations(document):
        successes = {code: answer for code, answer in operation["responses"].items() if code.startswith("2")}
        assert successes, label
        for code, answer in successes.items():
            if code == "204":
                assert "content" not in answer, label
                continue
            content = answer.get("content", {})
            if not content or not all(_typed(media.get("schema", {})) for media in content.values()):
                untyped.append(f"{label} {code}")
            elif "application/json" in content:
                schema = content["application/json"]["schema"]
                # NOTE: a bare object (`dict[str, Any]`) describes nothing.
                assert schema.get("additionalProperties") is not True or "properties" in schema, label
    assert not untyped, untyped


def test_every_operation_documents_its_errors_with_the_shared_body(document):
    error_ref = "#/components/schemas/ErrorBody"
    for label, operation in _operations(document):
        if label.split()[1] in ("/livez", "/readyz", "/healthz"):
            continue  # no input to refuse, no key asked
        for code in ERROR_STATUSES:
            answer = operation["responses"].get(code)
            assert answer is not None, f"{label} does not document {code}"
            assert answer["content"]["application/json"]["schema"] == {"$ref": error_ref}, f"{label} {code}"
        retry = operation["responses"]["503"].get("headers", {})
        assert "Retry-After" in retry, label


def test_the_documented_422_is_the_body_sent(document):
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    body = schemas["ErrorBody"]
    assert body["required"] == ["detail"]
    assert body["properties"]["detail"]["type"] == "string"
    assert body["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/FieldError"}
    assert set(schemas["FieldError"]["required"]) == {"field", "message"}


def test_health_probes_document_their_503(document):
    for path in ("/readyz", "/healthz"):
        answer = document["paths"][path]["get"]["responses"]["503"]
        assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/HealthReport"}


def test_proto_models_describe_as_dict_exactly() -> None:
    """What a route answers (as_dict, then its response model with exclude_unset) is as_dict unchanged."""
    from reviewguard.resolution.v1 import resolution_pb2
    from services.gateway.routes.resolution_schemas import CompensationRecommendationRead, OfferRead, OrdersAccepted, as_dict

    offer = resolution_pb2.Offer(id="o1", case_id="c1", option="full_refund", cost="89.90", currency="EUR", cost_usd="97.09")
    offer.created_at.FromJsonString("2026-12-01T10:00:00Z")  # approved_at left unset: absent, not null
    for model, message in (
        (OfferRead, offer),
        (OrdersAccepted, resolution_pb2.SubmitOrdersResponse()),
        (CompensationRecommendationRead, resolution_pb2.CompensationRecommendation()),
    ):
        sent = as_dict(message)
        assert model.model_validate(sent).model_dump(mode="json", exclude_unset=True) == sent, model.__name__
    assert "approved_at" not in as_dict(offer) and "approved_at" not in OfferRead.model_json_schema()["required"]


def test_every_list_pages_one_way(document):
    """README, "Paging": no operation answers a bare array; every list takes page_size and
    page_token and answers items with next_page_token."""
    schemas = document["components"]["schemas"]
    off = []
    for label, operation in _operations(document):
        schema = operation["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
        if schema.get("type") == "array":
            off.append(f"{label}: a bare array")
            continue
        properties = schemas.get(schema.get("$ref", "").rsplit("/", 1)[-1], {}).get("properties", {})
        if properties.get("items", {}).get("type") != "array":
            continue
        parameters = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if not {"page_size", "page_token"} <= parameters or "next_page_token" not in properties:
            off.append(f"{label}: {sorted(parameters)} -> {sorted(properties)}")
    assert not off, off
