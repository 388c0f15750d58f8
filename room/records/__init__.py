"""What the product hands over, built from state and never kept apart: the session's
record (``session.py``), the cycle's calendar (``ical.py``), the attendance sheet
(``sheet.py``)."""
