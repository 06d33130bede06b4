"""Request and response models generated from the action registry, and the exact number type.

``ExactInt`` is how every integer crosses HTTP: a JSON integer or a decimal string of at most 100
digits (so JavaScript clients never lose precision); floats and booleans are refused. Responses
write every integer as a decimal string. For each ``ActionSpec`` this module generates one
``<Name>Args`` model (its parameters, extra fields forbidden: there is no way to pass a sender) and
one ``<Name>Request`` (``target`` path and ``args``), and a ``<Name>Response`` whose ``result`` is
typed from the action's return annotation.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    WithJsonSchema,
    create_model,
)

from ..store import ActionSpec, Param

__all__ = [
    "ActionResponse",
    "ErrorBody",
    "EventOut",
    "ExactInt",
    "args_model",
    "request_model",
    "response_model",
]

_DIGITS = re.compile(r"^-?[0-9]{1,100}$")
MAX_DIGITS = 100


def _exact_int(value: Any) -> int:
    if type(value) is int:
        if abs(value) >= 10**MAX_DIGITS:
            raise ValueError(f"integers are limited to {MAX_DIGITS} digits")
        return value
    if isinstance(value, str) and _DIGITS.match(value):
        return int(value)
    raise ValueError(
        'an exact integer: a JSON integer or a decimal string like "1000000000000000000"'
    )


ExactInt = Annotated[
    int,
    BeforeValidator(_exact_int),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer"},
                {"type": "string", "pattern": r"^-?[0-9]{1,100}$"},
            ]
        }
    ),
]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Scalar = Annotated[ExactInt | StrictBool | Name, Field(union_mode="left_to_right")]

_PARAM_TYPES: dict[str, Any] = {
    "int": ExactInt,
    "str": Name,
    "bool": StrictBool,
    "any": Scalar,
    "ref": Annotated[str, Field(min_length=1, max_length=256, description="a target path")],
    "list[int]": Annotated[list[ExactInt], Field(max_length=64)],
    "list[str]": Annotated[list[Name], Field(max_length=64)],
}


class EventOut(BaseModel):
    """A published event: its kind, the sender of its transaction, its fields (ints as text)."""

    kind: str
    sender: str
    fields: dict[str, Any]


class ActionResponse(BaseModel):
    """What every acknowledged operation returns (the log row)."""

    seq: int
    action: str
    target: str
    sender: str
    result: Any
    events: list[EventOut]
    chain_time: int
    state_hash: str


class ErrorBody(BaseModel):
    """Every refusal: ``{"error": {"code", "kind", "message"}}``; nothing changed."""

    error: dict[str, Any]


def _camel(spec: ActionSpec) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[._]", spec.name))


_OBJECTS: dict[type, type[BaseModel]] = {}


def object_model(cls: type, fields: tuple[Param, ...]) -> type[BaseModel]:
    """A strict JSON-object model of a peglab dataclass parameter (one per class)."""
    model = _OBJECTS.get(cls)
    if model is None:
        model = create_model(  # type: ignore[call-overload]
            f"{cls.__name__}In",
            __config__=ConfigDict(extra="forbid"),
            __doc__=(cls.__doc__ or cls.__name__).split("\n\n")[0],
            **{f.name: _field(f) for f in fields},
        )
        _OBJECTS[cls] = model
    return model


def _type(p: Param) -> Any:
    if p.choices:
        return Literal[p.choices]
    if p.kind == "object" and p.ref_class is not None:
        return object_model(p.ref_class, p.fields)
    if p.kind == "list[object]" and p.ref_class is not None:
        return Annotated[list[object_model(p.ref_class, p.fields)], Field(max_length=64)]  # type: ignore[misc]
    return _PARAM_TYPES[p.kind]


def _field(p: Param) -> tuple[Any, Any]:
    t = _type(p)
    if p.optional:
        t = t | None
    if p.required:
        return t, Field(...)
    default = p.default
    if isinstance(default, tuple):
        default = list(default)
    return t, Field(default=default)


def args_model(spec: ActionSpec) -> type[BaseModel]:
    """The ``args`` model of an action: one field per parameter; unknown fields are refused."""
    fields = {p.name: _field(p) for p in spec.params}
    return create_model(  # type: ignore[call-overload, no-any-return]
        f"{_camel(spec)}Args",
        __config__=ConfigDict(extra="forbid"),
        __doc__=spec.doc or spec.name,
        **fields,
    )


def request_model(spec: ActionSpec) -> type[BaseModel]:
    """``{"target": path, "args": {...}}``; an empty target means the only object of its class."""
    args = args_model(spec)
    return create_model(
        f"{_camel(spec)}Request",
        __config__=ConfigDict(extra="forbid"),
        target=(Annotated[str, Field(max_length=256)], Field(default="")),
        args=(args, Field(default_factory=args) if not _required(spec) else Field(...)),
    )


def _required(spec: ActionSpec) -> bool:
    return any(p.required for p in spec.params)


def _result_type(ann: Any) -> Any:
    """JSON type of a return annotation: ints become decimal strings."""
    if ann is None or ann is type(None):
        return None
    if ann is int:
        return str
    if ann in (str, bool):
        return ann
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin is tuple:
        inner = [a for a in args if a is not Ellipsis]
        return list[_union([_result_type(a) for a in inner])]  # type: ignore[misc]
    if origin is list:
        return list[_result_type(args[0])]  # type: ignore[misc]
    if origin is dict:
        return dict[str, _result_type(args[1])]  # type: ignore[misc]
    if origin in (typing.Union, types.UnionType):
        return _union([_result_type(a) for a in args])
    return Any


def _union(types_: list[Any]) -> Any:
    uniq: list[Any] = []
    for t in types_:
        if t not in uniq:
            uniq.append(t)
    if len(uniq) == 1:
        return uniq[0]
    if Any in uniq:
        return Any
    return typing.Union[tuple(uniq)]  # noqa: UP007


def response_model(spec: ActionSpec) -> type[BaseModel]:
    """``ActionResponse`` with ``result`` typed from the action's return annotation."""
    return create_model(
        f"{_camel(spec)}Response",
        __base__=ActionResponse,
        result=(_result_type(spec.returns), None),
    )
