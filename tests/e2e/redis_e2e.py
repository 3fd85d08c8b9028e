"""A throw-away redis-server for end-to-end tests (Debian's redis-server package), on a free loopback
port, configured as the Redis backends are meant to run: AOF on, fsync on every write, no RDB."""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import free_port


class RedisServer:
    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server not found (apt install redis-server)", pytrace=False)
        self.binary = binary
        self.dir = Path(tempfile.mkdtemp(prefix="mallard-redis-"))
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> "RedisServer":
        """Starts the server (again, on the same port and data directory) and waits until it answers."""
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
             "--appendfsync", "always", "--dir", str(self.dir), "--logfile", str(self.dir / "redis.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"redis-server exited with {self.proc.returncode}:\n{self.log_text()}", pytrace=False)
            if self.cli("PING", check=False) == "PONG":
                return self
            time.sleep(0.05)
        pytest.fail(f"redis-server did not answer within 15 s:\n{self.log_text()}", pytrace=False)

    def kill(self) -> None:
        """Stops the server abruptly (SIGKILL): whatever it acknowledged is in its append-only file."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        try:
            self.kill()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, prefix: str = "", database: int = 0, **parameters: int | str) -> str:
        """redis://127.0.0.1:PORT/DB?prefix=...&NAME=VALUE (pool, timeout_ms, connect_timeout_ms)."""
        if prefix:
            parameters = {"prefix": prefix, **parameters}
        query = "&".join(f"{name}={value}" for name, value in parameters.items())
        return f"redis://127.0.0.1:{self.port}/{database}" + (f"?{query}" if query else "")

    def pause(self) -> None:
        """SIGSTOP: the server keeps its connections but answers nothing (a hung Redis)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def cli(self, *args: str, check: bool = True) -> str:
        result = subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True, timeout=30)
        if check and result.returncode != 0:
            raise AssertionError(f"redis-cli {' '.join(args)} failed: {result.stderr}")
        return result.stdout.strip()

    def log_text(self) -> str:
        log = self.dir / "redis.log"
        return log.read_text(errors="replace")[-5000:] if log.exists() else ""


def unique_prefix() -> str:
    """A key prefix of its own for one test, so tests sharing the module's Redis never meet."""
    import uuid
    return f"e2e-{uuid.uuid4().hex[:8]}:"


def boto_client(service: str, handle, read_timeout: float = 20, retries: int = 1):
    """boto3 client for one server; without retries by default, so every 5xx reaches the test."""
    import boto3
    from botocore.config import Config

    from sqs_e2e import ACCESS_KEY, REGION, SECRET_KEY
    return boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                                 region_name=REGION).client(
        service, endpoint_url=handle.endpoint,
        config=Config(retries={"max_attempts": retries, "mode": "standard"}, connect_timeout=5,
                      read_timeout=read_timeout, max_pool_connections=20))


def serve_on_redis(tmp_path, redis_server: RedisServer, backend_option: str):
    """Generator for a `start_mallard(prefix, **url parameters)` fixture: starts `mallard serve`
    processes with `backend_option` on the module's Redis, and checks each stops cleanly."""
    from conftest import start_server, stop_server
    started = []

    def start(key_prefix: str, **parameters):
        handle = start_server(tmp_path / f"mallard-{len(started)}.log",
                              [backend_option, redis_server.url(key_prefix, **parameters)])
        started.append(handle)
        return handle

    yield start
    for handle in started:
        if handle.proc.poll() is None:
            rc, _ = stop_server(handle)
            assert rc == 0, f"mallard did not stop cleanly\n{handle.log_text()[-3000:]}"


@pytest.fixture(scope="module")
def redis_server():
    """A redis-server of the module's own (AOF, fsync on every write) on a free loopback port."""
    server = RedisServer().start()
    yield server
    server.stop()


def kill_9_under_load(victim, load, workers: int = 4, after: float = 1.5) -> None:
    """Runs `load(worker, stop)` on `workers` threads against `victim`, kills the server with SIGKILL
    after `after` seconds, then stops and joins the threads."""
    import threading
    stop = threading.Event()
    threads = [threading.Thread(target=load, args=(w, stop)) for w in range(workers)]
    for thread in threads:
        thread.start()
    time.sleep(after)
    victim.proc.send_signal(signal.SIGKILL)
    victim.proc.wait(10)
    stop.set()
    for thread in threads:
        thread.join(30)


def expect_5xx_while_redis_down(redis_server: "RedisServer", calls, error_codes: tuple[str, ...]) -> None:
    """Kills Redis, checks that each `call()` fails promptly with a 5xx AWS error of `error_codes`,
    then starts Redis again (also when a check fails)."""
    from botocore.exceptions import ClientError
    redis_server.kill()
    try:
        for call in calls:
            started = time.monotonic()
            with pytest.raises(ClientError) as failure:
                call()
            status = failure.value.response["ResponseMetadata"]["HTTPStatusCode"]
            assert 500 <= status < 600, failure.value.response
            assert failure.value.response["Error"]["Code"] in error_codes
            assert time.monotonic() - started < 5, "a request hung while Redis was down"
    finally:
        redis_server.start()
