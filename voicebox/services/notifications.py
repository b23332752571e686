"""The notification state machine (voicemail emails, their SMS copies, forwarded texts):
pending -> sending -> sent | failed.

Every move is one conditional UPDATE (`... WHERE notify_state = 'pending'`), so the database, not
Redis or a lock, decides which worker sends: two workers, RQ retries and duplicate callbacks can
all reach the claim, and exactly one of them wins it. The email and the optional SMS copy each
have their own state columns, so a failure of one never repeats the other.

At-least-once, not exactly-once: a worker killed (or cut off from the database) after the SMTP
server accepted the message but before `finish` committed leaves the row `sending`. The sweep
hands such a stale claim back to `pending`, and the voicemail is sent again. No protocol can
close that gap (SMTP has no idempotency key); the stable Message-ID lets mail clients collapse
the rare duplicate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import case, select, update
from sqlalchemy.orm import InstrumentedAttribute, selectinload

from .. import transcription
from ..extensions import db
from ..models import InboundMessage, Mailbox, NotifyState, Voicemail, utcnow
from ..rows import rowcount

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Channel:
    """The table and columns one kind of notification moves through (a voicemail's email or SMS copy,
    an inbound text's email). `attempts`, when set, counts tries and caps them at NOTIFY_MAX_ATTEMPTS."""

    name: str
    model: type[Voicemail] | type[InboundMessage]
    state: InstrumentedAttribute
    claimed_at: InstrumentedAttribute
    error: InstrumentedAttribute
    attempts: InstrumentedAttribute | None = None
    sent_at: InstrumentedAttribute | None = None


EMAIL = Channel(
    "email",
    Voicemail,
    Voicemail.notify_state,
    Voicemail.notify_claimed_at,
    Voicemail.notify_error,
    Voicemail.notify_attempts,
    Voicemail.notified_at,
)
SMS = Channel("sms", Voicemail, Voicemail.sms_state, Voicemail.sms_claimed_at, Voicemail.sms_error)
INBOUND_EMAIL = Channel(
    "inbound email",
    InboundMessage,
    InboundMessage.notify_state,
    InboundMessage.notify_claimed_at,
    InboundMessage.notify_error,
    InboundMessage.notify_attempts,
    InboundMessage.notified_at,
)


@dataclass(frozen=True)
class Claim:
    """Proof that this worker holds a voicemail's notification.

    `claimed_at` fences the claim: if the sweep judged it stale and another worker claimed it
    since, this worker's `finish`/`release` match no row and change nothing.
    """

    channel: Channel
    row_id: int
    claimed_at: datetime


def load(voicemail_id: int) -> Voicemail | None:
    """A voicemail read fresh from the database (never a stale copy from the session), or None."""
    stmt = (
        select(Voicemail)
        .where(Voicemail.id == voicemail_id)
        .options(selectinload(Voicemail.mailbox).selectinload(Mailbox.targets))
        .execution_options(populate_existing=True)
    )
    return db.session.scalar(stmt)


# Final transcription statuses: Twilio's `completed`/`failed`, and `off` (engine none). `in-progress`
# (whisper, twilio-realtime) keeps the email waiting, within VOICEMAIL_TRANSCRIPT_WAIT.
SETTLED_TRANSCRIPTS = ("completed", "failed", "off")


def transcript_settled(voicemail: Voicemail) -> bool:
    """True once the transcript is in, has failed, or is off, whichever the engine."""
    return voicemail.transcription_status in SETTLED_TRANSCRIPTS


def transcript_deadline(voicemail: Voicemail) -> datetime:
    """When the email stops waiting for the transcript and goes without it."""
    return voicemail.created_at + timedelta(seconds=current_app.config["VOICEMAIL_TRANSCRIPT_WAIT"])


def ready_to_send(voicemail: Voicemail) -> bool:
    """Whether the email should go now: the transcript is in (or failed), or the wait is over.

    The wait is needed because Twilio sends no transcription callback at all for some recordings
    (it transcribes only 2 s to 2 min, English, and only when the service works), so it is never
    safe to wait for one without a limit.
    """
    twilio_engine = voicemail.transcription_engine in (None, "twilio")  # None: the engine is not fixed yet
    if twilio_engine and not transcription.transcript_expected(_language(voicemail), voicemail.duration):
        return True  # Twilio was not asked to transcribe it, or will refuse (13617): nothing to wait for
    return transcript_settled(voicemail) or utcnow() >= transcript_deadline(voicemail)


def _language(voicemail: Voicemail) -> str:
    return voicemail.mailbox.language if voicemail.mailbox else current_app.config["DEFAULT_LANGUAGE"]


def claim(channel: Channel, row_id: int) -> Claim | None:
    """Move pending -> sending for this worker; None when another worker or an earlier run has it."""
    now = utcnow()
    values: dict[str, Any] = {channel.state.key: NotifyState.SENDING, channel.claimed_at.key: now}
    if channel.attempts is not None:
        values[channel.attempts.key] = channel.attempts + 1
    matched = rowcount(
        update(channel.model)
        .where(channel.model.id == row_id, channel.state == NotifyState.PENDING)
        .values(values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return Claim(channel, row_id, now) if matched == 1 else None


def finish(
    held: Claim, *, error: str | None = None, failed: bool = False, sms_copy: bool = False, commit: bool = True
) -> bool:
    """Record the outcome: sent (with `error` noting partial problems) or failed with `error`.

    `sms_copy` makes the SMS copy due in the same UPDATE, so it is queued exactly when the email
    is settled. `commit=False` leaves the commit to the caller, so rows it added in the same
    session (the SMS copy's texts) land together with the outcome. Returns False when the claim
    had gone stale and someone else owns the row now.
    """
    channel = held.channel
    values: dict[str, Any] = {
        channel.state.key: NotifyState.FAILED if failed else NotifyState.SENT,
        channel.error.key: error,
    }
    if channel.sent_at is not None and not failed:
        values[channel.sent_at.key] = utcnow()
    if sms_copy:
        # Only from `none`: an email re-sent after a stale claim must not text everyone again.
        values[SMS.state.key] = case((SMS.state == NotifyState.NONE, NotifyState.PENDING), else_=SMS.state)
    done = _update_claimed(held, values, commit=commit)
    if failed and done:
        log.error("%s %s: %s notification failed: %s", channel.model.__tablename__, held.row_id, channel.name, error)
    return done


def release(held: Claim, error: str, *, sms_copy: bool = False) -> bool:
    """Hand a claim back after a temporary failure (pending again, `error` noted) for a retry.

    After NOTIFY_MAX_ATTEMPTS email attempts the notification is marked failed instead, so an SMTP
    server that never recovers ends in a visible failure rather than retries forever. Returns
    True when a retry should follow.
    """
    channel = held.channel
    attempts = 0
    if channel.attempts is not None:
        attempts = db.session.scalar(select(channel.attempts).where(channel.model.id == held.row_id)) or 0
    if channel.attempts is not None and attempts >= current_app.config["NOTIFY_MAX_ATTEMPTS"]:
        finish(held, error=f"gave up after {attempts} attempts: {error}", failed=True, sms_copy=sms_copy)
        return False
    _update_claimed(held, {held.channel.state.key: NotifyState.PENDING, held.channel.error.key: error})
    return True


def _update_claimed(held: Claim, values: dict[str, Any], *, commit: bool = True) -> bool:
    channel = held.channel
    matched = rowcount(
        update(channel.model)
        .where(
            channel.model.id == held.row_id,
            channel.state == NotifyState.SENDING,
            channel.claimed_at == held.claimed_at,
        )
        .values(values)
        .execution_options(synchronize_session=False)
    )
    if commit:
        db.session.commit()
    if matched != 1:
        log.warning(
            "%s %s: %s claim went stale before it finished", channel.model.__tablename__, held.row_id, channel.name
        )
    return matched == 1


def reclaim_stale(channel: Channel) -> list[int]:
    """Hand `sending` rows whose claim is older than NOTIFY_CLAIM_TIMEOUT back to pending.

    Such a worker was killed or lost its database mid-send; see the module note on duplicates.
    NOTIFY_CLAIM_TIMEOUT must exceed the longest job (RQ's job timeout), or a slow but live
    worker would be overtaken.
    """
    cutoff = utcnow() - timedelta(seconds=current_app.config["NOTIFY_CLAIM_TIMEOUT"])
    stale = channel.state == NotifyState.SENDING, channel.claimed_at < cutoff
    model = channel.model
    ids = list(db.session.scalars(select(model.id).where(*stale)))
    reclaimed = []
    for row_id in ids:
        matched = rowcount(
            update(model)
            .where(model.id == row_id, *stale)
            .values({channel.state.key: NotifyState.PENDING, channel.error.key: "worker stopped mid-send"})
            .execution_options(synchronize_session=False)
        )
        if matched == 1:
            reclaimed.append(row_id)
    db.session.commit()
    if reclaimed:
        log.warning(
            "%s notifications of %s %s had stale claims; retrying them", channel.name, model.__tablename__, reclaimed
        )
    return reclaimed


def pending_ids(channel: Channel, limit: int = 500) -> list[int]:
    """Rows whose notification on `channel` is pending, oldest first."""
    model = channel.model
    stmt = select(model.id).where(channel.state == NotifyState.PENDING).order_by(model.id).limit(limit)
    return list(db.session.scalars(stmt))
