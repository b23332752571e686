"""Delivery status precedence and readable error reasons, shared by SMS status callbacks and
Conversations delivery receipts."""

from __future__ import annotations

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
FINAL = {"delivered", "undelivered", "failed", "canceled", "read"}

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
    """Whether a stored status may change to `new`: only upwards, never out of a final one,
    except a delivered Conversations message becoming read."""
    if current is None:
        return True
    if current in FINAL:
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
