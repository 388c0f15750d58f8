"""A private redis-server for tests: its own port, its own directory, durable settings.

Never the Redis that may already listen on 6379. A test may stop it, kill it (SIGKILL)
and start it again on the same port and directory, as a crash and restart would.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import redis

from tests.running import free_port

REDIS_SERVER = shutil.which("redis-server")  # Debian's package redis-server: Redis 7.0
START_TIMEOUT = 10.0


class RedisServer:
    """``redis-server`` on 127.0.0.1, writing its data in ``root / "data"``."""

    def __init__(self, root: Path, *, cluster: bool = False, save: str = "") -> None:
        self.root = root  # holds the data directory, the log and the cluster's node file
        self.cluster = cluster  # one node serving every slot: refuses cross-slot commands
        self.save = save  # RDB snapshot schedule ("" for none), as in redis.conf
        self.port = free_port()  # kept across restarts
        # The cluster bus's port (by default port + 10,000, which may be out of range).
        self.bus_port = free_port() if cluster else None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def data_dir(self) -> Path:
        """Every file Redis writes its data to: the append-only files and any snapshot."""
        return self.root / "data"

    @property
    def log_path(self) -> Path:
        return self.root / "redis.log"

    def start(self) -> None:
        """Start on the same port and directory (loading what it holds); wait for PING."""
        assert REDIS_SERVER is not None, "redis-server is missing"
        assert self.process is None or self.process.poll() is not None, "already running"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        options = {
            "port": str(self.port),
            "bind": "127.0.0.1",
            "dir": str(self.data_dir),
            "logfile": str(self.log_path),
            "daemonize": "no",
            "appendonly": "yes",
            "appendfsync": "always",  # an acknowledged write is fsynced
            "save": self.save,
            # Uncompressed strings in the RDB base of the append-only file (and in
            # snapshots), so that a test reading the files finds any value left there.
            "rdbcompression": "no",
        }
        if self.cluster:
            options["cluster-enabled"] = "yes"
            options["cluster-config-file"] = str(self.root / "nodes.conf")
            options["cluster-port"] = str(self.bus_port)
        args = [REDIS_SERVER]
        for name, value in options.items():
            args += [f"--{name}", value]
        self.process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        """Block until it answers PING (and, as a cluster, serves every slot)."""
        deadline = time.monotonic() + START_TIMEOUT
        with self.client() as client:
            while True:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise RuntimeError(f"redis-server exited: {self._log_tail()}")
                try:
                    if client.ping() and (not self.cluster or self._cluster_ok(client)):
                        return
                except redis.exceptions.BusyLoadingError:
                    pass  # loading its files after a restart
                except redis.exceptions.ConnectionError:
                    pass  # not listening yet
                if time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not answer: {self._log_tail()}")
                time.sleep(0.01)

    def _cluster_ok(self, client: redis.Redis) -> bool:
        if b"cluster_state:ok" in client.execute_command("CLUSTER", "INFO"):
            return True
        if not client.execute_command("CLUSTER", "SLOTS"):  # a new node: give it every slot
            client.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)
        return False

    def client(self) -> redis.Redis:
        """A synchronous client, for the test's own checks."""
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def flush(self) -> None:
        """Delete every key, so that the next test starts on an empty server."""
        with self.client() as client:
            client.flushall()

    def stop(self) -> None:
        """SIGTERM: Redis flushes its append-only file and exits."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        """SIGKILL: no shutdown and no last write, as a crash would."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def close(self) -> None:
        """Stop the server and remove its data."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def _log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-2000:]
        except OSError:
            return "(no log)"
