"""The shared base of commands and events: a type name and a registry per family."""

from __future__ import annotations

import builtins
from typing import Any, ClassVar, Self

from room.domain.plain import PlainDataError, from_plain, to_plain


class Message:
    """A dataclass that travels as a plain map with a "type" field."""

    type: ClassVar[str]
    registry: ClassVar[dict[str, builtins.type[Any]]]

    def __init_subclass__(cls, family: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if family:
            cls.registry = {}
        elif "type" in cls.__dict__:
            cls.registry[cls.type] = cls

    def to_plain(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type}
        data.update(to_plain(self))
        return data

    @classmethod
    def from_plain(cls, data: Any) -> Self:
        if not isinstance(data, dict):
            raise PlainDataError("", "a map", data)
        name = data.get("type")
        message_class = cls.registry.get(name) if isinstance(name, str) else None
        if message_class is None:
            raise PlainDataError("type", "a known type", name)
        fields = {key: value for key, value in data.items() if key != "type"}
        message: Self = from_plain(message_class, fields)
        return message
