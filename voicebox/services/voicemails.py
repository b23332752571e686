"""Voicemail rows: built up from recording and transcription callbacks in whatever order they come."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import requests
from flask import current_app
from sqlalchemy import case, func, or_, select, update
from twilio.base.exceptions import TwilioException, TwilioRestException

from ..extensions import db
from ..models import Call, NotifyState, PhoneNumber, Voicemail
from ..rows import insert_ignore
from ..twilio_client import get_client


def list_voicemails(
    mailbox_id: int | None = None, limit: int = 100, *, within: Collection[int] | None = None
) -> list[Voicemail]:
    """Voicemails not deleted, newest first, optionally of one mailbox and only of mailboxes `within`."""
    query = select(Voicemail).where(Voicemail.is_deleted.is_(False))
    if mailbox_id is not None:
        query = query.where(Voicemail.mailbox_id == mailbox_id)
    if within is not None:
        query = query.where(Voicemail.mailbox_id.in_(within))
    return list(db.session.scalars(query.order_by(Voicemail.created_at.desc(), Voicemail.id.desc()).limit(limit)))


def count_voicemails(mailbox_id: int | None = None, *, within: Collection[int] | None = None) -> int:
    """How many voicemails `list_voicemails` would list without a limit."""
    query = select(func.count()).select_from(Voicemail).where(Voicemail.is_deleted.is_(False))
    if mailbox_id is not None:
        query = query.where(Voicemail.mailbox_id == mailbox_id)
    if within is not None:
        query = query.where(Voicemail.mailbox_id.in_(within))
    return db.session.scalar(query) or 0


def get_visible_voicemail(voicemail_id: int) -> Voicemail | None:
    """One voicemail, or None when it does not exist or was deleted."""
    voicemail = db.session.get(Voicemail, voicemail_id)
    return None if voicemail is None or voicemail.is_deleted else voicemail


def mark_read(voicemail: Voicemail, read: bool = True) -> Voicemail:
    """Mark a voicemail read (or unread again)."""
    voicemail.is_read = read
    db.session.commit()
    return voicemail


def soft_delete(voicemail: Voicemail, recording_deleted: bool = False) -> None:
    """Hide a voicemail from every list; the row (and its notification history) stays for the record.

    `recording_deleted`: the audio is gone at Twilio too, so forget its URL (links then answer 404).
    """
    voicemail.is_deleted = True
    if recording_deleted:
        voicemail.recording_url = None
    db.session.commit()


def call_of(voicemail: Voicemail) -> Call | None:
    """The call that left the voicemail (whom it rang, how the dial ended), if we saw it."""
    if not voicemail.call_sid:
        return None
    return db.session.scalar(select(Call).where(Call.call_sid == voicemail.call_sid))


@dataclass(frozen=True)
class CallNumbers:
    """The call's To and From as a callback carries them (None when it does not)."""

    to_number: str | None = None
    from_number: str | None = None


@dataclass(frozen=True)
class RecordingEvent:
    """The fields of a recording callback (status callback or <Record> action)."""

    recording_sid: str
    call_sid: str | None
    url: str | None
    duration: int | None
    status: str | None = None
    error_code: str | None = None
    numbers: CallNumbers = CallNumbers()


def _ensure_row(recording_sid: str, call_sid: str | None, numbers: CallNumbers) -> None:
    """Create the voicemail row once, with caller, number and mailbox from its call, or else from
    the numbers the callback carries (the call row is missing when the database was down as the
    call came in). A row created without its mailbox gets it from a later callback."""
    values: dict[str, Any] = {"recording_sid": recording_sid, "call_sid": call_sid}
    call = db.session.scalar(select(Call).where(Call.call_sid == call_sid)) if call_sid else None
    if call is not None:
        values |= {"from_number": call.from_number, "to_number": call.to_number, "mailbox_id": call.mailbox_id}
    elif numbers.to_number:
        mailbox_id = db.session.scalar(select(PhoneNumber.mailbox_id).where(PhoneNumber.e164 == numbers.to_number))
        values |= {"from_number": numbers.from_number, "to_number": numbers.to_number, "mailbox_id": mailbox_id}
    insert_ignore(Voicemail, values, key="recording_sid")
    if values.get("mailbox_id") is not None:
        fill = {k: v for k, v in values.items() if k in ("from_number", "to_number", "mailbox_id") and v}
        db.session.execute(
            update(Voicemail)
            .where(Voicemail.recording_sid == recording_sid, Voicemail.mailbox_id.is_(None))
            .values(**fill)
        )


