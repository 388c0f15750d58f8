"""The docs and catalogues stay true to the code."""

from __future__ import annotations

import re
from pathlib import Path

from room.domain.errors import Code
from room.domain.group import GroupCommand
from room.domain.session.commands import Command
from room.i18n import LANGUAGES, catalogue
from room.protocol import Close, WireError

ROOT = Path(__file__).resolve().parents[1]
PROTOCOL = (ROOT / "docs" / "protocol.md").read_text()
README = (ROOT / "README.md").read_text()


def test_every_setting_is_documented() -> None:
    """Each environment variable the settings read has a row in the README."""
    source = (ROOT / "room" / "settings.py").read_text()
    names = set(re.findall(r'env\.get\("([A-Z_]+)"', source))
    assert names >= {"PORT", "ROOM_DB", "SECRET_KEY", "REDIS_URL", "ROOM_ALLOWED_ORIGINS"}
    for name in names:
        assert f"`{name}`" in README, name


def test_readme_starts_with_the_two_commands() -> None:
    """The first code block is the run command and the test command."""
    block = README.split("```")[1]
    assert "make run" in block and "make test" in block
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_every_code_and_command_is_in_the_protocol_doc() -> None:
    """Error codes, close codes and command types are all documented."""
    for code in [*Code, *WireError]:
        assert f"`{code.value}`" in PROTOCOL, code
    for close in Close:
        assert f"| {close.value} |" in PROTOCOL, close
    for name in [*Command.registry, *GroupCommand.registry]:
        assert f"`{name}" in PROTOCOL, name


def test_catalogues_are_complete_and_say_every_error() -> None:
    """Every language has every key, and a message for every code a client can receive."""
    keys = {lang: set(catalogue(lang)) for lang in LANGUAGES}
    assert keys["fr"] == keys["en"]
    for code in [*Code, *WireError, "charter_required", "unauthorized", "forbidden_origin"]:
        value = code.value if isinstance(code, Code | WireError) else code
        assert f"error.{value}" in keys["fr"], value
