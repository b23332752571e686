"""Fault tests: real processes (`flask worker`, redis-server) killed and started again mid-work."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.servers import RedisServer


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    """A private redis-server this test may kill and start again (empty)."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()
