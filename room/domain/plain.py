"""Conversion between domain dataclasses and plain data.

Plain data is what any store and any wire can carry: str, int, float, bool, None,
lists and string-keyed maps. One converter serves events, commands and state, so
that a field added to a dataclass needs no serialisation code of its own.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from enum import Enum
from functools import cache
from typing import Any, TypeVar, Union

T = TypeVar("T")


class PlainDataError(ValueError):
    """Plain data does not have the shape a dataclass expects."""

    def __init__(self, path: str, expected: str, got: object) -> None:
        super().__init__(f"{path or 'value'}: expected {expected}, got {_describe(got)}")
        self.path = path  # where in the data, as "body.text" or "cites[2]"
        self.expected = expected  # the type that was wanted, for the message


def _describe(value: object) -> str:
    if value is None:
        return "nothing"
    return type(value).__name__


def to_plain(value: Any) -> Any:
    """Turn dataclasses, enums, tuples and maps into plain data, recursively."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple | frozenset):
        return [to_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {key: to_plain(item) for key, item in value.items()}
    return value


def from_plain(cls: type[T], data: Any, path: str = "") -> T:
    """Build a ``cls`` dataclass from plain data, checking every field's type.

    Unknown fields are refused rather than ignored: a misspelt field in a command
    is a client bug that should be visible, not silently dropped.
    """
    result: T = _convert(cls, data, path)
    return result


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _convert(tp: Any, data: Any, path: str) -> Any:
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        options = typing.get_args(tp)
        if data is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(option, data, path)
            except PlainDataError as error:
                errors.append(error.expected)
        raise PlainDataError(path, " or ".join(errors), data)
    if origin is typing.Literal:
        if data in typing.get_args(tp):
            return data
        raise PlainDataError(path, " or ".join(map(repr, typing.get_args(tp))), data)
    if origin is tuple:
        item_type = typing.get_args(tp)[0]
        if not isinstance(data, list | tuple):
            raise PlainDataError(path, "a list", data)
        return tuple(_convert(item_type, item, f"{path}[{i}]") for i, item in enumerate(data))
    if origin is dict:
        key_type, value_type = typing.get_args(tp)
        if not isinstance(data, dict):
            raise PlainDataError(path, "a map", data)
        converted = {}
        for key, item in data.items():
            if not isinstance(key, str):
                raise PlainDataError(path, "text keys", key)
            converted[_convert(key_type, key, path)] = _convert(
                value_type, item, f"{path}.{key}" if path else key
            )
        return converted
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _convert_dataclass(tp, data, path)
    if isinstance(tp, type) and hasattr(tp, "PLAIN_TYPE"):
        # A value class kept as the plain data of another type (the persistent map of
        # contributions, as a map): read as that type, then built from it.
        return tp(_convert(tp.PLAIN_TYPE, data, path))
    if isinstance(tp, type) and issubclass(tp, Enum):
        try:
            return tp(data)
        except ValueError:
            names = " or ".join(repr(member.value) for member in tp)
            raise PlainDataError(path, names, data) from None
    if tp is Any:
        return data
    if tp is float:
        # msgpack and JSON may carry a whole number as an int.
        if isinstance(data, int | float) and not isinstance(data, bool):
            return float(data)
        raise PlainDataError(path, "a number", data)
    if tp is int:
        if isinstance(data, int) and not isinstance(data, bool):
            return data
        raise PlainDataError(path, "a whole number", data)
    if tp in (str, bool):
        if type(data) is tp:
            return data
        raise PlainDataError(path, {str: "text", bool: "true or false"}[tp], data)
    raise TypeError(f"no plain-data conversion for {tp!r}")


def _convert_dataclass(cls: type, data: Any, path: str) -> Any:
    if not isinstance(data, dict):
        raise PlainDataError(path, "a map", data)
    hints = _hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        where = f"{path}.{unknown[0]}" if path else str(unknown[0])
        raise PlainDataError(where, "no such field", data[unknown[0]])
    values = {}
    for name, field in fields.items():
        where = f"{path}.{name}" if path else name
        if name in data:
            values[name] = _convert(hints[name], data[name], where)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise PlainDataError(where, "a value", None)
    return cls(**values)
