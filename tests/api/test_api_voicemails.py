"""/api/voicemails: newest first, filtered by mailbox, never leaking credentials; read/unread and soft delete."""

from __future__ import annotations

from tests.support import AUTH_TOKEN, api_headers
from tests.support.builders import call_params, make_mailbox
from voicebox.extensions import db
from voicebox.models import Voicemail


def leave_voicemail(twilio, n: int, to: str = "+14155550100"):
    call_sid = f"CA{n:032d}"
    twilio.post("/voice/incoming", call_params(call_sid, To=to))
    twilio.post(
        "/voice/recording-status",
        {
            "CallSid": call_sid,
            "RecordingSid": f"RE{n:032d}",
            "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE{n:032d}",
            "RecordingStatus": "completed",
            "RecordingDuration": str(10 + n),
        },
    )
    twilio.post(
        "/voice/transcription",
        {
            "CallSid": call_sid,
            "RecordingSid": f"RE{n:032d}",
            "TranscriptionText": f"message {n}",
            "TranscriptionStatus": "completed",
        },
    )


def test_list_newest_first_with_mailbox_filter(app, client, twilio):
    support = make_mailbox()
    sales = make_mailbox(name="Sales", twilio_number="+14155550177")
    leave_voicemail(twilio, 1)
    leave_voicemail(twilio, 2, to="+14155550177")
    leave_voicemail(twilio, 3)
    items = client.get("/api/voicemails", headers=api_headers()).get_json()["items"]
    assert [vm["recording_sid"] for vm in items] == [f"RE{n:032d}" for n in (3, 2, 1)]
    only_support = client.get(f"/api/voicemails?mailbox={support.id}", headers=api_headers()).get_json()["items"]
    assert [vm["transcript"] for vm in only_support] == ["message 3", "message 1"]
    only_sales = client.get(f"/api/voicemails?mailbox={sales.id}", headers=api_headers()).get_json()["items"]
    assert [vm["to"] for vm in only_sales] == ["+14155550177"]


def test_one_voicemail_has_the_documented_fields(app, client, twilio):
    make_mailbox()
    leave_voicemail(twilio, 7)
    listed = client.get("/api/voicemails", headers=api_headers()).get_json()["items"][0]
    vm = client.get(f"/api/voicemails/{listed['id']}", headers=api_headers()).get_json()
    assert vm == listed
    expected = {
        "id",
        "call_sid",
        "recording_sid",
        "from",
        "to",
        "duration",
        "recording_url",
        "transcript",
        "transcription_status",
        "created_at",
    }
    assert expected <= set(vm)
    assert (vm["from"], vm["duration"], vm["transcription_status"]) == ("+14155550199", 17, "completed")
    assert AUTH_TOKEN not in str(vm)


def test_bad_filters_and_missing_voicemail(client):
    bad = client.get("/api/voicemails?mailbox=abc", headers=api_headers())
    assert (bad.status_code, bad.get_json()["error"]["field"]) == (400, "mailbox")
    assert client.get("/api/voicemails?limit=0", headers=api_headers()).status_code == 400
    missing = client.get("/api/voicemails/999", headers=api_headers())
    assert missing.status_code == 404


def test_deleting_a_mailbox_keeps_its_voicemails_unlinked(app, client, twilio):
    old = make_mailbox()
    leave_voicemail(twilio, 1)
    assert client.delete(f"/api/mailboxes/{old.id}", headers=api_headers()).status_code == 204
    new = make_mailbox(name="New", twilio_number="+14155550177")
    [vm] = client.get("/api/voicemails", headers=api_headers()).get_json()["items"]
    assert vm["mailbox_id"] is None and vm["transcript"] == "message 1"
    assert client.get(f"/api/voicemails?mailbox={new.id}", headers=api_headers()).get_json()["items"] == []


def test_mark_read_and_unread(app, client, twilio):
    make_mailbox()
    leave_voicemail(twilio, 4)
    [vm] = client.get("/api/voicemails", headers=api_headers()).get_json()["items"]
    assert vm["is_read"] is False
    read = client.patch(f"/api/voicemails/{vm['id']}", json={"read": True}, headers=api_headers())
    assert read.status_code == 200 and read.get_json()["is_read"] is True
    assert client.get(f"/api/voicemails/{vm['id']}", headers=api_headers()).get_json()["is_read"] is True
    db.session.rollback()  # the requests share this test's session: drop anything the service left uncommitted
    assert db.session.get(Voicemail, vm["id"]).is_read is True
    unread = client.patch(f"/api/voicemails/{vm['id']}", json={"read": False}, headers=api_headers())
    assert unread.get_json()["is_read"] is False
    db.session.rollback()
    assert db.session.get(Voicemail, vm["id"]).is_read is False


def test_mark_read_rejects_bad_bodies(app, client, twilio):
    make_mailbox()
    leave_voicemail(twilio, 5)
    [vm] = client.get("/api/voicemails", headers=api_headers()).get_json()["items"]
    for body, field in (({}, "read"), ({"read": "maybe"}, "read"), ({"read": True, "deleted": True}, "deleted")):
        answer = client.patch(f"/api/voicemails/{vm['id']}", json=body, headers=api_headers())
        assert answer.status_code == 400, body
        assert answer.get_json()["error"]["code"] == "validation_error"
        assert answer.get_json()["error"]["field"] == field
    missing = client.patch("/api/voicemails/999", json={"read": True}, headers=api_headers())
    assert (missing.status_code, missing.get_json()["error"]["code"]) == (404, "not_found")
    assert client.patch(f"/api/voicemails/{vm['id']}", json={"read": True}).status_code == 401


def test_delete_hides_the_voicemail_but_keeps_the_row(app, client, twilio):
    make_mailbox()
    leave_voicemail(twilio, 6)
    leave_voicemail(twilio, 8)
    old, new = sorted(client.get("/api/voicemails", headers=api_headers()).get_json()["items"], key=lambda vm: vm["id"])
    assert client.delete(f"/api/voicemails/{old['id']}", headers=api_headers()).status_code == 204
    listed = client.get("/api/voicemails", headers=api_headers()).get_json()["items"]
    assert [vm["id"] for vm in listed] == [new["id"]]
    for answer in (
        client.get(f"/api/voicemails/{old['id']}", headers=api_headers()),
        client.patch(f"/api/voicemails/{old['id']}", json={"read": True}, headers=api_headers()),
        client.delete(f"/api/voicemails/{old['id']}", headers=api_headers()),
    ):
        assert (answer.status_code, answer.get_json()["error"]["code"]) == (404, "not_found")
    db.session.rollback()  # committed, not only pending in the shared session
    row = db.session.get(Voicemail, old["id"])
    assert row.is_deleted is True and row.transcript == "message 6"
