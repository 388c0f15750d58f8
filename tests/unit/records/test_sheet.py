"""The attendance sheet: a CSV file that French spreadsheets open as is, and safely."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest

from room.records.sheet import SheetLine, attendance_csv, safe

HEADERS = [
    "Nom",
    "Rôle",
    "Date",
    "Arrivée",
    "Départ",
    "Minutes",
    "Statut",
    "Note",
    "Confirmé par",
    "Confirmé le",
    "Confirmé par la personne le",
]


AICHA = SheetLine(
    name="Aïcha Traoré",
    role="membre",
    date="2025-03-12T14:00:00+01:00",
    arrived="2025-03-12T14:02:00+01:00",
    left="2025-03-12T16:30:00+01:00",
    minutes=148,
    status="présent·e",
    note="",
    confirmed_by="Nadia",
    confirmed_at="2025-03-12T16:35:00+01:00",
    self_confirmed_at="2025-03-12T16:40:00+01:00",
)
AICHA_ROW = [
    "Aïcha Traoré",
    "membre",
    "2025-03-12T14:00:00+01:00",
    "2025-03-12T14:02:00+01:00",
    "2025-03-12T16:30:00+01:00",
    "148",
    "présent·e",
    "",
    "Nadia",
    "2025-03-12T16:35:00+01:00",
    "2025-03-12T16:40:00+01:00",
]


def line(
    name: str = AICHA.name,
    *,
    arrived: str = AICHA.arrived,
    left: str = AICHA.left,
    minutes: int = AICHA.minutes,
) -> SheetLine:
    return replace(AICHA, name=name, arrived=arrived, left=left, minutes=minutes)


def sheet(*lines: SheetLine, group: str = "Groupe « Ça bouge »") -> bytes:
    return attendance_csv(group, "Séance 2 : naïveté", AICHA.date, HEADERS, lines)


def rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_the_file_is_utf8_with_a_bom_semicolons_and_crlf() -> None:
    """Excel needs the BOM to read UTF-8; the French locale separates cells with ';'."""
    data = sheet(line())
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert ";".join(AICHA_ROW) + "\r\n" in text


def test_the_sheet_opens_on_the_group_the_session_and_the_date_then_the_people() -> None:
    """A first block says which session it is; then the header row and a row per person."""
    assert rows(sheet(line(), line("François Müller", arrived="", left="", minutes=0))) == [
        ["Groupe « Ça bouge »"],
        ["Séance 2 : naïveté"],
        [AICHA.date],
        [],
        HEADERS,
        AICHA_ROW,
        ["François Müller", "membre", AICHA.date, "", "", "0", *AICHA_ROW[6:]],
    ]


def test_accents_and_guillemets_survive() -> None:
    """é, ï, ç and « » come back as they went in."""
    text = " ".join(cell for row in rows(sheet(line("Gaëlle Façon « Zoé »"))) for cell in row)
    for letters in ("é", "ï", "ç", "«", "»", "ë", "·"):
        assert letters in text


def test_a_formula_in_user_text_is_neutralised() -> None:
    """A name a spreadsheet would run as a formula gets a leading ' and stays text."""
    evil = '=HYPERLINK("http://x")'
    got = rows(sheet(line(evil), group="+cmd|' /C calc'!A0"))
    assert got[0] == ["'+cmd|' /C calc'!A0"]
    assert got[5][0] == "'" + evil


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised(start: str) -> None:
    """The OWASP list: =, +, -, @, tab and carriage return."""
    assert safe(start + "1+1") == "'" + start + "1+1"


def test_ordinary_text_is_left_alone() -> None:
    """Only the first character matters: a hyphen inside a name is not a formula."""
    assert safe("Jean-Pierre") == "Jean-Pierre"
    assert safe("") == ""


def test_a_name_with_separator_quotes_and_a_newline_round_trips() -> None:
    """Quoting keeps ';', '"' and a line break inside one cell."""
    awkward = 'Marie; dite "Mimi"\nde Lyon'
    assert rows(sheet(line(awkward)))[5][0] == awkward


def test_headers_must_name_every_column() -> None:
    """A header row shorter than the lines is a caller's mistake, said plainly."""
    with pytest.raises(ValueError, match="Expected 11 headers"):
        attendance_csv("g", "s", "d", HEADERS[:5], [line()])
