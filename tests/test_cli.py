"""The ``room`` command and the settings it reads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from room.i18n import message, negotiate
from room.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[1]


def _room(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "room", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
    )


def test_several_workers_without_a_shared_store_are_refused(tmp_path: Path) -> None:
    """``--workers 2`` on SQLite exits with a message saying why, before serving."""
    done = _room("serve", "--workers", "2", "--db", str(tmp_path / "r.db"))
    assert done.returncode == 2
    assert "REDIS_URL" in done.stderr and "one process" in done.stderr


def test_redis_url_without_a_shared_secret_key_is_refused(tmp_path: Path) -> None:
    """Workers on Redis must hash links with one key: without SECRET_KEY, no start."""
    done = _room("serve", "--db", str(tmp_path / "r.db"), env={"REDIS_URL": "redis://x"})
    assert done.returncode == 2 and "SECRET_KEY" in done.stderr


def test_redis_url_with_a_secret_key_selects_the_redis_store() -> None:
    settings = Settings.from_env({"REDIS_URL": "redis://h:6380/1", "SECRET_KEY": "k" * 64})
    assert settings.store_url == "redis://h:6380/1" and settings.secret_key == b"k" * 64


def test_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    """Without SECRET_KEY, one is made beside the database, readable by its owner only."""
    env = {"ROOM_DB": str(tmp_path / "data" / "room.db")}
    first, second = Settings.from_env(env), Settings.from_env(env)
    assert first.secret_key == second.secret_key and len(first.secret_key) == 64
    assert (tmp_path / "data" / "secret_key").stat().st_mode & 0o077 == 0


def test_a_bad_port_is_a_clear_error() -> None:
    with pytest.raises(SettingsError, match="PORT"):
        Settings.from_env({"PORT": "eighty", "SECRET_KEY": "k"})


def test_privacy_settings_are_read_and_a_bad_link_age_is_a_clear_error() -> None:
    """PRIVACY_CONTROLLER and PRIVACY_CONTACT are read as given (unset: empty, and the
    notices say so); LINK_UNUSED_DAYS is 30 by default, a whole number of days else."""
    env = {"SECRET_KEY": "k", "PRIVACY_CONTROLLER": " Métropole ", "PRIVACY_CONTACT": "dpo@x.fr"}
    settings = Settings.from_env({**env, "LINK_UNUSED_DAYS": "14"})
    assert (settings.privacy_controller, settings.privacy_contact) == ("Métropole", "dpo@x.fr")
    assert settings.link_unused_days == 14
    assert Settings.from_env({"SECRET_KEY": "k"}).link_unused_days == 30
    for bad in ("0", "-3", "two weeks", "1.5"):
        with pytest.raises(SettingsError, match="LINK_UNUSED_DAYS"):
            Settings.from_env({"SECRET_KEY": "k", "LINK_UNUSED_DAYS": bad})


def test_language_comes_from_accept_language_french_first() -> None:
    """English when the browser prefers it; French otherwise."""
    assert negotiate("en-GB,en;q=0.9") == "en"
    assert negotiate("de-DE,de;q=0.9") == "fr"
    assert negotiate("de, en;q=0.5, fr;q=0.8") == "fr"
    assert negotiate(None) == "fr"
    assert message("en", "error.invalid", field="title") == "Some information is not valid (title)."
