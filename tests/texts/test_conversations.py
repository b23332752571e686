"""/conversations/events: delivery receipts with delivery precedence; 21610 opts the address out."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.support import Twilio, work
from voicebox.extensions import db
from voicebox.models import DeliveryReceipt
from voicebox.services import optouts

PUBLIC = "https://voicebox.example.com"
CONVERSATION = "CH" + "1" * 32
PARTICIPANT = "MB" + "2" * 32
ADDRESS = "+14155550166"


@pytest.fixture(name="app")
def conversations_app(make_app):
    app = make_app(PUBLIC_BASE_URL=PUBLIC)
    with app.app_context():
        yield app


def event(twilio, kind: str, **params):
    response = twilio.post("/conversations/events", {"EventType": kind, "AccountSid": "AC" + "0" * 32, **params})
    assert response.status_code == 200, response.data
    return response


def receipt(twilio, status: str, *, sid: str = "DY" + "3" * 32, participant: str = PARTICIPANT, **extra):
    return event(
        twilio,
        "onDeliveryUpdated",
        ConversationSid=CONVERSATION,
        MessageSid="IM" + "4" * 32,
        ParticipantSid=participant,
        DeliveryReceiptSid=sid,
        Status=status,
        ChannelMessageSid="SM" + "5" * 32,
        Source="SDK",
        **extra,
    )


def stored() -> DeliveryReceipt:
    db.session.expire_all()
    [row] = db.session.scalars(select(DeliveryReceipt)).all()
    return row


@pytest.mark.parametrize(
    ("order", "final"),
    [
        (["sent", "delivered", "read"], "read"),
        (["delivered", "sent"], "delivered"),
        (["read", "delivered", "sent"], "read"),
        (["failed", "sent", "delivered"], "failed"),
        (["undelivered", "undelivered"], "undelivered"),
    ],
)
def test_receipts_follow_delivery_precedence(app, twilio, order, final):
    for status in order:
        receipt(twilio, status)
    row = stored()
    assert row.status == final
    assert db.session.scalar(select(func.count()).select_from(DeliveryReceipt)) == 1


def test_receipt_keeps_error_code_and_parameters(app, twilio):
    receipt(twilio, "undelivered", ErrorCode="30007")
    row = stored()
    assert (row.error_code, row.raw["ChannelMessageSid"]) == ("30007", "SM" + "5" * 32)
    assert not optouts.is_opted_out(ADDRESS)  # carrier filtering is not an opt-out


def test_21610_opts_out_a_known_participant(app, twilio):
    event(
        twilio,
        "onParticipantAdded",
        ConversationSid=CONVERSATION,
        ParticipantSid=PARTICIPANT,
        **{"MessagingBinding.Address": ADDRESS, "MessagingBinding.ProxyAddress": "+14155550100"},
    )
    receipt(twilio, "failed", ErrorCode="21610")
    assert optouts.is_opted_out(ADDRESS)
    assert [(e.action, e.source) for e in optouts.history(ADDRESS)] == [("opt_out", "21610")]


def test_21610_for_an_unknown_participant_looks_it_up_at_twilio(make_app, conversations_prism_url):
    # The address comes from Twilio's Conversations API (here Prism serving Twilio's own spec, whose
    # canned participant has the address +15558675310), fetched by a job, not in the webhook.
    app = make_app(PUBLIC_BASE_URL=PUBLIC, TWILIO_API_BASE_URL=conversations_prism_url)
    with app.app_context():
        twilio = Twilio(app.test_client(), public_base=PUBLIC)
        receipt(twilio, "failed", ErrorCode="21610", participant="MB" + "9" * 32)
        assert not optouts.is_opted_out("+15558675310")  # the webhook itself only stored and enqueued
        work()
        assert optouts.is_opted_out("+15558675310")


def test_other_events_are_ignored(app, twilio):
    event(twilio, "onMessageAdded", ConversationSid=CONVERSATION, Body="hello", Author="someone")
    event(twilio, "onConversationUpdated", ConversationSid=CONVERSATION)
    assert db.session.scalar(select(func.count()).select_from(DeliveryReceipt)) == 0


def test_missing_fields_are_400_and_forgeries_403(app, twilio, client):
    assert twilio.post("/conversations/events", {"EventType": "onDeliveryUpdated"}).status_code == 400
    forged = Twilio(client, public_base=PUBLIC, token="nope")
    assert forged.post("/conversations/events", {"EventType": "onMessageAdded"}).status_code == 403
