"""Which engine transcribes a voicemail, and the transcript's life: in progress -> completed | failed.

Every engine ends in the same columns (transcript, transcript_language, transcription_status and,
on failure, transcription_error); the notification job then sends the email through its own state
machine, which waits for a settled status (see notifications.ready_to_send).

- twilio: <Record transcribe>, English only; Twilio's callback fills the row (voicemails.record_transcription).
- twilio-realtime: <Start><Transcription> in the mailbox's language (services/realtime.py).
- whisper: a job posts the recording to an OpenAI-compatible API (jobs/transcription.py).
- none: no transcript; the email says transcription is off.
"""

from __future__ import annotations

from enum import StrEnum

from flask import current_app
from sqlalchemy import update

from ..extensions import db
from ..i18n import locale_for
from ..models import Mailbox, NotifyState, Voicemail
from ..rows import rowcount


class Engine(StrEnum):
    TWILIO = "twilio"
    REALTIME = "twilio-realtime"
    WHISPER = "whisper"
    NONE = "none"


class Status(StrEnum):
    """transcription_status values. Twilio's own callback reports `completed` or `failed`."""

    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    FAILED = "failed"
    OFF = "off"  # engine `none`


# Twilio's <Record transcribe> works in English only.
TWILIO_LANGUAGE = "en-US"


class NotConfigured(ValueError):
    """An engine was asked for that these settings cannot run (e.g. whisper without an API)."""


def check_engine(engine: str | None) -> None:
    """Raise NotConfigured when `engine` cannot run with the current settings."""
    if engine == Engine.WHISPER and not current_app.config["TRANSCRIPTION_API_BASE"]:
        raise NotConfigured("the whisper engine is not configured: set TRANSCRIPTION_API_BASE")


def engine_for(mailbox: Mailbox | None) -> Engine:
    """The mailbox's override, else the TRANSCRIPTION setting; `auto` means whisper wherever an API
    is configured, else twilio for English mailboxes and twilio-realtime for the others."""
    cfg = current_app.config
    choice = (mailbox.transcription if mailbox else None) or cfg["TRANSCRIPTION"]
    if choice != "auto":
        return Engine(choice)
    if cfg["TRANSCRIPTION_API_BASE"]:
        return Engine.WHISPER
    language = mailbox.language if mailbox else cfg["DEFAULT_LANGUAGE"]
    return Engine.TWILIO if locale_for(language).language == "en" else Engine.REALTIME


def language_hint(language: str | None) -> str:
    """ISO 639-1, as OpenAI-compatible APIs take it: 'zh-CN' -> 'zh'."""
    return locale_for(language).language


def begin(voicemail_id: int) -> Engine | None:
    """Fix the engine and language of a voicemail whose recording completed, once.

    Returns the engine when this call started it (a duplicate callback gets None, unless the
    transcript is still in progress: then its job is queued again and collapses into the same id).
    """
    vm = db.session.get(Voicemail, voicemail_id)
    if vm is None or vm.recording_status != "completed":
        return None
    if vm.transcription_engine is not None:
        return Engine(vm.transcription_engine) if vm.transcription_status == Status.IN_PROGRESS else None
    engine = engine_for(vm.mailbox)
    language = TWILIO_LANGUAGE if engine == Engine.TWILIO else (vm.mailbox.language if vm.mailbox else None)
    values: dict = {"transcription_engine": engine, "transcript_language": language}
    if engine == Engine.NONE:
        values["transcription_status"] = Status.OFF
    elif engine != Engine.TWILIO:
        values["transcription_status"] = Status.IN_PROGRESS
    started = rowcount(
        update(Voicemail)
        .where(Voicemail.id == voicemail_id, Voicemail.transcription_engine.is_(None))
        .values(values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return engine if started == 1 else None


def finish(voicemail_id: int, engine: Engine, *, text: str | None = None, error: str | None = None) -> int | None:
    """Store the transcript (or the reason it failed) if `engine` still owns the row.

    Returns the voicemail's id while its email is still to be sent, for queue_notification.
    """
    values = {
        "transcript": None if error is not None else ((text or "").strip() or None),
        "transcription_status": Status.FAILED if error is not None else Status.COMPLETED,
        "transcription_error": error,
    }
    row = db.session.execute(
        update(Voicemail)
        .where(
            Voicemail.id == voicemail_id,
            Voicemail.transcription_engine == engine,
            Voicemail.transcription_status == Status.IN_PROGRESS,
        )
        .values(values)
        .returning(Voicemail.notify_state)
        .execution_options(synchronize_session=False)
    ).first()
    db.session.commit()
    return voicemail_id if row is not None and row.notify_state == NotifyState.PENDING else None


def redo(voicemail: Voicemail, engine: Engine | None = None) -> Engine:
    """Start the transcript again (e.g. after changing engine). Only whisper can redo a finished
    recording: Twilio's engines transcribe during the call. Raises NotConfigured."""
    engine = engine or engine_for(voicemail.mailbox)
    if engine != Engine.WHISPER:
        raise NotConfigured(f"only the whisper engine can redo a transcript after the call (this one is {engine})")
    check_engine(engine)
    if voicemail.recording_status != "completed" or not voicemail.recording_url:
        raise NotConfigured("this voicemail has no completed recording to transcribe")
    voicemail.transcription_engine = engine
    voicemail.transcript_language = voicemail.mailbox.language if voicemail.mailbox else None
    voicemail.transcription_status = Status.IN_PROGRESS
    voicemail.transcription_error = None
    db.session.commit()
    return engine
