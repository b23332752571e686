"""Small builders used by several test modules."""

from __future__ import annotations

from voicebox.schemas.mailboxes import MailboxIn
from voicebox.services.mailboxes import create_mailbox

TWILIO_NUMBER = "+14155550100"
CALLER = "+14155550199"
OWNER_CELL = "+14155550111"
OWNER_DESK = "+14155550122"
OWNER_HOME = "+14155550133"


def make_mailbox(**fields):
    """Create a mailbox through the same service the API uses."""
    data = {
        "name": "Support",
        "twilio_number": TWILIO_NUMBER,
        "forward_to": [OWNER_CELL],
        "emails": ["owner@example.com"],
        **fields,
    }
    return create_mailbox(MailboxIn(**data))


def call_params(call_sid: str = "CA" + "1" * 32, **extra) -> dict:
    """The core parameters Twilio sends with every voice webhook."""
    return {
        "AccountSid": "AC" + "0" * 32,
        "CallSid": call_sid,
        "From": CALLER,
        "To": TWILIO_NUMBER,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
        **extra,
    }
