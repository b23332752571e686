"""`flask --app wsgi sms send|schedule|cancel|list`: the same service calls as /api/messages."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup
from pydantic import ValidationError

from .errors import from_validation_error
from .jobs import messages as jobs
from .schemas.messages import MessageIn, MessageOut
from .services import delivery
from .services import messages as service

sms_cli = AppGroup("sms", help="Send, schedule, cancel and list texts.")


def _create(**fields) -> None:
    fields = {k: v for k, v in fields.items() if v is not None}
    try:
        message = service.create_message(MessageIn(**fields))
    except ValidationError as exc:
        raise click.UsageError(from_validation_error(exc).message) from exc
    except service.InvalidInput as exc:
        raise click.UsageError(str(exc)) from exc
    except service.NotConfigured as exc:
        raise click.ClickException(str(exc)) from exc
    jobs.kick(message.id)  # in this session, so `message` reloads what delivery committed
    click.echo(f"message {message.id}: {message.status}" + (f" ({message.twilio_sid})" if message.twilio_sid else ""))
    if message.error_message:
        click.echo(f"error {message.error_code}: {message.error_message}", err=True)


@sms_cli.command("send")
@click.option("--to", required=True, help="The recipient, E.164.")
@click.option("--body", required=True)
@click.option("--media", "media_urls", multiple=True, help="A media URL (repeatable, up to 10).")
def sms_send(to: str, body: str, media_urls: tuple[str, ...]) -> None:
    """Send a text now."""
    _create(to=to, body=body, media_urls=list(media_urls))


@sms_cli.command("schedule")
@click.option("--to", required=True, help="The recipient, E.164.")
@click.option("--body", required=True)
@click.option("--at", "send_at", required=True, help="ISO-8601, with an offset or with --timezone.")
@click.option("--timezone", help="IANA zone for a --at without an offset, e.g. America/New_York.")
@click.option("--media", "media_urls", multiple=True, help="A media URL (repeatable, up to 10).")
def sms_schedule(to: str, body: str, send_at: str, timezone: str | None, media_urls: tuple[str, ...]) -> None:
    """Schedule a text."""
    _create(to=to, body=body, send_at=send_at, timezone=timezone, media_urls=list(media_urls))


@sms_cli.command("cancel")
@click.argument("message_id", type=int)
def sms_cancel(message_id: int) -> None:
    """Cancel a text that has not gone out yet."""
    message = service.get_message(message_id)
    if message is None:
        raise click.UsageError(f"no message {message_id}")
    try:
        result = delivery.cancel(message)
    except (delivery.NotCancelable, delivery.TwilioRefused) as exc:
        raise click.ClickException(str(exc)) from exc
    if result.retry_at is not None:
        jobs.schedule(message.id, result.retry_at)
    outcome = "canceled" if result.canceled else "cancel requested; a worker finishes it"
    click.echo(f"message {message_id}: {outcome}")


@sms_cli.command("list")
@click.option("--status")
@click.option("--to")
@click.option("--sequence", "sequence_id", type=int)
@click.option("--limit", type=click.IntRange(1, 500), default=100)
@click.option("--json", "as_json", is_flag=True)
def sms_list(status: str | None, to: str | None, sequence_id: int | None, limit: int, as_json: bool) -> None:
    """List texts, newest first."""
    try:
        rows = [
            MessageOut.model_validate(m).model_dump(mode="json")
            for m in service.list_messages(status, to, sequence_id, limit)
        ]
    except service.InvalidInput as exc:
        raise click.UsageError(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for m in rows:
        click.echo(f"{m['id']}\t{m['status']}\t{m['to']}\t{m['send_at'] or 'now'}\t{m['body'][:40]}")
