"""Keep link secrets out of the logs: the access log would otherwise record /j/SECRET."""

from __future__ import annotations

import logging
import re

_LINK = re.compile(r"^/j/[^/?#]+")


class RedactLinks(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _LINK.sub("/j/…", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


def install() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactLinks) for f in access.filters):
        access.addFilter(RedactLinks())
