"""HTML forms as commands: a form names its command type, its fields carry the rest.

One reader for every group form, typed by the command's own declaration, so a new
command needs a template and nothing here.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from typing import Any

from room.domain.errors import Code, DomainError
from room.domain.group import GroupCommand

_TRUE = ("1", "true", "on", "yes")


def group_plain(form: Mapping[str, str]) -> dict[str, Any]:
    """The plain data of the group command a form posts. Fields the command lacks are
    ignored (the form's own bookkeeping); typed ones are converted or refused."""
    kind = form.get("type", "")
    command = GroupCommand.registry.get(kind)
    if command is None:
        raise DomainError(Code.INVALID, field="type")
    hints = typing.get_type_hints(command)
    plain: dict[str, Any] = {"type": kind}
    for declared in dataclasses.fields(command):
        if declared.name not in form:
            continue
        value = form[declared.name]
        hint = hints[declared.name]
        if hint is int:
            try:
                plain[declared.name] = int(value)
            except ValueError:
                raise DomainError(Code.INVALID, field=declared.name) from None
        elif hint is bool:
            plain[declared.name] = value.strip().lower() in _TRUE
        elif hint == tuple[str, ...]:
            # One item per line, as a textarea gives them; blank lines are layout.
            plain[declared.name] = [line.strip() for line in value.splitlines() if line.strip()]
        else:
            plain[declared.name] = value
    return plain
