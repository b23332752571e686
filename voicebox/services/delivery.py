"""Doing the work a message is owed: hand it to Twilio, send it, or cancel it (here or at Twilio).

Every step claims the row with a conditional UPDATE (due_at <= now, then due_at = now + lease and a
fresh claim_token), so two workers, or a worker and the web process, never act on a row twice. A
worker that dies mid-request leaves a lease that runs out; the sweep then finds the row due again.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from sqlalchemy import select, update
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException

from .. import throttle
from ..extensions import db
from ..models import OWED_STATUSES, UNCANCELABLE_STATUSES, Message, MessageEvent, MessageStatus, utcnow
from ..rows import rowcount
from ..twilio_client import TwilioNotConfigured, get_client
from ..urls import public_url
from . import optouts, statuses
from .messages import Plan, Route, add_event, plan

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=10)  # far longer than one Twilio request (15 s timeout)
EARLY_TOLERANCE = timedelta(seconds=2)  # clock skew between the scheduler's host and ours
BACKOFF_SECONDS = (5, 15, 30, 60, 120, 240)  # between attempts after a 5xx or network error
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1
# Twilio's word for a message's state at creation -> ours. With a Messaging Service, a message that
# is not scheduled starts "accepted" (the service is still choosing a sender): for us it is queued.
TWILIO_STATUS = {"accepted": MessageStatus.QUEUED, **{s.value: s for s in MessageStatus}}
NETWORK_ERRORS = (TwilioException, requests.RequestException, OSError)


@dataclass(frozen=True)
class TwilioFailure:
    """A refused or failed REST call: HTTP status (None: no answer), Twilio code, message, docs link."""

    status: int | None
    code: str | None
    message: str
    more_info: str | None

    @property
    def transient(self) -> bool:
        """5xx, 429 (rate limited) or no answer: worth retrying. Other 4xx are final."""
        return self.status is None or self.status >= 500 or self.status == 429

    def __str__(self) -> str:
        return f"HTTP {self.status or '-'} code {self.code or '-'}: {self.message}"


def twilio_failure(exc: Exception) -> TwilioFailure:
    """Read a twilio-python or network exception."""
    if isinstance(exc, TwilioRestException):
        code = str(exc.code) if exc.code else None
        # twilio-python prefixes Twilio's message with "Unable to create record: ".
        message = str(exc.msg).split(": ", 1)[-1] if ": " in str(exc.msg) else str(exc.msg)
        return TwilioFailure(exc.status, code, message, getattr(exc, "more_info", None) or _docs(code))
    if isinstance(exc, TwilioServiceException):  # RFC 9457 problem body
        code = str(exc.code) if exc.code else None
        return TwilioFailure(exc.status, code, exc.detail or exc.title, exc.type or _docs(code))
    if isinstance(exc, TwilioNotConfigured):  # local try-out mode: final, retrying cannot help
        return TwilioFailure(400, "twilio_not_configured", str(exc), None)
    return TwilioFailure(None, None, f"no answer from Twilio ({type(exc).__name__}: {exc})", None)


def _docs(code: str | None) -> str | None:
    if code and code.isascii() and code.isdigit() and int(code) >= 10000:  # Twilio error codes, not HTTP statuses
        return f"https://www.twilio.com/docs/errors/{code}"
    return None


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=BACKOFF_SECONDS[min(max(attempts, 1), len(BACKOFF_SECONDS)) - 1])


@dataclass(frozen=True)
class Delivery:
    """What `deliver` came to: when to run again (None: nothing owed) and a number found opted out.

    `unsubscribed` is set when Twilio refused with 21610 (the recipient texted STOP): the caller
    then cancels whatever else is owed to that number.
    """

    run_again: datetime | None = None
    unsubscribed: str | None = None


def deliver(message_id: int, throttle_wait: float = 30.0) -> Delivery:
    """Do whatever the message is owed now; safe to run twice and at any time.

    A message that is not due yet only reports its due time in `run_again`.
    """
    message = db.session.get(Message, message_id)
    if message is None or message.due_at is None or message.status not in OWED_STATUSES:
        return Delivery()
    now = utcnow()
    if message.due_at > now + EARLY_TOLERANCE:
        return Delivery(message.due_at)
    return _act(message, now, throttle_wait)


def _act(message: Message, now: datetime, throttle_wait: float) -> Delivery:
    """The due message's next step: cancel, wait, or send."""
    if message.twilio_sid:
        if message.cancel_requested_at is not None:
            return Delivery(cancel_at_twilio(message, now).retry_at)
        return Delivery(_set(message, now, due_at=None))  # nothing else is owed on a row Twilio has
    if message.cancel_requested_at is not None:  # a cancel came while a worker that then died held it
        return Delivery(_set(message, now, status=MessageStatus.CANCELED, due_at=None, claim_token=None))
    if optouts.is_opted_out(message.to_number):  # STOP arrived after this was stored: never send it
        add_event(message, "canceled", "recipient opted out", status=MessageStatus.CANCELED)
        return Delivery(_set(message, now, status=MessageStatus.CANCELED, due_at=None, claim_token=None))
    route = plan(message.send_at, now)
    if route.route in (Route.WAIT_SEND, Route.WAIT_HANDOFF):
        return Delivery(_wait(message, route, now))
    if not throttle.acquire(message.messaging_service_sid or "", wait=throttle_wait):
        return Delivery(_set(message, now, due_at=now + timedelta(seconds=1)))
    return _send(message, route, now)


