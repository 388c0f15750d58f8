"""A session's attendance sheet for the funder, as a CSV file a spreadsheet opens as is.

French Excel and LibreOffice both read it without an import dialog: UTF-8 with a BOM
(without it, Excel reads the accents as Windows-1252), ``;`` between cells (the French
locale's list separator, since ``,`` is its decimal mark) and CRLF line ends. There is
no ``sep=;`` line: Excel then ignores the BOM. Every cell is text the caller has already
translated and formatted; this module only lays it out and makes it safe to open.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

# What ``headers`` name: one row per person, everything a funder asks of it.
COLUMNS = (
    "name",
    "role",
    "date",
    "arrived",
    "left",
    "minutes",
    "status",
    "note",
    "confirmed_by",
    "confirmed_at",
    "self_confirmed_at",
)

# A cell starting with one of these is a formula to a spreadsheet (OWASP, "CSV Injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, kw_only=True)
class SheetLine:
    """One person on the sheet, already translated and formatted by the caller; moments
    in ISO 8601 with their offset, empty when they did not happen."""

    name: str
    role: str
    date: str  # the session's start
    arrived: str
    left: str
    minutes: int
    status: str  # présent·e, absent·e, excusé·e
    note: str  # the facilitator's note
    confirmed_by: str  # the facilitator who confirmed the status, if one did
    confirmed_at: str
    self_confirmed_at: str  # when the person confirmed, from their own link


def attendance_csv(
    group: str, session: str, date: str, headers: Sequence[str], lines: Sequence[SheetLine]
) -> bytes:
    """The sheet: the group, the session's title and its date, one per row; an empty row;
    then ``headers`` (one per name in ``COLUMNS``) and a row per person."""
    if len(headers) != len(COLUMNS):
        raise ValueError(f"Expected {len(COLUMNS)} headers {COLUMNS}, but got {len(headers)}")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerows([[safe(group)], [safe(session)], [safe(date)], []])
    writer.writerow([safe(header) for header in headers])
    for line in lines:
        cells = [getattr(line, column) for column in COLUMNS]
        writer.writerow([cell if isinstance(cell, int) else safe(cell) for cell in cells])
    return out.getvalue().encode("utf-8-sig")


def safe(cell: str) -> str:
    """The cell, with a leading ``'`` if a spreadsheet would take it for a formula."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell
