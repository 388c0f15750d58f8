"""The access export reports every kind of fact the logs can hold about a person."""

from __future__ import annotations

import dataclasses
import typing

from room.domain.group import GroupEvent
from room.domain.session.events import Event as SessionEvent
from room.records.access import PERSON_FIELDS, SECTIONS, reported_kinds


def _names_a_person(event: type[object]) -> bool:
    """Whether an event class has a field that holds a person's id, or carries a record
    that has one (a contribution's author)."""
    hints = typing.get_type_hints(event)
    for field in dataclasses.fields(event):  # type: ignore[arg-type]
        if field.name in PERSON_FIELDS:
            return True
        carried = hints[field.name]
        if dataclasses.is_dataclass(carried):
            if any(f.name in PERSON_FIELDS for f in dataclasses.fields(carried)):
                return True
    return False


def test_every_event_kind_that_names_a_person_is_reported_by_a_section() -> None:
    """Derived from the domain's event classes: a new kind that names a person fails
    here until a section of the export reports it."""
    kinds = {
        kind
        for registry in (GroupEvent.registry, SessionEvent.registry)
        for kind, event in registry.items()
        if _names_a_person(event)
    }
    assert kinds  # every event names who caused it
    missing = sorted(kinds - reported_kinds())
    assert missing == [], f"no section of room.records.access reports {missing}"


def test_each_kind_is_reported_by_one_section_only() -> None:
    """One kind, one place: the completeness test reads the section a kind belongs to."""
    seen: dict[str, str] = {}
    for section in SECTIONS:
        for kind in section.kinds:
            assert kind not in seen, f"{kind} in {seen.get(kind)} and {section.key}"
            seen[kind] = section.key
