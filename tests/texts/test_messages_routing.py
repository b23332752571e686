"""Routing of one text by Twilio's scheduling window: our own send, hand-off at once, or wait in our database."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from tests.support import work
from tests.texts.steps import (
    NOW,
    PUBLIC,
    SERVICE,
    TO,
    iso,
    message,
    post,
    scheduled_jobs,
    send_at_param,
)

WINDOW_START = timedelta(seconds=1200)
WINDOW_END = timedelta(days=35)
HANDOFF_LEAD = timedelta(minutes=10)
ONE = timedelta(seconds=1)


def test_no_send_at_is_sent_at_once_without_scheduling(client, prism):
    with time_machine.travel(NOW, tick=False):
        answer = post(client, "/api/messages", {"to": "+1 415 555 0123", "body": "Your table is ready"})
    assert answer.status_code == 201, answer.json
    out = answer.json
    assert out["status"] == "queued" and out["twilio_sid"].startswith("SM") and out["send_at"] is None
    [create] = prism.creates()
    assert create.accepted_by_prism
    assert create.data["To"] == TO and create.data["Body"] == "Your table is ready"
    assert create.data["MessagingServiceSid"] == SERVICE
    assert create.data["StatusCallback"] == f"{PUBLIC}/sms/status"
    assert "SendAt" not in create.data and "ScheduleType" not in create.data
    assert [e["kind"] for e in out["events"]] == ["created", "sent_to_twilio"]


def test_inside_the_window_is_handed_to_twilio_at_once_with_send_at(client, prism):
    send_at = NOW + timedelta(hours=2)
    with time_machine.travel(NOW, tick=False):
        answer = post(client, "/api/messages", {"to": TO, "body": "Reminder", "send_at": "2027-02-01T12:00:00-05:00"})
    assert answer.status_code == 201, answer.json
    assert answer.json["status"] == "scheduled"
    assert answer.json["send_at"] == "2027-02-01T17:00:00Z"
    [create] = prism.creates()
    assert create.accepted_by_prism
    assert create.data["SendAt"] == send_at_param(send_at) == "2027-02-01T17:00:00Z"
    assert create.data["ScheduleType"] == "fixed"
    assert create.data["MessagingServiceSid"] == SERVICE
    assert create.data["StatusCallback"] == f"{PUBLIC}/sms/status"
    assert answer.json["twilio_sid"] == create.body["sid"]
    assert [e["kind"] for e in answer.json["events"]] == ["created", "handed_off"]


def test_media_urls_are_sent_as_media_url(client, prism):
    with time_machine.travel(NOW, tick=False):
        body = {"to": TO, "body": "Map", "media_urls": ["https://example.com/a.png", "https://example.com/b.jpg"]}
        answer = post(client, "/api/messages", body)
    assert answer.json["media_urls"] == ["https://example.com/a.png", "https://example.com/b.jpg"]
    [create] = prism.creates()
    assert create.accepted_by_prism
    assert create.data["MediaUrl"] == ["https://example.com/a.png", "https://example.com/b.jpg"]


def test_naive_send_at_is_read_in_its_timezone(client, prism):
    with time_machine.travel(NOW, tick=False):
        answer = post(
            client,
            "/api/messages",
            {"to": TO, "body": "x", "send_at": "2027-02-01T12:00:00", "timezone": "America/Los_Angeles"},
        )
    assert answer.json["send_at"] == "2027-02-01T20:00:00Z"
    assert prism.creates()[0].data["SendAt"] == "2027-02-01T20:00:00Z"


def test_window_start_edge(client, prism):
    """At exactly TWILIO_SCHEDULE_MIN_SECONDS ahead it goes to Twilio; one second closer, we send it."""
    with time_machine.travel(NOW, tick=False):
        at_edge = post(client, "/api/messages", {"to": TO, "body": "edge", "send_at": iso(NOW + WINDOW_START)})
        inside = post(client, "/api/messages", {"to": TO, "body": "close", "send_at": iso(NOW + WINDOW_START - ONE)})
    assert at_edge.json["status"] == "scheduled"
    assert inside.json["status"] == "queued" and inside.json["twilio_sid"] is None
    assert [c.data["Body"] for c in prism.creates()] == ["edge"]
    assert list(scheduled_jobs().values()) == [NOW + WINDOW_START - ONE]


def test_too_close_for_twilio_is_sent_by_us_at_its_time(client, prism):
    send_at = NOW + timedelta(minutes=10)
    with time_machine.travel(NOW, tick=False):
        message_id = post(client, "/api/messages", {"to": TO, "body": "soon", "send_at": iso(send_at)}).json["id"]
        work()  # nothing is due yet: RQ keeps the job in its scheduled registry
    assert prism.creates() == []
    assert message(message_id).status == "queued"
    with time_machine.travel(send_at - ONE, tick=False):
        work()
    assert prism.creates() == []
    with time_machine.travel(send_at, tick=False):
        work()
    [create] = prism.creates()
    assert create.accepted_by_prism and "SendAt" not in create.data and "ScheduleType" not in create.data
    assert create.data["StatusCallback"] == f"{PUBLIC}/sms/status"
    row = message(message_id)
    assert row.status == "queued" and row.twilio_sid == create.body["sid"] and row.due_at is None


def test_window_end_edge(client, prism):
    """At exactly TWILIO_SCHEDULE_MAX_DAYS ahead it goes to Twilio; one second further, it waits with us."""
    with time_machine.travel(NOW, tick=False):
        at_edge = post(client, "/api/messages", {"to": TO, "body": "edge", "send_at": iso(NOW + WINDOW_END)})
        beyond = post(client, "/api/messages", {"to": TO, "body": "far", "send_at": iso(NOW + WINDOW_END + ONE)})
    assert at_edge.json["status"] == "scheduled"
    assert beyond.json["status"] == "pending" and beyond.json["twilio_sid"] is None
    assert [c.data["Body"] for c in prism.creates()] == ["edge"]


def test_beyond_the_window_is_handed_off_when_it_enters(client, prism):
    send_at = NOW + timedelta(days=50)
    handoff = send_at - WINDOW_END + HANDOFF_LEAD
    with time_machine.travel(NOW, tick=False):
        message_id = post(client, "/api/messages", {"to": TO, "body": "follow-up", "send_at": iso(send_at)}).json["id"]
    assert message(message_id).due_at == handoff
    assert list(scheduled_jobs().values()) == [handoff]
    with time_machine.travel(handoff - ONE, tick=False):
        work()
    assert prism.creates() == [] and message(message_id).status == "pending"
    with time_machine.travel(handoff, tick=False):
        work()
    [create] = prism.creates()
    assert create.accepted_by_prism
    assert create.data["SendAt"] == send_at_param(send_at) and create.data["ScheduleType"] == "fixed"
    row = message(message_id)
    assert row.status == "scheduled" and row.twilio_sid == create.body["sid"] and row.due_at is None
    # Inside Twilio's window, as it must be.
    assert WINDOW_START <= send_at - handoff <= WINDOW_END


def test_a_late_hand_off_that_missed_the_window_is_sent_by_us_at_its_time(client, prism):
    """Workers down for weeks: the message is now too close for Twilio, so we send it at send_at ourselves."""
    send_at = NOW + timedelta(days=50)
    with time_machine.travel(NOW, tick=False):
        message_id = post(client, "/api/messages", {"to": TO, "body": "late", "send_at": iso(send_at)}).json["id"]
    with time_machine.travel(send_at - timedelta(minutes=5), tick=False):
        work()
    assert prism.creates() == [] and message(message_id).status == "queued"
    with time_machine.travel(send_at, tick=False):
        work()
    [create] = prism.creates()
    assert "SendAt" not in create.data and message(message_id).twilio_sid == create.body["sid"]