def _set(message: Message, now: datetime, **values) -> datetime | None:
    """Change a due row unless someone claimed it meanwhile; returns the new due_at."""
    db.session.execute(
        update(Message).where(Message.id == message.id, Message.due_at <= now + EARLY_TOLERANCE).values(**values)
    )
    db.session.commit()
    return values.get("due_at")


def _wait(message: Message, route: Plan, now: datetime) -> datetime | None:
    """Too early for Twilio or for us: wait until the route's time (a job is enqueued for it)."""
    add_event(message, "waiting", f"{route.route} at {route.due_at.isoformat()}", status=route.status)
    return _set(message, now, status=route.status, due_at=route.due_at, claim_token=None)


def _claim(message: Message, now: datetime, *conditions, **values) -> str | None:
    """Take the due row for one lease; None when another worker holds it or it changed."""
    token = uuid.uuid4().hex
    matched = rowcount(
        update(Message)
        .where(Message.id == message.id, Message.due_at <= now + EARLY_TOLERANCE, *conditions)
        .values(due_at=now + CLAIM_LEASE, claim_token=token, attempts=Message.attempts + 1, **values)
    )
    db.session.commit()
    return token if matched == 1 else None


def _send(message: Message, route: Plan, now: datetime) -> Delivery:
    """Create the message at Twilio: scheduled (SendAt) for a hand-off, plain for our own send."""
    token = _claim(
        message,
        now,
        Message.status.in_((MessageStatus.PENDING, MessageStatus.QUEUED, MessageStatus.SENDING)),
        Message.twilio_sid.is_(None),
        Message.cancel_requested_at.is_(None),
        status=MessageStatus.SENDING,
    )
    if token is None:
        return Delivery()
    scheduled = route.route == Route.HANDOFF
    try:
        found = _find_at_twilio(message) if _earlier_try_unanswered(message) else None
        if found is not None:
            add_event(message, "adopted", f"found at Twilio after an interrupted send: {found.sid}")
            return _settle(message, token, found.sid, found.status, scheduled, now)
        created = _create_at_twilio(message, scheduled)
    except NETWORK_ERRORS as exc:
        return _attempt_failed(message, token, twilio_failure(exc), now)
    return _settle(message, token, created.sid, created.status, scheduled, now)


def _earlier_try_unanswered(message: Message) -> bool:
    """Whether an earlier try may have reached Twilio without our knowing: it was interrupted (no
    event since its claim) or got no answer. A retry after Twilio's own error answer (its code is
    on the event) created nothing. `attempts` counts this claim, so above 1 there was a try."""
    if message.attempts <= 1:
        return False
    last = db.session.scalar(
        select(MessageEvent).where(MessageEvent.message_id == message.id).order_by(MessageEvent.id.desc()).limit(1)
    )
    return not (last is not None and last.kind == "retry" and last.error_code is not None)


