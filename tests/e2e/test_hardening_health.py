"""/_mallard/health and /_localstack/health tell the truth about the backends: a Redis that goes
away, or refuses the password, shows as unavailable (with a reason, never the password) within a
few seconds, the top-level status turns "degraded", and it recovers when Redis is back. The
endpoints answer from a cached state, so they stay fast while Redis is down or hung."""

from __future__ import annotations

import time

import pytest

from conftest import http_request, start_server, stop_server
from redis_e2e import RedisServer

WRONG_PASSWORD = "wr0ng-pa55word-e2e"


@pytest.fixture
def redis():
    server = RedisServer().start()
    yield server
    server.stop()


def health(port: int, path: str = "/_mallard/health") -> tuple[dict, float]:
    started = time.monotonic()
    response = http_request(port, "GET", path, timeout=5)
    took = time.monotonic() - started
    assert response.status == 200, response.body[:500]
    return response.json(), took


def wait_for(port: int, predicate, timeout: float = 8.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body, took = health(port)
        assert took < 0.5, f"health took {took:.2f}s"
        if predicate(body):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"health did not change within {timeout}s: {body}")
        time.sleep(0.1)


def all_running(body: dict) -> bool:
    return body["status"] == "running" and all(s["status"] == "running" for s in body["services"].values())


def test_redis_going_away_and_coming_back(tmp_path, redis):
    server = start_server(tmp_path / "mallard.log", ["--backend-sqs", redis.url("h1:"),
                                                     "--backend-dynamodb", redis.url("h1:")])
    try:
        body = wait_for(server.port, all_running)
        assert body["services"]["sqs"]["backend"] == "redis"
        redis.kill()
        body = wait_for(server.port, lambda b: b["status"] == "degraded")
        for name in ("sqs", "dynamodb", "dynamodbstreams"):
            assert body["services"][name]["status"] == "unavailable", body
            assert f"127.0.0.1:{redis.port}" in body["services"][name]["reason"]
        # Services without a remote backend are unaffected.
        assert body["services"]["sts"]["status"] == "running"
        assert "reason" not in body["services"]["sts"]
        localstack, took = health(server.port, "/_localstack/health")
        assert took < 0.5
        assert localstack["services"]["sqs"] == "error"
        assert localstack["services"]["sts"] == "running"
        # Fast every time, not just once, while Redis is down.
        for _ in range(10):
            _, took = health(server.port)
            assert took < 0.5
        redis.start()
        wait_for(server.port, all_running)
        localstack, _ = health(server.port, "/_localstack/health")
        assert localstack["services"]["sqs"] == "running"
    finally:
        stop_server(server)


def test_hung_redis_does_not_slow_health(tmp_path, redis):
    server = start_server(tmp_path / "mallard.log", ["--backend-sqs", redis.url("h2:")])
    try:
        wait_for(server.port, all_running)
        redis.pause()
        try:
            body = wait_for(server.port, lambda b: b["services"]["sqs"]["status"] == "unavailable")
            assert body["status"] == "degraded"
        finally:
            redis.resume()
        wait_for(server.port, all_running)
    finally:
        stop_server(server)


@pytest.mark.parametrize("credentials", [f":{WRONG_PASSWORD}@", ""], ids=["wrong-password", "no-password"])
def test_redis_refusing_the_password(tmp_path, redis, credentials):
    redis.cli("CONFIG", "SET", "requirepass", "right-password")
    url = f"redis://{credentials}127.0.0.1:{redis.port}/0?prefix=h3:"
    server = start_server(tmp_path / "mallard.log", ["--backend-sqs", url])
    try:
        body = wait_for(server.port, lambda b: b["services"]["sqs"]["status"] == "unavailable")
        assert body["status"] == "degraded"
        reason = body["services"]["sqs"]["reason"]
        assert "WRONGPASS" in reason or "NOAUTH" in reason or "invalid" in reason, reason
        assert WRONG_PASSWORD not in str(body)
        redis.cli("-a", "right-password", "--no-auth-warning", "CONFIG", "SET", "requirepass", "")
        # With the wrong password AUTH is refused even once requirepass is off (Redis 6+ says
        # "AUTH called without any password configured"), so only the no-password server recovers.
        if not credentials:
            wait_for(server.port, all_running)
    finally:
        stop_server(server)
    # The harness writes the command line ("$ mallard serve …") into the log first; the server's own lines follow.
    server_lines = [line for line in server.log_text().splitlines() if not line.startswith("$ ")]
    assert server_lines
    assert WRONG_PASSWORD not in "\n".join(server_lines)