def _set(recording_sid: str, *conditions: Any, **values: Any) -> int | None:
    """Update the row; returns its id when its email is (still) to be sent after this update."""
    stmt = update(Voicemail).where(Voicemail.recording_sid == recording_sid, *conditions).values(**values)
    row = db.session.execute(stmt.returning(Voicemail.id, Voicemail.notify_state)).first()
    return row.id if row is not None and row.notify_state == NotifyState.PENDING else None


def record_recording(event: RecordingEvent) -> int | None:
    """Store a recording callback. Returns the voicemail's id while its email is still to be sent.

    Only a `completed` recording long enough to be a message becomes pending; an `absent` one
    (Twilio error 16101/16102: silence or nothing recorded) is kept but never notified. The state
    moves out of `none` in one UPDATE (a CASE), so duplicates and retries flip it only once; they
    still return the id, so their enqueue collapses into the same job or repairs a lost one.
    """
    _ensure_row(event.recording_sid, event.call_sid, event.numbers)
    fields: dict[str, Any] = {
        k: v for k, v in {"recording_url": event.url, "duration": event.duration}.items() if v is not None
    }
    if event.status:
        fields |= {"recording_status": event.status, "recording_error_code": event.error_code}
    if fields:
        # Callbacks come late and twice: an `absent` (or the <Record> action's partial data) arriving
        # after `completed` must not overwrite the completed recording's status, URL or length.
        keep_completed = () if event.status == "completed" else (_not_completed,)
        _set(event.recording_sid, *keep_completed, **fields)
    pending_id = None
    if event.status:
        still_none = Voicemail.notify_state == NotifyState.NONE
        state = case((still_none, _notify_target(event)), else_=Voicemail.notify_state)
        pending_id = _set(event.recording_sid, notify_state=state)
    db.session.commit()
    return pending_id


_not_completed = or_(Voicemail.recording_status.is_(None), Voicemail.recording_status != "completed")


def _notify_target(event: RecordingEvent) -> NotifyState:
    minimum = current_app.config["VOICEMAIL_MIN_SECONDS"]
    if event.status == "completed" and event.url and (event.duration or 0) >= minimum:
        return NotifyState.PENDING
    return NotifyState.SKIPPED


def record_transcription(
    recording_sid: str,
    call_sid: str | None,
    text: str | None,
    status: str | None,
    transcription_sid: str | None,
    numbers: CallNumbers = CallNumbers(),
) -> int | None:
    """Store a transcription (it may come before the recording status, so create the row if needed).

    Returns the voicemail's id while its email is still to be sent."""
    _ensure_row(recording_sid, call_sid, numbers)
    pending_id = _set(
        recording_sid,
        transcript=text if status == "completed" else None,
        transcription_status=status,
        transcription_sid=transcription_sid,
        # <Record transcribe> is English only, whatever the mailbox speaks.
        transcription_engine=func.coalesce(Voicemail.transcription_engine, "twilio"),
        transcript_language=func.coalesce(Voicemail.transcript_language, "en-US"),
    )
    db.session.commit()
    return pending_id


class OwnerLookupFailed(Exception):
    """Twilio could not be asked about the call right now (network, 5xx): try again later."""


def recover_mailbox(voicemail_id: int) -> bool:
    """Find the mailbox of a voicemail stored without one, by the number that was called; when no
    callback told us that number, Twilio's Call resource does. True when found (and committed).

    Raises OwnerLookupFailed when Twilio cannot be asked now: the email must wait, not fail.
    """
    voicemail = db.session.get(Voicemail, voicemail_id)
    if voicemail is None:
        return False
    to_number, from_number = voicemail.to_number, voicemail.from_number
    if not to_number and voicemail.call_sid:
        to_number, from_number = _numbers_at_twilio(voicemail.call_sid)
    mailbox_id = (
        db.session.scalar(select(PhoneNumber.mailbox_id).where(PhoneNumber.e164 == to_number)) if to_number else None
    )
    voicemail.to_number = to_number or voicemail.to_number
    voicemail.from_number = voicemail.from_number or from_number
    voicemail.mailbox_id = mailbox_id
    db.session.commit()
    return mailbox_id is not None


def _numbers_at_twilio(call_sid: str) -> tuple[str | None, str | None]:
    """The call's To and From as Twilio's Call resource has them; (None, None) if Twilio has no such call."""
    try:
        call = get_client().calls(call_sid).fetch()
    except TwilioRestException as exc:
        if exc.status == 404:
            return None, None
        raise OwnerLookupFailed(f"Twilio answered {exc.status} for call {call_sid}") from exc
    except (TwilioException, requests.RequestException) as exc:
        raise OwnerLookupFailed(f"could not reach Twilio for call {call_sid}: {exc}") from exc
    return call.to, call._from
