"""`flask --app wsgi ...` commands: worker, cron, mailbox (and sms, user from their modules)."""

from __future__ import annotations

import json

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from pydantic import ValidationError

from .ints import MAX_ID
from .queueing import get_queue, get_redis, redis_url
from .schemas.mailboxes import MailboxIn, MailboxOut
from .services import mailboxes
from .sms_cli import sms_cli
from .translate_cli import translate_cli
from .users_cli import user_cli
from .voicemail_cli import voicemail_cli
from .worker import CronProcess, work_forever


def warm_up(app: Flask) -> None:
    """Import every job module and compile the email templates once, in the worker's parent process:
    each forked work horse inherits them instead of redoing that work for every job."""
    from .jobs import inbound, messages, optouts, ring, voicemail  # noqa: F401

    for name in app.jinja_env.list_templates(filter_func=lambda n: n.startswith("email/")):
        app.jinja_env.get_template(name)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Work until the queue is empty, then exit.")
@click.option("--no-cron", is_flag=True, help="Do not run the every-minute sweep scheduler.")
def worker_command(burst: bool, no_cron: bool) -> None:
    """Run an RQ worker with its scheduler (and the sweep cron) inside the app context.

    It rides out Redis outages (waits, reconnects with backoff, brings the scheduler and the cron
    back) and stops on SIGTERM/SIGINT; see voicebox/worker.py.
    """
    cron = None if no_cron or burst else CronProcess(redis_url(), current_app.config["RQ_QUEUE"])
    warm_up(current_app)
    try:
        work_forever(get_redis(), [get_queue()], burst=burst, cron=cron)
    finally:
        if cron is not None:
            cron.stop()


mailbox_cli = AppGroup("mailbox", help="Manage mailboxes.")


@mailbox_cli.command("add")
@click.option("--name", required=True)
@click.option("--number", "twilio_number", required=True, help="The Twilio number, E.164.")
@click.option("--forward", "forward_to", multiple=True, help="A phone to ring (repeat for several).")
@click.option("--email", "emails", multiple=True, required=True, help="Who gets voicemail (repeatable).")
@click.option("--ring-mode", type=click.Choice(["simultaneous", "sequential"]), default="simultaneous")
@click.option("--language", default="en-US")
@click.option("--voice", help="A Twilio voice for the language (default: the language's neural voice).")
@click.option("--greeting")
@click.option("--ring-timeout", type=int, default=20)
@click.option("--no-screen", is_flag=True, help="Bridge calls without asking the callee to press 1.")
@click.option("--timezone", default="UTC")
@click.option(
    "--transcription",
    type=click.Choice(["auto", "twilio", "twilio-realtime", "whisper", "none"]),
    help="Transcription engine for this mailbox (default: the TRANSCRIPTION setting).",
)
def mailbox_add(no_screen: bool, **fields) -> None:
    """Create a mailbox (the same checks as POST /api/mailboxes)."""
    fields = {k: (list(v) if isinstance(v, tuple) else v) for k, v in fields.items() if v is not None}
    try:
        data = MailboxIn(**fields, screen_calls=not no_screen)
        mailbox = mailboxes.create_mailbox(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise click.UsageError(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from exc
    except mailboxes.Conflict as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(f"created mailbox {mailbox.id} {mailbox.name!r}")


@mailbox_cli.command("list")
@click.option("--json", "as_json", is_flag=True)
def mailbox_list(as_json: bool) -> None:
    """List mailboxes."""
    rows = [MailboxOut.model_validate(m).model_dump(mode="json") for m in mailboxes.list_mailboxes()]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for m in rows:
        click.echo(
            f"{m['id']}\t{m['name']}\t{m['twilio_number']}\t-> {', '.join(m['forward_to']) or '(voicemail)'}"
            f"\t{'enabled' if m['enabled'] else 'disabled'}"
        )


@mailbox_cli.command("remove")
@click.argument("name_or_id")
def mailbox_remove(name_or_id: str) -> None:
    """Delete a mailbox by name or id."""
    mailbox = mailboxes.find_by_name(name_or_id)
    if mailbox is None and name_or_id.isascii() and name_or_id.isdigit() and int(name_or_id) <= MAX_ID:
        mailbox = mailboxes.get_mailbox(int(name_or_id))
    if mailbox is None:
        raise click.UsageError(f"no mailbox {name_or_id!r}")
    mailboxes.delete_mailbox(mailbox)
    click.echo(f"removed mailbox {name_or_id}")


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(worker_command)
    app.cli.add_command(mailbox_cli)
    app.cli.add_command(sms_cli)
    app.cli.add_command(user_cli)
    app.cli.add_command(translate_cli)
    app.cli.add_command(voicemail_cli)
