"""Commands `scripts/run` uses: the first admin, and an embedded Redis that the run owns."""

from __future__ import annotations

import logging
import signal

import click
import redis
from flask import current_app

from ..redis_server import redis_url_for
from ..services import users

log = logging.getLogger(__name__)
FIRST_ADMIN = "admin@localhost"


@click.command("first-admin")
@click.option("--url", default="http://127.0.0.1:5000/", help="Where the inbox will be, for the message.")
def first_admin(url: str) -> None:
    """When nobody can sign in yet, create an admin and show its one-time password once."""
    if users.any_users():
        return
    user, password = users.create_user(FIRST_ADMIN, admin=True)
    click.echo(f"Created the first admin: sign in at {url} as {user.email} with password {password}")
    click.echo("(shown once; add people with `flask --app wsgi user create EMAIL [--admin] [--mailbox ID]`)")


@click.command("embedded-redis")
def embedded_redis() -> None:
    """Run the embedded Redis (instance/redis.sock) until SIGTERM or Ctrl-C, then shut it down.

    The web processes and the worker would start it on first use, but whichever did would leave its
    redis-server running after the others stopped; this process owns it instead.
    """
    if current_app.config.get("REDIS_URL"):
        raise click.UsageError("REDIS_URL is set: there is no embedded Redis to run")
    url = redis_url_for(current_app.config, current_app.instance_path)
    stopping: list[int] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, _frame: stopping.append(number))
    while not stopping:
        signal.pause()
    try:
        redis.Redis.from_url(url, socket_timeout=10).shutdown(save=True)
    except (redis.RedisError, OSError) as exc:
        log.warning("embedded Redis at %s did not shut down cleanly: %s", url, exc)
    click.echo("voicebox: embedded Redis stopped")
