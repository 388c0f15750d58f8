"""``room backup`` and ``room restore`` on a real server's SQLite file: a copy taken
while it serves, refused while it runs, put back once it stopped."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import httpx

from tests.running import ROOT, ServerProcess


def room(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "room", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )


def create(server: ServerProcess, title: str) -> tuple[str, dict[str, str]]:
    """A new session, its charter accepted; its id and its facilitator's credentials."""
    created = httpx.post(f"{server.url}/api/sessions", json={"title": title, "name": "Nadia"})
    assert created.status_code == 201, created.text
    body = created.json()
    auth = {"Authorization": f"Bearer {body['link'].rsplit('/', 1)[1]}"}
    charter = f"{server.url}/api/sessions/{body['session']}/charter"
    assert httpx.post(charter, json={"version": 1}, headers=auth).status_code == 204
    return body["session"], auth


def test_a_copy_taken_while_serving_is_put_back_once_the_server_stopped(
    tmp_path: Path,
) -> None:
    """The copy holds the session made before it, not the one after; restoring it is
    refused while the server runs, and once it stopped brings the store back to the
    copy: the first session opens again, the second is gone."""
    server = ServerProcess(tmp_path)
    server.start()
    copy = tmp_path / "copies" / "room-copy.db"
    copy.parent.mkdir()
    try:
        before, before_auth = create(server, "Avant la copie")
        taken = room("backup", str(copy), "--db", str(server.db_path))
        assert taken.returncode == 0, taken.stderr
        after, after_auth = create(server, "Après la copie")
        refused = room("restore", str(copy), "--db", str(server.db_path))
        assert refused.returncode == 2 and "stop the server" in refused.stderr
        again = room("backup", str(copy), "--db", str(server.db_path))
        assert again.returncode == 2 and "already exists" in again.stderr
    finally:
        server.stop()

    restored = room("restore", str(copy), "--db", str(server.db_path))
    assert restored.returncode == 0, restored.stderr
    server.start()
    try:
        kept = httpx.get(f"{server.url}/api/sessions/{before}", headers=before_auth)
        assert kept.status_code == 200 and kept.json()["state"]["title"] == "Avant la copie"
        gone = httpx.get(f"{server.url}/api/sessions/{after}", headers=after_auth)
        assert gone.status_code in (401, 403, 404), gone.text
    finally:
        server.stop()


def test_restore_refuses_a_file_that_is_no_codev_room_store(tmp_path: Path) -> None:
    """Neither a text file nor another program's SQLite database replaces the store;
    the store's file is left as it was (here: not even created)."""
    text = tmp_path / "notes.txt"
    text.write_text("pas une base")
    other = tmp_path / "other.db"
    with closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE t (x)")
    database = tmp_path / "room.db"
    for wrong in (text, other):
        done = room("restore", str(wrong), "--db", str(database))
        assert done.returncode == 2 and "not a Codev Room database" in done.stderr, done.stderr
    assert not database.exists()
