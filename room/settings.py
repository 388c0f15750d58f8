"""Settings from environment variables, twelve-factor style; README lists each one."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from room.mail.smtp import SmtpServer


class SettingsError(Exception):
    """A setting is missing or wrong; the message says which and what to do."""


@dataclass(frozen=True)
class Settings:
    db_path: Path  # ROOM_DB: the SQLite file of the embedded default
    secret_key: bytes  # SECRET_KEY: keys the hashes of link secrets
    redis_url: str | None  # REDIS_URL: the scale-out backend, when set
    allowed_origins: frozenset[str]  # ROOM_ALLOWED_ORIGINS: besides the app's own origin
    port: int  # PORT
    demo_url: str | None = None  # ROOM_DEMO: set by `room serve --demo` to the URL it prints
    smtp_url: str | None = None  # SMTP_URL: the server that sends e-mail; None: nothing is sent
    mail_from: str = ""  # MAIL_FROM: the address messages come from (required with SMTP_URL)
    # PRIVACY_CONTROLLER and PRIVACY_CONTACT: who is responsible for the data, and how to
    # reach them (their data-protection officer), in every information notice; empty,
    # the notice says the organiser must set them.
    privacy_controller: str = ""
    privacy_contact: str = ""
    # LINK_UNUSED_DAYS: a link never opened this many days after it was made no longer
    # opens (a forgotten e-mail is not a key for ever); one opened keeps working.
    link_unused_days: int = 30

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        db_path = Path(env.get("ROOM_DB") or "data/room.db")
        redis_url = env.get("REDIS_URL") or None
        key = env.get("SECRET_KEY")
        if redis_url is not None and not key:
            raise SettingsError(
                "REDIS_URL is set but SECRET_KEY is not: every worker must hash invitation "
                "links with the same key. Set SECRET_KEY to one long random string, the "
                "same for all workers and machines (e.g. `python -c 'import secrets; "
                "print(secrets.token_hex(32))'`)."
            )
        secret_key = key.encode() if key else _kept_secret_key(db_path.parent)
        origins = frozenset(
            origin.strip().rstrip("/")
            for origin in (env.get("ROOM_ALLOWED_ORIGINS") or "").split(",")
            if origin.strip()
        )
        try:
            port = int(env.get("PORT") or 8000)
        except ValueError:
            raise SettingsError(f"PORT must be a number, not {env.get('PORT')!r}") from None
        demo_url = env.get("ROOM_DEMO") or None
        smtp_url, mail_from = _mail_settings(env)
        return cls(
            db_path,
            secret_key,
            redis_url,
            origins,
            port,
            demo_url,
            smtp_url,
            mail_from,
            privacy_controller=(env.get("PRIVACY_CONTROLLER") or "").strip(),
            privacy_contact=(env.get("PRIVACY_CONTACT") or "").strip(),
            link_unused_days=_days(env.get("LINK_UNUSED_DAYS") or "30"),
        )

    @property
    def store_url(self) -> str:
        return self.redis_url or f"sqlite:///{self.db_path}"


def _days(value: str) -> int:
    """LINK_UNUSED_DAYS: a whole number of days, at least one."""
    try:
        days = int(value)
    except ValueError:
        days = 0
    if days < 1:
        raise SettingsError(
            f"LINK_UNUSED_DAYS must be a whole number of days, 1 or more, not {value!r}"
        )
    return days


def _mail_settings(env: Mapping[str, str]) -> tuple[str | None, str]:
    """SMTP_URL, checked, and MAIL_FROM, required with it."""
    smtp_url = env.get("SMTP_URL") or None
    mail_from = (env.get("MAIL_FROM") or "").strip()
    if smtp_url is None:
        return None, mail_from
    try:
        SmtpServer.from_url(smtp_url)
    except ValueError as error:
        raise SettingsError(str(error)) from None
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", mail_from):
        raise SettingsError(
            "SMTP_URL is set, so MAIL_FROM must be the address messages come from "
            f"(e.g. codev@example.org), but got {mail_from!r}"
        )
    return smtp_url, mail_from


def _kept_secret_key(directory: Path) -> bytes:
    """A key generated once and kept beside the database, readable by its owner only."""
    path = directory / "secret_key"
    if path.exists():
        return path.read_bytes().strip()
    directory.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(key)
    return key