def _find_at_twilio(message: Message):
    """The message at Twilio that an earlier, interrupted try created, or None.

    Twilio may accept a message and our worker die (or the database go, or the answer time out)
    before its SID is stored; sending again would text them twice. Twilio's Message resource holds
    nothing we set that names our row, so match what we sent: to, body, service, media count, created
    since our row, outbound, and not a SID another row already has. Two rows with the same text to
    the same number, both interrupted, could still swap SIDs; neither is sent twice.
    """
    since = message.created_at - timedelta(minutes=1)
    for found in get_client().messages.list(to=message.to_number, limit=50):
        if (
            found.body == message.body
            and found.messaging_service_sid == message.messaging_service_sid
            and str(found.direction or "").startswith("outbound")
            and int(found.num_media or 0) == len(message.media_urls or [])
            and (found.date_created is None or found.date_created >= since)
            and db.session.scalar(select(Message.id).where(Message.twilio_sid == found.sid)) is None
        ):
            return found
    return None


def _create_at_twilio(message: Message, scheduled: bool):
    params: dict[str, Any] = {
        "to": message.to_number,
        "body": message.body,
        "messaging_service_sid": message.messaging_service_sid,
        "status_callback": public_url("/sms/status"),  # PUBLIC_BASE_URL is required for texts
    }
    if message.media_urls:
        params["media_url"] = list(message.media_urls)
    if scheduled:
        # twilio-python formats send_at as UTC without converting it: it must be aware UTC (it is).
        params |= {"send_at": message.send_at, "schedule_type": "fixed"}
    return get_client().messages.create(**params)


def _settle(message: Message, token: str, sid: str, twilio_status: str, scheduled: bool, now: datetime) -> Delivery:
    """Store what Twilio created, adopt callbacks that beat us to it, and honour a cancel that came meanwhile."""
    status = TWILIO_STATUS.get(twilio_status, MessageStatus.QUEUED)
    matched = rowcount(
        update(Message)
        .where(Message.id == message.id, Message.claim_token == token)
        # attempts restarts so a later cancel at Twilio backs off from its first interval
        .values(twilio_sid=sid, status=status, due_at=None, claim_token=None, handed_off_at=now, attempts=0)
    )
    if matched != 1:
        # Our lease ran out mid-request and another worker took the row: ours is a duplicate.
        log.error("message %s: lease lost while Twilio created %s; it may be sent twice", message.id, sid)
        db.session.commit()
        if status == MessageStatus.SCHEDULED:  # a scheduled duplicate can still be called off
            try:
                get_client().messages(sid).update(status="canceled")
            except NETWORK_ERRORS as exc:
                log.error("message %s: could not cancel duplicate %s: %s", message.id, sid, twilio_failure(exc))
        return Delivery()
    add_event(message, "handed_off" if scheduled else "sent_to_twilio", f"Twilio {twilio_status}", status=status)
    db.session.commit()
    db.session.refresh(message)
    unsubscribed = statuses.adopt_early_callbacks(message)
    if message.cancel_requested_at is None:
        return Delivery(None, unsubscribed)
    if status == MessageStatus.SCHEDULED:  # a cancel arrived while we were talking to Twilio: owe it
        db.session.execute(update(Message).where(Message.id == message.id, Message.due_at.is_(None)).values(due_at=now))
        db.session.commit()
        return Delivery(now, unsubscribed)
    add_event(message, "cancel_refused", "it had already gone to Twilio for immediate sending")
    db.session.commit()
    return Delivery(None, unsubscribed)


def _attempt_failed(message: Message, token: str, failure: TwilioFailure, now: datetime) -> Delivery:
    """A 4xx fails the message; a 5xx or no answer retries with backoff until MAX_ATTEMPTS."""
    attempts = message.attempts
    retry_at: datetime | None
    if failure.transient and attempts < MAX_ATTEMPTS:
        retry_at = now + backoff(attempts)
        values: dict[str, Any] = {"status": plan(message.send_at, now).status, "due_at": retry_at, "claim_token": None}
        detail = f"attempt {attempts} failed ({failure}); next at {retry_at.isoformat()}"
        add_event(message, "retry", detail, error_code=failure.code)  # a code: Twilio answered
        if message.cancel_requested_at is not None:  # canceled while we tried: it never reached Twilio
            values |= {"status": MessageStatus.CANCELED, "due_at": None}
            retry_at = None
    else:
        reason = failure.message if not failure.transient else f"gave up after {attempts} attempts: {failure.message}"
        values = {
            "status": MessageStatus.FAILED,
            "due_at": None,
            "claim_token": None,
            "error_code": failure.code,
            "error_message": reason,
            "error_more_info": failure.more_info,
        }
        add_event(message, "failed", reason, status=MessageStatus.FAILED, error_code=failure.code)
        retry_at = None
    db.session.execute(update(Message).where(Message.id == message.id, Message.claim_token == token).values(**values))
    db.session.commit()
    if failure.code != statuses.UNSUBSCRIBED:
        return Delivery(retry_at)
    # The recipient texted STOP (perhaps to another of our numbers): honour it everywhere.
    # The job that called us then cancels what is still scheduled for them.
    optouts.set_opted_out(message.to_number, True, "21610", f"Twilio refused message {message.id}")
    return Delivery(retry_at, message.to_number)


