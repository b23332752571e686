"""The delivery status ladder, readable error reasons, and SMS status callbacks.

The ladder is shared by SMS status callbacks and Conversations delivery receipts: every callback is
kept, and a status only moves forward.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from ..extensions import db
from ..models import Message, MessageEvent
from . import optouts

# Twilio's status callbacks arrive out of order and more than once (`sent` after `delivered`), so a
# status only ever moves up this ladder, and a final status is never regressed.
RANK: dict[str, int] = {
    "pending": 0,
    "accepted": 1,
    "scheduled": 1,
    "queued": 2,
    "sending": 3,
    "sent": 4,
    "delivered": 5,
    "undelivered": 5,
    "failed": 5,
    "canceled": 5,
    "read": 6,  # Conversations only: a delivered message later read
}
# Top of the ladder: no callback moves a message out of these (but delivered -> read).
SETTLED = frozenset({"delivered", "undelivered", "failed", "canceled", "read"})

ERROR_REASONS: dict[str, str] = {
    "30003": "unreachable handset (phone off or out of coverage)",
    "30004": "message blocked (by the recipient or their carrier)",
    "30005": "unknown handset (the number does not exist)",
    "30006": "landline or unreachable carrier",
    "30007": "filtered by the carrier (spam filtering, not an opt-out)",
    "30008": "unknown error from the carrier",
    "21610": "recipient unsubscribed (replied STOP)",
    "30409": "already final at Twilio, cannot be canceled",
}
UNSUBSCRIBED = "21610"


def can_move(current: str | None, new: str) -> bool:
    """Whether a stored status may change to `new`: only upwards, never out of a settled one,
    except a delivered Conversations message becoming read."""
    if current is None:
        return True
    if current in SETTLED:
        return current == "delivered" and new == "read"
    return RANK.get(new, -1) > RANK.get(current, -1)


def statuses_below(new: str) -> list[str]:
    """The stored statuses that `new` may replace, for a conditional UPDATE ... WHERE status IN (...)."""
    return [status for status in RANK if status != new and can_move(status, new)]


def reason(error_code: str | int | None) -> str | None:
    """A readable reason for a Twilio error code, or None when there is no code."""
    if error_code in (None, "", "0", 0):
        return None
    code = str(error_code)
    return ERROR_REASONS.get(code, f"Twilio error {code}")


@dataclass(frozen=True)
class CallbackResult:
    """What a status callback changed: the message it names (if known) and a number that just
    opted out because Twilio refused with 21610."""

    message_id: int | None
    unsubscribed: str | None = None


def record_callback(params: dict[str, Any], sid: str, status: str) -> CallbackResult:
    """Store the callback as an event and advance the message's status by delivery precedence.

    Twilio sends callbacks out of order and more than once; a conditional UPDATE (status IN the ones
    this status may replace) keeps `sent` from overwriting `delivered`, even when two arrive at once.
    A callback for a MessageSid we do not know is still stored, with no message attached.
    """
    status = status.lower()
    error_code = params.get("ErrorCode") or None
    message = db.session.scalar(select(Message).where(Message.twilio_sid == sid))
    db.session.add(
        MessageEvent(
            message_id=message.id if message else None,
            twilio_sid=sid,
            kind="status_callback",
            status=status,
            error_code=error_code,
            detail=reason(error_code),
            params=params,
        )
    )
    if message is not None:
        _advance(message.id, status, error_code)
    db.session.commit()
    if message is None or error_code != UNSUBSCRIBED:
        return CallbackResult(message.id if message else None)
    return CallbackResult(message.id, _unsubscribed(message, sid))


def adopt_early_callbacks(message: Message) -> str | None:
    """Attach callbacks that arrived before we committed the message's SID, and apply them.

    Twilio can call /sms/status within milliseconds of accepting a message, before the worker that
    sent it has stored the SID; such callbacks were kept unattached (see record_callback).
    Returns the recipient's number when one of them was a 21610 refusal (they opted out).
    """
    early = db.session.scalars(
        select(MessageEvent).where(
            MessageEvent.message_id.is_(None),
            MessageEvent.twilio_sid == message.twilio_sid,
            MessageEvent.kind == "status_callback",
        )
    ).all()
    for event in early:
        event.message_id = message.id
        if event.status:  # always set on a status callback (the column is nullable for other kinds)
            _advance(message.id, event.status, event.error_code)
    db.session.commit()
    if any(event.error_code == UNSUBSCRIBED for event in early):
        return _unsubscribed(message, message.twilio_sid)
    return None


def _advance(message_id: int, status: str, error_code: str | None) -> None:
    values: dict[str, Any] = {"status": status}
    if error_code:
        values |= {
            "error_code": error_code,
            "error_message": reason(error_code),
            "error_more_info": f"https://www.twilio.com/docs/api/errors/{error_code}",
        }
    db.session.execute(
        update(Message).where(Message.id == message_id, Message.status.in_(statuses_below(status))).values(**values)
    )


def _unsubscribed(message: Message, sid: str | None) -> str:
    # 21610: Twilio refused because the recipient replied STOP (possibly to another number of ours).
    optouts.set_opted_out(message.to_number, True, "21610", f"status callback for {sid}")
    return message.to_number
