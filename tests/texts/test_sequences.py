"""Drip sequences: DST-correct step times with zoneinfo, quiet hours, routing per step, cancel, validation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from tests.support import work
from tests.texts.steps import (
    TO,
    get,
    message,
    post,
)
from voicebox.extensions import db
from voicebox.models import Message

# Monday 8 March 2027, 07:00 in New York. New York and Chicago spring forward on Sunday the 14th.
NOW = datetime(2027, 3, 8, 12, 0, tzinfo=UTC)


def make_sequence(client, steps, **extra) -> dict:
    with time_machine.travel(NOW, tick=False):
        answer = post(client, "/api/sequences", {"name": "Post-op", "steps": steps, **extra})
    assert answer.status_code == 201, answer.json
    return answer.json


def enroll(client, sequence_id: int, anchor: str, timezone: str = "America/New_York", to: str = TO):
    with time_machine.travel(NOW, tick=False):
        return post(
            client, f"/api/sequences/{sequence_id}/enrollments", {"to": to, "anchor": anchor, "timezone": timezone}
        )


def send_times(enrollment: dict) -> list[str]:
    return [m["send_at"] for m in enrollment["messages"]]


def test_steps_keep_local_time_across_the_march_dst_change(client, prism):
    seq = make_sequence(client, [{"offset_days": d, "at": "18:00", "body": f"day {d}"} for d in (0, 7)])
    answer = enroll(client, seq["id"], "2027-03-10")
    assert answer.status_code == 201, answer.json
    # 18:00 EST is 23:00Z; a week later 18:00 EDT is 22:00Z (7 x 24 h would have been 19:00 local).
    assert send_times(answer.json) == ["2027-03-10T23:00:00Z", "2027-03-17T22:00:00Z"]
    assert [c.data["SendAt"] for c in prism.creates()] == ["2027-03-10T23:00:00Z", "2027-03-17T22:00:00Z"]
    assert all(c.accepted_by_prism and c.data["ScheduleType"] == "fixed" for c in prism.creates())


def test_a_step_in_the_spring_forward_gap_moves_forward_by_the_gap(client):
    seq = make_sequence(client, [{"offset_days": 4, "at": "02:30", "body": "x"}])
    # 02:30 on 14 March 2027 does not exist in New York; it becomes 03:30 EDT.
    assert send_times(enroll(client, seq["id"], "2027-03-10").json) == ["2027-03-14T07:30:00Z"]


def test_a_repeated_autumn_time_is_its_first_occurrence(client):
    seq = make_sequence(client, [{"offset_days": 1, "at": "01:30", "body": "x"}])
    # 01:30 happens twice on 7 November 2027; the first one is EDT (-04:00).
    assert send_times(enroll(client, seq["id"], "2027-11-06").json) == ["2027-11-07T05:30:00Z"]


def test_offset_minutes_are_elapsed_time_across_the_change(client):
    seq = make_sequence(client, [{"offset_minutes": 120, "body": "x"}])
    # 01:30 EST + 2 h of real time = 04:30 EDT (a wall-clock +2 h would say 03:30).
    assert send_times(enroll(client, seq["id"], "2027-03-14T01:30:00").json) == ["2027-03-14T08:30:00Z"]


def test_an_anchor_with_an_offset_is_read_on_the_recipients_wall_clock(client):
    seq = make_sequence(client, [{"offset_days": 1, "body": "same time tomorrow"}])
    # 2027-03-13T15:00Z is 10:00 in New York; "tomorrow, same time" is 10:00 EDT = 14:00Z.
    assert send_times(enroll(client, seq["id"], "2027-03-13T15:00:00Z").json) == ["2027-03-14T14:00:00Z"]


def test_each_step_is_routed_like_any_text(client, prism):
    seq = make_sequence(
        client,
        [
            {"offset_minutes": 5, "body": "soon"},
            {"offset_days": 7, "at": "18:00", "body": "week"},
            {"offset_days": 40, "at": "18:00", "body": "later"},
        ],
    )
    answer = enroll(client, seq["id"], "2027-03-08T07:00:00")  # = NOW
    assert [m["status"] for m in answer.json["messages"]] == ["queued", "scheduled", "pending"]
    assert [c.data["Body"] for c in prism.creates()] == ["week"]
    with time_machine.travel(datetime(2027, 3, 8, 12, 5, tzinfo=UTC), tick=False):
        work()
    assert [c.data["Body"] for c in prism.creates()] == ["week", "soon"]
    assert all(
        m["sequence_id"] == seq["id"] and m["enrollment_id"] == answer.json["id"] for m in answer.json["messages"]
    )


def test_quiet_hours_move_a_step_to_the_next_allowed_minute(client):
    seq = make_sequence(
        client,
        [
            {"offset_days": 1, "at": "22:30", "body": "late"},
            {"offset_days": 1, "at": "06:00", "body": "early"},
            {"offset_days": 1, "at": "12:00", "body": "noon"},
            {"offset_days": 1, "at": "21:00", "body": "start is quiet"},
            {"offset_days": 1, "at": "08:00", "body": "end is allowed"},
            {"offset_days": 3, "at": "23:00", "body": "night before the change"},
        ],
        quiet_hours=["21:00", "08:00"],
    )
    assert seq["quiet_hours"] == ["21:00", "08:00"]
    times = send_times(enroll(client, seq["id"], "2027-03-10", timezone="America/Chicago").json)
    assert times == [
        "2027-03-12T14:00:00Z",  # 22:30 on the 11th -> 08:00 CST on the 12th
        "2027-03-11T14:00:00Z",  # 06:00 -> 08:00 the same day
        "2027-03-11T18:00:00Z",  # noon: untouched
        "2027-03-12T14:00:00Z",
        "2027-03-11T14:00:00Z",
        "2027-03-14T13:00:00Z",  # 23:00 CST on the 13th -> 08:00 CDT on the 14th
    ]


def test_quiet_hours_that_do_not_wrap_midnight(client):
    seq = make_sequence(
        client,
        [{"offset_days": 1, "at": "12:15", "body": "lunch"}, {"offset_days": 1, "at": "13:30", "body": "after"}],
        quiet_hours=["12:00", "13:30"],
    )
    times = send_times(enroll(client, seq["id"], "2027-03-10", timezone="UTC").json)
    assert times == ["2027-03-11T13:30:00Z", "2027-03-11T13:30:00Z"]


def test_cancel_an_enrollment_cancels_every_unsent_message(client, prism):
    seq = make_sequence(
        client,
        [
            {"offset_minutes": 5, "body": "soon"},
            {"offset_days": 7, "at": "18:00", "body": "week"},
            {"offset_days": 40, "at": "18:00", "body": "later"},
            {"offset_days": 14, "at": "18:00", "body": "done"},
        ],
    )
    enrollment = enroll(client, seq["id"], "2027-03-08T07:00:00").json
    done = enrollment["messages"][3]["id"]
    db.session.execute(Message.__table__.update().where(Message.id == done).values(status="delivered"))
    db.session.commit()
    with time_machine.travel(NOW, tick=False):
        answer = client.delete(f"/api/enrollments/{enrollment['id']}", headers=_auth())
    assert answer.status_code == 200
    assert answer.json["status"] == "canceled" and answer.json["canceled_at"] == "2027-03-08T12:00:00Z"
    assert [m["status"] for m in answer.json["messages"]] == ["canceled", "canceled", "canceled", "delivered"]
    [cancel] = prism.cancels()
    assert cancel.accepted_by_prism and enrollment["messages"][1]["twilio_sid"] in cancel.path
    with time_machine.travel(NOW, tick=False):
        again = client.delete(f"/api/enrollments/{enrollment['id']}", headers=_auth())
    assert again.status_code == 200 and len(prism.cancels()) == 1
    with time_machine.travel(datetime(2027, 5, 1, tzinfo=UTC), tick=False):
        work()
    assert len(prism.creates()) == 2  # "week" and "done" were handed off at enrolment; nothing since
    assert message(enrollment["messages"][0]["id"]).status == "canceled"


def test_get_sequences_and_enrollments(client):
    seq = make_sequence(client, [{"offset_days": 1, "at": "09:00", "body": "x"}])
    enrollment = enroll(client, seq["id"], "2027-03-10").json
    assert get(client, "/api/sequences").json["items"] == [seq]
    assert get(client, f"/api/sequences/{seq['id']}").json == seq
    assert get(client, f"/api/sequences/{seq['id']}/enrollments").json["items"] == [enrollment]
    assert get(client, f"/api/enrollments/{enrollment['id']}").json == enrollment
    assert [m["id"] for m in get(client, f"/api/messages?sequence={seq['id']}").json["items"]] == [
        enrollment["messages"][0]["id"]
    ]
    assert get(client, f"/api/sequences/{10**9}").status_code == 404
    assert get(client, f"/api/enrollments/{10**9}").status_code == 404
    assert client.delete(f"/api/enrollments/{10**9}", headers=_auth()).status_code == 404


STEP = {"offset_days": 1, "at": "18:00", "body": "x"}


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"steps": [STEP]}, "name", "is required"),
        ({"name": "", "steps": [STEP]}, "name", "at least 1 character"),
        ({"name": "a"}, "steps", "is required"),
        ({"name": "a", "steps": []}, "steps", "at least 1 item"),
        ({"name": "a", "steps": [{"offset_days": 1}]}, "steps.0.body", "is required"),
        ({"name": "a", "steps": [{**STEP, "body": "x" * 1601}]}, "steps.0.body", "at most 1600"),
        ({"name": "a", "steps": [{**STEP, "at": "6pm"}]}, "steps.0.at", "HH:MM"),
        ({"name": "a", "steps": [{**STEP, "at": "24:00"}]}, "steps.0.at", "HH:MM"),
        ({"name": "a", "steps": [{**STEP, "offset_days": -1}]}, "steps.0.offset_days", "greater than or equal to 0"),
        ({"name": "a", "steps": [{**STEP, "offset_minutes": 600000}]}, "steps.0.offset_minutes", "less than"),
        ({"name": "a", "steps": [STEP, {**STEP, "delay": 3}]}, "steps.1.delay", "not a known field"),
        ({"name": "a", "steps": [STEP], "quiet_hours": ["21:00"]}, "quiet_hours", "at least 2"),
        ({"name": "a", "steps": [STEP], "quiet_hours": ["21:00", "21:00"]}, "quiet_hours", "must differ"),
        ({"name": "a", "steps": [STEP], "quiet_hours": ["9pm", "08:00"]}, "quiet_hours.0", "HH:MM"),
    ],
)
def test_sequence_validation_errors_name_the_field(client, body, field, words):
    answer = post(client, "/api/sequences", body)
    assert answer.status_code == 400, answer.json
    assert answer.json["error"]["field"] == field and words in answer.json["error"]["message"]


def test_a_duplicate_sequence_name_is_409(client):
    make_sequence(client, [STEP])
    answer = post(client, "/api/sequences", {"name": "Post-op", "steps": [STEP]})
    assert answer.status_code == 409 and answer.json["error"]["field"] == "name"


@pytest.mark.parametrize(
    ("steps", "body", "field", "words"),
    [
        ([STEP], {"anchor": "2027-03-10", "timezone": "UTC"}, "to", "is required"),
        ([STEP], {"to": "+1 555", "anchor": "2027-03-10", "timezone": "UTC"}, "to", "phone number"),
        ([STEP], {"to": TO, "anchor": "2027-03-10"}, "timezone", "is required"),
        ([STEP], {"to": TO, "anchor": "2027-03-10", "timezone": "Europe/Atlantis"}, "timezone", "unknown IANA"),
        ([STEP], {"to": TO, "timezone": "UTC"}, "anchor", "is required"),
        ([STEP], {"to": TO, "anchor": "10/03/2027", "timezone": "UTC"}, "anchor", "ISO-8601 date"),
        (
            [{"offset_days": 1, "body": "x"}],
            {"to": TO, "anchor": "2027-03-10", "timezone": "UTC"},
            "anchor",
            "needs an 'at'",
        ),
        ([STEP], {"to": TO, "anchor": "2027-03-01", "timezone": "UTC"}, "anchor", "in the past"),
        ([{**STEP, "offset_days": 400}], {"to": TO, "anchor": "2027-03-10", "timezone": "UTC"}, "anchor", "365 days"),
        ([STEP], {"to": TO, "anchor": "2027-03-10", "timezone": "UTC", "name": "x"}, "name", "not a known field"),
    ],
)
def test_enrollment_validation_errors_name_the_field(client, prism, steps, body, field, words):
    seq = make_sequence(client, steps)
    with time_machine.travel(NOW, tick=False):
        answer = post(client, f"/api/sequences/{seq['id']}/enrollments", body)
    assert answer.status_code == 400, answer.json
    assert answer.json["error"]["field"] == field and words in answer.json["error"]["message"]
    assert db.session.query(Message).count() == 0 and prism.exchanges == []


def test_enrol_in_an_unknown_sequence_is_404(client):
    assert enroll(client, 10**9, "2027-03-10").status_code == 404


def _auth() -> dict:
    from tests.support import api_headers

    return api_headers()
