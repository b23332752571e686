"""`flask twilio configure`: point Twilio numbers at this voicebox through the REST API."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import click
import phonenumbers
import requests
from dotenv import set_key
from flask import current_app
from flask.cli import AppGroup
from twilio.base.exceptions import TwilioException

from ..services import mailboxes
from ..twilio_client import TwilioNotConfigured, get_client

NGROK_API = "http://127.0.0.1:4040"
twilio_cli = AppGroup("twilio", help="Set up your Twilio account for voicebox.")


class NgrokError(click.ClickException):
    """ngrok's local agent API did not give us an https URL."""


def ngrok_url(api: str = NGROK_API) -> str:
    """The https public URL of the local ngrok agent's tunnel (GET /api/tunnels on its web interface)."""
    try:
        answer = requests.get(api.rstrip("/") + "/api/tunnels", timeout=3)
        answer.raise_for_status()
        tunnels = answer.json().get("tunnels", [])
    except (requests.RequestException, ValueError) as exc:
        raise NgrokError(
            f"ngrok is not running (nothing answers at {api}): start it with `ngrok http 5000`, then try again"
        ) from exc
    https = [t for t in tunnels if str(t.get("public_url", "")).startswith("https://")]
    if not https:
        raise NgrokError("ngrok runs no https tunnel: start one with `ngrok http 5000`, then try again")
    # Several tunnels: prefer the one forwarding to our port.
    port = os.environ.get("PORT", "5000")
    mine = [t for t in https if str(t.get("config", {}).get("addr", "")).endswith(f":{port}")]
    return str((mine or https)[0]["public_url"]).rstrip("/")


def _checked_base(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise click.BadParameter(f"{url!r} is not an http(s) URL", param_hint="--base-url")
    if parts.scheme == "http":
        click.echo("warning: Twilio will call an http:// URL without TLS; prefer https", err=True)
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _e164(number: str) -> str:
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException as exc:
        raise click.BadParameter(f"{number!r} is not an E.164 number (+14155550100)", param_hint="--number") from exc
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _numbers_to_configure(client, number: str | None) -> list:
    """The IncomingPhoneNumber resources to point at voicebox."""
    sid = current_app.config["TWILIO_ACCOUNT_SID"]
    if number:
        found = client.incoming_phone_numbers.list(phone_number=number, limit=20)
        found = [n for n in found if n.phone_number == number]
        if not found:
            raise click.ClickException(f"{number} is not a phone number of Twilio account {sid}")
        return found
    owned = client.incoming_phone_numbers.list(limit=1000)
    wanted = {n.e164 for m in mailboxes.list_mailboxes() for n in m.numbers}
    chosen = [n for n in owned if n.phone_number in wanted] if wanted else owned[:1] if len(owned) == 1 else []
    if not chosen:
        have = ", ".join(n.phone_number for n in owned) or "none"
        raise click.ClickException(
            f"give --number: no mailbox number is in Twilio account {sid} (its numbers: {have})"
            if wanted
            else f"give --number: Twilio account {sid} has {len(owned)} numbers ({have})"
        )
    return chosen


@twilio_cli.command("configure")
@click.option("--number", help="The Twilio number (E.164). Default: every mailbox number in the account.")
@click.option("--base-url", help="voicebox's public URL, e.g. https://abc123.ngrok.app.")
@click.option("--ngrok", "use_ngrok", is_flag=True, help="Use the https URL of the running ngrok agent.")
@click.option("--ngrok-api", default=NGROK_API, show_default=True, envvar="NGROK_API_URL", hidden=True)
@click.option("--save", is_flag=True, help="Also write the URL to .env as PUBLIC_BASE_URL.")
@click.option("--env-file", default=".env", show_default=True, type=click.Path(dir_okay=False))
def configure(
    number: str | None, base_url: str | None, use_ngrok: bool, ngrok_api: str, save: bool, env_file: str
) -> None:
    """Point the number's voice webhook at /voice/incoming and its SMS webhook at /sms/incoming (POST)."""
    if base_url and use_ngrok:
        raise click.UsageError("give --base-url or --ngrok, not both")
    base = ngrok_url(ngrok_api) if use_ngrok else base_url or current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        raise click.UsageError("give --base-url URL or --ngrok (or set PUBLIC_BASE_URL in .env)")
    base = _checked_base(base)
    wanted = {"voice_url": base + "/voice/incoming", "voice_method": "POST"}
    wanted |= {"sms_url": base + "/sms/incoming", "sms_method": "POST"}
    try:
        client = get_client()
        for resource in _numbers_to_configure(client, _e164(number) if number else None):
            _point(resource, wanted)
    except TwilioNotConfigured as exc:
        raise click.ClickException(str(exc)) from exc
    except TwilioException as exc:
        raise click.ClickException(f"Twilio refused: {exc}") from exc
    _public_base_url(base, save, env_file)


def _point(resource, wanted: dict[str, str]) -> None:
    changes = {key: value for key, value in wanted.items() if getattr(resource, key) != value}
    if not changes:
        click.echo(f"{resource.phone_number}: already points at {wanted['voice_url']} and {wanted['sms_url']}")
        return
    resource.update(**changes)
    for key, value in changes.items():
        click.echo(f"{resource.phone_number}: {key} {getattr(resource, key) or '(empty)'} -> {value}")


def _public_base_url(base: str, save: bool, env_file: str) -> None:
    current = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if save:
        set_key(env_file, "PUBLIC_BASE_URL", base, quote_mode="never")
        os.chmod(env_file, 0o600)  # .env holds the secrets
        click.echo(f"{env_file}: PUBLIC_BASE_URL {current or '(empty)'} -> {base}; restart voicebox to use it")
    elif current != base:
        click.echo(
            f"note: PUBLIC_BASE_URL is {current or 'unset'}; voicebox checks Twilio's signatures against it, "
            f"so set it to {base} (run again with --save) and restart"
        )