class NotCancelable(Exception):
    """The message cannot be canceled any more (already final, or already sent on its way)."""

    def __init__(self, message: str, code: str = "not_cancelable") -> None:
        super().__init__(message)
        self.code = code


class TwilioRefused(RuntimeError):
    """Twilio answered a request with a final error other than the ones we map (e.g. 20404)."""

    def __init__(self, failure: TwilioFailure) -> None:
        super().__init__(str(failure))
        self.failure = failure


def request_cancel(message: Message) -> bool:
    """Cancel locally if it never left us; otherwise mark the cancel as owed. True if canceled already.

    Raises NotCancelable when the message is final, or went to Twilio for immediate sending (Twilio
    cancels only scheduled messages).
    """
    now = utcnow()
    for _ in range(3):  # a worker may claim the row between our read and our write: read again
        if message.status in UNCANCELABLE_STATUSES:
            raise NotCancelable(f"message {message.id} is already {message.status}; it cannot be canceled")
        if message.twilio_sid and message.status != MessageStatus.SCHEDULED:
            raise NotCancelable(
                f"message {message.id} went to Twilio for immediate sending ({message.status}); "
                "only scheduled messages can be canceled"
            )
        if _cancel_locally(message, now) or _mark_cancel_owed(message, now):
            db.session.commit()
            db.session.refresh(message)
            return message.status == MessageStatus.CANCELED
        db.session.rollback()
        db.session.refresh(message)
    raise NotCancelable(f"message {message.id} keeps changing; try again", code="busy")


def _cancel_locally(message: Message, now: datetime) -> bool:
    """pending/queued without a SID: it never reached Twilio, so our word is final."""
    matched = rowcount(
        update(Message)
        .where(
            Message.id == message.id,
            Message.status.in_((MessageStatus.PENDING, MessageStatus.QUEUED)),
            Message.twilio_sid.is_(None),
        )
        .values(status=MessageStatus.CANCELED, due_at=None, claim_token=None, cancel_requested_at=now)
    )
    if matched != 1:
        return False
    add_event(message, "canceled", "canceled before it reached Twilio", status=MessageStatus.CANCELED)
    return True


def _mark_cancel_owed(message: Message, now: datetime) -> bool:
    """Scheduled at Twilio: owe a cancel there (due now). In flight: whoever holds it honours the mark."""
    if message.status == MessageStatus.SCHEDULED:
        values = {"cancel_requested_at": now, "due_at": now}
    elif message.status == MessageStatus.SENDING:
        values = {"cancel_requested_at": now}  # keep the worker's lease in due_at
    else:
        return False
    first_request = message.cancel_requested_at is None
    matched = rowcount(
        update(Message).where(Message.id == message.id, Message.status == message.status).values(**values)
    )
    if matched != 1:
        return False
    if first_request:
        add_event(message, "cancel_requested", status=message.status)
    return True


def cancel_many(messages: list[Message]) -> list[int]:
    """Cancel every message that can still be stopped; returns the ids whose cancel at Twilio is owed."""
    owed = []
    for message in messages:
        try:
            if not request_cancel(message):
                owed.append(message.id)
        except NotCancelable:
            continue  # already final or sent on its way: nothing left to stop
    return owed


