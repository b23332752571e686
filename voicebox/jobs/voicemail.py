"""Voicemail notification jobs: the email (with the transcript when it comes in time) and the SMS copy.

Flow: the recording-status callback queues `notify_voicemail`. If the transcript is not in yet, that
job schedules `notify_voicemail_fallback` at the end of VOICEMAIL_TRANSCRIPT_WAIT; the transcription
callback queues `notify_voicemail` again, which then sends at once. Whichever job claims the row
first sends; the others find it claimed or sent and return.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from .. import mail_transport, queueing
from ..extensions import db
from ..i18n import in_language
from ..models import Message, NotifyState, Voicemail, utcnow
from ..queueing import NOTIFY_RETRY, enqueue, get_redis, retry_policy
from ..services import emails, messages, notifications, voicemails
from ..services.notifications import EMAIL, SMS
from ..services.voicemail_summary import sms_text, summarize
from .messages import schedule as schedule_message
from .sweeping import requeue_pending

log = logging.getLogger(__name__)


def job_id(voicemail_id: int, kind: str) -> str:
    """Fixed ids make duplicate callbacks collapse into one queued job per kind."""
    return queueing.job_id("voicemail", voicemail_id, kind)


def queue_notification(voicemail_id: int | None, trigger: str) -> bool:
    """After a callback: queue the notification job for a voicemail whose email is pending.

    `voicemail_id` is what the callback's service returned (None: nothing pending). `trigger`
    ("recording" or "transcript") keeps the two callbacks' jobs apart, so a transcript that lands
    while the recording's job runs still gets its own prompt look. Returns False when nothing was
    queued (not pending, or Redis down: the row stays pending for the sweep).
    """
    if voicemail_id is None:
        return False
    if trigger == "transcript" and _waiting_in_queue(job_id(voicemail_id, "recording")):
        return True  # that job has not started, so it will read the transcript just committed
    return _enqueue(notify_voicemail, voicemail_id, trigger)


def _enqueue(func: Callable[[int], str], voicemail_id: int, kind: str, at: datetime | None = None) -> bool:
    """Enqueue a notification job under its fixed id, with the notification backoff."""
    return (
        enqueue(func, voicemail_id, job_id=job_id(voicemail_id, kind), at=at, retry=retry_policy(NOTIFY_RETRY))
        is not None
    )


def _waiting_in_queue(rq_job_id: str) -> bool:
    """True while the job is queued and no worker has started it (False if unknown or Redis is down)."""
    try:
        return Job.fetch(rq_job_id, connection=get_redis()).get_status() == JobStatus.QUEUED
    except (NoSuchJobError, RedisError, OSError):
        return False


def notify_voicemail(voicemail_id: int) -> str:
    """Send the email if the transcript is settled or the wait is over; else schedule the fallback."""
    vm = notifications.load(voicemail_id)
    if vm is None or vm.notify_state != NotifyState.PENDING:
        return "nothing to do"
    if not notifications.ready_to_send(vm):
        at = notifications.transcript_deadline(vm)
        _enqueue(notify_voicemail_fallback, voicemail_id, "fallback", at)
        return f"waiting for the transcript until {at.isoformat()}"
    return send_email(voicemail_id)


def notify_voicemail_fallback(voicemail_id: int) -> str:
    """The transcript wait is over: send with whatever we have ("transcript unavailable")."""
    return send_email(voicemail_id)


def send_email(voicemail_id: int) -> str:
    """Claim the voicemail's email and send it; safe to run any number of times."""
    held = notifications.claim(EMAIL, voicemail_id)
    if held is None:
        return "claimed elsewhere or already settled"
    vm = notifications.load(voicemail_id)
    if vm is not None and vm.mailbox is None:
        vm = _recover_mailbox(held)
    if vm is None:
        return "voicemail deleted"
    wants_sms = bool(vm.mailbox and vm.mailbox.sms_notify)
    if not emails.recipients(vm):
        notifications.finish(held, error="the voicemail's mailbox is gone or has no email address", failed=True)
        return "failed: no recipients"
    try:
        # At-least-once from here: a crash after SMTP accepts but before `finish` commits leaves
        # the claim to go stale, and the sweep sends again (see services/notifications.py).
        refused = mail_transport.send(emails.voicemail_email(vm))
    except mail_transport.SendError as exc:
        return _settle_failure(held, exc, wants_sms)
    except Exception as exc:
        # A bug or a surprise (e.g. a template error): hand the claim back so the retry or the
        # sweep can try again, instead of leaving the row `sending`.
        notifications.release(held, f"unexpected error: {type(exc).__name__}: {exc}")
        raise
    note = "; ".join(f"refused {addr}: {why}" for addr, why in refused.items()) or None
    notifications.finish(held, error=note, sms_copy=wants_sms)
    _queue_sms(voicemail_id, wants_sms)
    return "sent"


