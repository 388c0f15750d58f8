"""The catalogues: one complete file per language, French first; and dates as a
person of that language reads them.

Templates, the browser and error frames all read the same files, so a message is
written once per language. A test checks that every catalogue has every key. Dates go
through the locale's own formats (Babel's CLDR data), never a hand-written pattern:
"mardi 12 janvier 2027 à 14:00", "Tuesday, January 12, 2027 at 2:00 PM". Files for
machines (CSV, iCalendar, JSON) keep ISO 8601 and do not come here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time

from room.domain.text import LANGUAGES as LANGUAGES  # the domain's, re-exported

DEFAULT_LANGUAGE = "fr"
CHARTER_VERSION = 1  # of the flyer's rules in the catalogues; bump when their text changes


@cache
def catalogue(lang: str) -> dict[str, Any]:
    text = resources.files("room.catalogue").joinpath(f"{lang}.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def message(lang: str, key: str, **params: Any) -> str:
    """The text for ``key``; a missing parameter leaves its placeholder rather than failing."""
    text = catalogue(lang if lang in LANGUAGES else DEFAULT_LANGUAGE).get(key, key)
    if not isinstance(text, str):
        return key
    return fill(text, params)


def fill(text: str, params: Mapping[str, Any]) -> str:
    """A catalogue sentence with its placeholders filled, French elision applied; a
    missing parameter leaves its placeholder."""
    return elide(text, params).format_map(_Lenient(params))


# French elides "de" and "que" before a vowel: "la question d'Alice", "en tant
# qu'animateur·rice". A name is not known when the sentence is written, so the
# catalogue says "de {name}" and the rule applies once the name is. (An initial h is
# left alone: it is mute in some names and aspirated in others.) static/room/i18n.js
# applies the same rule in the browser.
_ELIDABLE = re.compile(r"\b([Dd]e|[Qq]ue|[Jj]usque|[Ll]orsque|[Pp]uisque) \{(\w+)\}")
_VOWEL = re.compile(r"[aeiouyàâäéèêëîïôöûüùæœ]", re.IGNORECASE)


def elide(text: str, params: Mapping[str, Any]) -> str:
    """``text`` with "de {x}" made "d'{x}" (and so on) where the value of x begins with
    a vowel."""

    def one(found: re.Match[str]) -> str:
        word, name = found.groups()
        value = str(params.get(name, ""))
        if not _VOWEL.match(value[:1]):
            return found.group(0)
        return f"{word[:-1]}'{{{name}}}"

    return _ELIDABLE.sub(one, text)


def error_message(lang: str, code: str, params: dict[str, Any]) -> str:
    """A refusal in plain words: the most specific wording the catalogue has —
    ``error.invalid.<field>.<reason>``, ``error.invalid.<field>``,
    ``error.conflict.<what>`` — else the code's."""
    detail = params.get("field") if code == "invalid" else params.get("what")
    if isinstance(detail, str):
        known = catalogue(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)
        reason = params.get("reason")
        for specific in (f"error.{code}.{detail}.{reason}", f"error.{code}.{detail}"):
            if specific in known:
                return message(lang, specific, **params)
    return message(lang, f"error.{code}", **params)


def negotiate(accept_language: str | None) -> str:
    """The first supported language of an Accept-Language header, else French."""
    best, best_q = DEFAULT_LANGUAGE, -1.0
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, q = part.strip().partition(";q=")
        lang = tag.split("-")[0].lower()
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            continue
        weight -= position * 1e-6  # equal weights: the first listed wins
        if lang in LANGUAGES and weight > best_q:
            best, best_q = lang, weight
    return best


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def local_date(lang: str, local: datetime) -> str:
    """A wall-clock moment in words: the day in full, then the time of day."""
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    # CLDR has no ordinals: French writes the first of the month "1er", the rest plain.
    full = "EEEE d'er' MMMM y" if lang == "fr" and local.day == 1 else "full"
    day = format_date(local, full, locale=lang)
    hour = format_time(local, "short", locale=lang)
    return message(lang, "date.at", date=day, time=hour)


def planned_date(lang: str, planned: str) -> str:
    """A session's planned "YYYY-MM-DDTHH:MM" (the group's wall clock) in words; as it is
    if it is no such date."""
    try:
        return local_date(lang, datetime.fromisoformat(planned))
    except ValueError:
        return planned


def moment_date(lang: str, moment: float, time_zone: str) -> str:
    """A server timestamp in words, on the wall clock of ``time_zone`` (UTC if unknown)."""
    return local_date(lang, _wall_clock(moment, time_zone))


def moment_time(lang: str, moment: float, time_zone: str) -> str:
    """Only the time of day of a server timestamp, as the language writes it."""
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    return format_time(_wall_clock(moment, time_zone), "short", locale=lang)


def _wall_clock(moment: float, time_zone: str) -> datetime:
    try:
        zone: tzinfo = ZoneInfo(time_zone)
    except (ValueError, ZoneInfoNotFoundError):
        zone = UTC
    return datetime.fromtimestamp(moment, zone)
