"""The one validation-error mapper (libs/errors.violations_of): a backend's and the gateway's field
names, and never the input (a secret) in what a caller or a log line sees."""

from __future__ import annotations

import pytest
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, HttpUrl, ValidationError

from libs.errors import InvalidArgument, domain_to_http, violations_of

SECRET = "sk-live-0123456789abcdef"


class Step(BaseModel):
    seconds: int


class Provider(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    base_url: HttpUrl
    api_key: str
    steps: list[Step]


def _refused(data: dict) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        Provider.model_validate(data)
    return caught.value


BAD = {"base_url": SECRET, "api_key": 5, "steps": [{"seconds": 1}, {"seconds": SECRET}], "token": SECRET}


def test_a_backend_names_fields_by_dotted_path_under_its_prefix() -> None:
    violations = violations_of(_refused(BAD), prefix="provider")
    assert [v.field for v in violations] == ["provider.base_url", "provider.api_key", "provider.steps.1.seconds", "provider.token"]
    # NOTE: an error of the whole value has no path: the default names it.
    assert [v.field for v in violations_of(_refused({}), default="settings")][:1] == ["base_url"]
    with pytest.raises(ValidationError) as whole:
        Provider.model_validate("not an object")
    assert [v.field for v in violations_of(whole.value, default="settings")] == ["settings"]


def test_a_request_error_is_named_as_the_gateway_names_request_fields() -> None:
    # NOTE: as FastAPI raises it: pydantic's errors with the location ("body", "query") in front.
    error = _refused(BAD)
    request_error = RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in error.errors()])
    assert [v.field for v in violations_of(request_error, request=True)] == ["base_url", "api_key", "steps[1].seconds", "token"]
    whole = RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}])
    assert [v.field for v in violations_of(whole, request=True)] == ["body"]


@pytest.mark.parametrize("request_error", [False, True])
def test_the_input_never_reaches_the_answer(request_error: bool) -> None:
    error = _refused(BAD)
    if request_error:
        error = RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in error.errors()])
    code, body, _ = domain_to_http(InvalidArgument("invalid provider", violations_of(error, request=request_error)))
    assert code == 422 and len(body["errors"]) == 4
    assert SECRET not in repr(body)
