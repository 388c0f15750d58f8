"""Dates as a person reads them, in each language, by the locale's own formats."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from room.i18n import moment_date, moment_time, planned_date


def test_a_planned_session_reads_as_a_day_and_a_time_in_each_language() -> None:
    assert planned_date("fr", "2027-01-12T14:00") == "mardi 12 janvier 2027 à 14:00"
    assert planned_date("en", "2027-01-12T14:00") == "Tuesday, January 12, 2027 at 2:00\u202fPM"
    # French writes the first of the month as an ordinal; English never abbreviates it so.
    assert planned_date("fr", "2027-06-01T09:30") == "mardi 1er juin 2027 à 09:30"
    assert planned_date("en", "2027-06-01T09:30") == "Tuesday, June 1, 2027 at 9:30\u202fAM"
    assert planned_date("de", "2027-06-01T09:30") == planned_date("fr", "2027-06-01T09:30")


def test_what_is_no_date_is_shown_as_it_is() -> None:
    assert planned_date("fr", "bientôt") == "bientôt"


def test_a_moment_reads_on_the_group_s_wall_clock() -> None:
    moment = datetime(2027, 7, 14, 12, 5, tzinfo=ZoneInfo("UTC")).timestamp()
    assert moment_date("fr", moment, "Europe/Paris") == "mercredi 14 juillet 2027 à 14:05"
    assert moment_date("en", moment, "America/New_York") == (
        "Wednesday, July 14, 2027 at 8:05\u202fAM"
    )
    assert moment_date("fr", moment, "Nowhere/Atlantis") == "mercredi 14 juillet 2027 à 12:05"
    assert (moment_time("fr", moment, "Europe/Paris"), moment_time("en", moment, "UTC")) == (
        "14:05",
        "12:05\u202fPM",
    )