def _recover_mailbox(held: notifications.Claim) -> Voicemail | None:
    """A voicemail stored without its mailbox (the database missed the call): look it up again,
    asking Twilio if need be. Never fail for good what can still be found: if Twilio cannot be
    asked now, hand the claim back and let RQ retry."""
    try:
        voicemails.recover_mailbox(held.row_id)
    except voicemails.OwnerLookupFailed as exc:
        notifications.release(held, str(exc))
        raise
    return notifications.load(held.row_id)


def _settle_failure(held: notifications.Claim, exc: mail_transport.SendError, wants_sms: bool) -> str:
    if exc.permanent:
        notifications.finish(held, error=exc.reason, failed=True, sms_copy=wants_sms)
        _queue_sms(held.row_id, wants_sms)
        return f"failed: {exc.reason}"
    if notifications.release(held, exc.reason, sms_copy=wants_sms):
        log.warning("voicemail %s: email not sent yet (%s); retrying", held.row_id, exc.reason)
        raise exc  # RQ retries with backoff; the row is pending again
    _queue_sms(held.row_id, wants_sms)
    return f"failed: {exc.reason}"


def _queue_sms(voicemail_id: int, wanted: bool) -> None:
    if wanted:
        _enqueue(send_sms_copy, voicemail_id, "sms")


def send_sms_copy(voicemail_id: int) -> str:
    """Text the mailbox's forward numbers a short note of the voicemail; safe to run any number of times.

    The texts go through the texts pipeline (services.messages): one outgoing message per forward
    number, skipping numbers that opted out. Their delivery (throttle, status callback, retries,
    21610) is then the messages' own business and shows in /api/messages; this channel only
    records that the texts were created. The messages and the channel's `sent` are committed in
    one transaction, so a crash or a stale claim never creates them twice.
    """
    held = notifications.claim(SMS, voicemail_id)
    if held is None:
        return "claimed elsewhere or already settled"
    vm = notifications.load(voicemail_id)
    numbers = list(dict.fromkeys(t.number for t in vm.mailbox.targets)) if vm and vm.mailbox else []
    if vm is None or not numbers:
        notifications.finish(held, error="the mailbox has no forward numbers", failed=True)
        return "failed: no numbers"
    try:
        with in_language(vm.mailbox.language if vm and vm.mailbox else None):
            body = sms_text(summarize(vm))
        created, note = _create_texts(held, numbers, body)
    except messages.NotConfigured as exc:
        db.session.rollback()
        notifications.finish(held, error=str(exc), failed=True)  # a setting is missing: retrying won't help
        return f"failed: {exc}"
    except Exception as exc:
        # A bug or a lost database: nothing was committed; hand the claim back for RQ's retry or the sweep.
        db.session.rollback()
        notifications.release(held, f"unexpected error: {type(exc).__name__}: {exc}")
        raise
    for message in created:
        # Due now; the job id matches the one the messages sweep uses, which finds them if Redis is down.
        schedule_message(message.id, message.due_at or utcnow())
    return f"texting {len(created)} of {len(numbers)}" + (f" ({note})" if note else "")


def _create_texts(held: notifications.Claim, numbers: list[str], body: str) -> tuple[list[Message], str | None]:
    """Add one message per number that may be texted and settle the claim, in one commit."""
    now, created, skipped = utcnow(), [], []
    for number in numbers:
        try:
            created.append(messages.new_message(number, body, [], None, now))
        except messages.RecipientOptedOut:
            skipped.append(number)  # they texted STOP (or Twilio said 21610): never text them
    note = "; ".join(f"{number}: opted out" for number in skipped) or None
    if not notifications.finish(held, error=note, failed=not created, commit=False):
        db.session.rollback()  # the claim went stale: whoever holds it now creates the texts
        return [], "claim went stale"
    db.session.commit()
    return created, note


def sweep_voicemail_notifications() -> int:
    """Re-queue pending notifications no RQ job holds (lost jobs, a flushed Redis, dead workers)."""
    email_kinds = ("recording", "transcript", "fallback", "sweep")
    return requeue_pending(EMAIL, notify_voicemail, job_id, email_kinds) + requeue_pending(
        SMS, send_sms_copy, job_id, ("sms", "sms-sweep")
    )