def cancel_all_to(number: str) -> list[Message]:
    """Cancel every text still owed to `number` (it opted out); returns those whose cancel at Twilio
    is now owed, for the caller to schedule. Twilio itself does not cancel scheduled texts on STOP."""
    owed = list(
        db.session.scalars(select(Message).where(Message.to_number == number, Message.status.in_(OWED_STATUSES)))
    )
    at_twilio = set(cancel_many(owed))
    return [message for message in owed if message.id in at_twilio]


@dataclass(frozen=True)
class CancelResult:
    """What a cancel at Twilio came to: done, refused (already final there), or retry at a time."""

    canceled: bool = False
    refused: TwilioFailure | None = None
    failed: TwilioFailure | None = None
    retry_at: datetime | None = None


def cancel_at_twilio(message: Message, now: datetime) -> CancelResult:
    """POST Status=canceled for a scheduled message whose cancel is owed."""
    token = _claim(message, now, Message.status == MessageStatus.SCHEDULED, Message.cancel_requested_at.is_not(None))
    if token is None:
        _drop_cancel_if_moved_on(message, now)
        return CancelResult()
    try:
        get_client().messages(message.twilio_sid).update(status="canceled")
    except NETWORK_ERRORS as exc:
        return _cancel_failed(message, token, twilio_failure(exc), now)
    _finish(message, token, "canceled", "canceled at Twilio", status=MessageStatus.CANCELED)
    return CancelResult(canceled=True)


def _drop_cancel_if_moved_on(message: Message, now: datetime) -> None:
    """A status callback moved the message on (sending, sent, failed...) while its cancel was owed.
    Twilio can no longer cancel it, so stop owing the cancel instead of sweeping it every minute."""
    matched = rowcount(
        update(Message)
        .where(
            Message.id == message.id,
            Message.status != MessageStatus.SCHEDULED,
            Message.claim_token.is_(None),
            Message.due_at <= now + EARLY_TOLERANCE,
        )
        .values(due_at=None)
    )
    if matched == 1:
        add_event(message, "cancel_refused", "no longer scheduled at Twilio; it could not be canceled")
    db.session.commit()


def _cancel_failed(message: Message, token: str, failure: TwilioFailure, now: datetime) -> CancelResult:
    if failure.code == "30409":
        # Twilio: the message is no longer scheduled (already sent, failed or canceled); learn which.
        status = _status_at_twilio(message)
        _finish(message, token, "cancel_refused", failure.message, error_code="30409", status=status)
        return CancelResult(refused=failure)
    if failure.transient:
        # Retried until it works or Twilio answers 30409 (once send_at passes): either way it ends.
        retry_at = now + backoff(message.attempts)
        _finish(message, token, "retry", f"cancel failed ({failure})", due_at=retry_at)
        return CancelResult(retry_at=retry_at)
    _finish(message, token, "cancel_failed", str(failure), error_code=failure.code)
    return CancelResult(failed=failure)


def _status_at_twilio(message: Message) -> str | None:
    """Twilio's current status for the message when it is final; None if unknown or not final."""
    try:
        status = TWILIO_STATUS.get(get_client().messages(message.twilio_sid).fetch().status)
    except NETWORK_ERRORS:
        return None
    return status if status in UNCANCELABLE_STATUSES else None


def _finish(message: Message, token: str, kind: str, detail: str, *, error_code=None, status=None, due_at=None):
    values = {"due_at": due_at, "claim_token": None} | ({"status": status} if status else {})
    db.session.execute(update(Message).where(Message.id == message.id, Message.claim_token == token).values(**values))
    add_event(message, kind, detail, status=status, error_code=error_code)
    db.session.commit()


def cancel(message: Message) -> CancelResult:
    """Cancel a message now: locally, or at Twilio when it is scheduled there.

    Returns canceled=True when done; otherwise the cancel is owed and will be carried out (retry_at
    says when, or the worker holding the message honours it). Raises NotCancelable when the message
    is final, went out for immediate sending, or Twilio answers 30409; TwilioRefused on another 4xx.
    """
    if request_cancel(message):
        return CancelResult(canceled=True)
    if message.twilio_sid is None:  # in flight: the worker that holds it will honour the request
        return CancelResult()
    result = cancel_at_twilio(message, utcnow())
    if result.refused:
        raise NotCancelable(f"Twilio refused to cancel message {message.id}: {result.refused.message} (error 30409)")
    if result.failed:
        raise TwilioRefused(result.failed)
    return result
