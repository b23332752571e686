"""GET /api/voicemails: newest first, filtered by mailbox, never leaking credentials."""

from __future__ import annotations

from tests.support import AUTH_TOKEN, api_headers
from tests.support.builders import call_params, make_mailbox


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
