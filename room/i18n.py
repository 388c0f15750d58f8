"""The catalogues: one complete file per language, French first.

Templates, the browser and error frames all read the same files, so a message is
written once per language. A test checks that every catalogue has every key.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES = ("fr", "en")
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
    return text.format_map(_Lenient(params))


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
