"""Response models that describe a proto message exactly as `as_dict` (protobuf's MessageToDict with
proto field names and every field without presence printed) writes it as JSON.

Derived from the message's descriptor, so the documented schema cannot drift from the JSON sent:

- 64-bit integers are strings, 32-bit ones numbers; floats and doubles numbers; bytes base64 text;
  enums their value's name; `google.protobuf.Timestamp` RFC 3339 text.
- Fields without presence (plain scalars, repeated fields, maps) are always there, so required;
  fields with presence (messages, `optional` scalars, oneof members) appear only when set, so they
  are optional and not nullable. Routes that answer with one set `response_model_exclude_unset`, so
  a field the message left out is left out of the JSON as well.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from pydantic import BaseModel, ConfigDict, Field, create_model

_INT64 = Annotated[str, Field(pattern=r"^-?[0-9]+$", description="a 64-bit integer, as a decimal string")]
_BYTES = Annotated[str, Field(description="base64")]
_TIMESTAMP = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
_DURATION = Annotated[str, Field(pattern=r"^-?[0-9]+(\.[0-9]+)?s$")]

_SCALARS: dict[int, Any] = {
    FieldDescriptor.TYPE_DOUBLE: float,
    FieldDescriptor.TYPE_FLOAT: float,
    FieldDescriptor.TYPE_INT64: _INT64,
    FieldDescriptor.TYPE_UINT64: _INT64,
    FieldDescriptor.TYPE_SINT64: _INT64,
    FieldDescriptor.TYPE_FIXED64: _INT64,
    FieldDescriptor.TYPE_SFIXED64: _INT64,
    FieldDescriptor.TYPE_INT32: int,
    FieldDescriptor.TYPE_UINT32: int,
    FieldDescriptor.TYPE_SINT32: int,
    FieldDescriptor.TYPE_FIXED32: int,
    FieldDescriptor.TYPE_SFIXED32: int,
    FieldDescriptor.TYPE_BOOL: bool,
    FieldDescriptor.TYPE_STRING: str,
    FieldDescriptor.TYPE_BYTES: _BYTES,
}

_WELL_KNOWN: dict[str, Any] = {
    "google.protobuf.Timestamp": _TIMESTAMP,
    "google.protobuf.Duration": _DURATION,
    "google.protobuf.Struct": dict[str, Any],
    "google.protobuf.Value": Any,
    "google.protobuf.ListValue": list[Any],
    "google.protobuf.StringValue": str,
    "google.protobuf.BoolValue": bool,
    "google.protobuf.Int32Value": int,
    "google.protobuf.UInt32Value": int,
    "google.protobuf.Int64Value": _INT64,
    "google.protobuf.UInt64Value": _INT64,
    "google.protobuf.DoubleValue": float,
    "google.protobuf.FloatValue": float,
}

_MODELS: dict[str, type[BaseModel]] = {}


class ProtoJson(BaseModel):
    """Base of the models derived from protos."""

    model_config = ConfigDict(extra="forbid")


def _is_map(field: FieldDescriptor) -> bool:
    message = field.message_type
    return message is not None and message.GetOptions().map_entry


def _value_type(field: FieldDescriptor) -> Any:
    if field.type == FieldDescriptor.TYPE_ENUM:
        names = tuple(v.name for v in field.enum_type.values)
        return Literal[names]  # type: ignore[valid-type]
    if field.type in (FieldDescriptor.TYPE_MESSAGE, FieldDescriptor.TYPE_GROUP):
        return _WELL_KNOWN.get(field.message_type.full_name) or _model(field.message_type)
    return _SCALARS[field.type]


def _field_type(field: FieldDescriptor) -> Any:
    if _is_map(field):
        value = field.message_type.fields_by_name["value"]
        # NOTE: JSON object keys are text whatever the key's proto type.
        return dict[str, _value_type(value)]  # type: ignore[misc]
    if field.is_repeated:
        return list[_value_type(field)]  # type: ignore[misc]
    return _value_type(field)


def _model(descriptor: Descriptor, name: str | None = None) -> type[BaseModel]:
    # NOTE: one model per message; `name` applies when the message is first met.
    key = descriptor.full_name
    if key in _MODELS:
        return _MODELS[key]
    fields: dict[str, Any] = {}
    for field in descriptor.fields:
        kind = _field_type(field)
        if field.has_presence and not _is_map(field) and not field.is_repeated:
            # NOTE: left out when unset (never null); `None` only marks it optional.
            fields[field.name] = (kind | None, Field(default=None, json_schema_extra=omitted_when_unset))
        else:
            fields[field.name] = (kind, ...)
    model = create_model(name or descriptor.name, __base__=ProtoJson, __doc__=f"`{descriptor.full_name}` as JSON", **fields)
    _MODELS[key] = model
    return model


def omitted_when_unset(schema: dict[str, Any]) -> None:
    """An optional proto field is absent, never null: drop the null branch pydantic adds for the default."""
    options = schema.get("anyOf")
    if options and {"type": "null"} in options:
        rest = [o for o in options if o != {"type": "null"}]
        schema.pop("anyOf")
        schema.pop("default", None)
        if len(rest) == 1:
            schema.update(rest[0])
        else:
            schema["anyOf"] = rest


def proto_model(message: type[Message], name: str | None = None) -> type[BaseModel]:
    """The response model of `as_dict(message)`; `name` renames it in the OpenAPI document."""
    return _model(message.DESCRIPTOR, name)
