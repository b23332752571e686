"""What the voicemail email and SMS copy say, the listen link, and the attachment.

The recording lives on a local stand-in for Twilio's media host that demands the account's basic
auth; the SMS copy goes through the real twilio-python client to the same stand-in."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine

from tests.conftest import ACCOUNT_SID, AUTH_TOKEN
from tests.helpers import OWNER_CELL, OWNER_DESK
from tests.notify_support import (  # noqa: F401  (fixtures)
    AUDIO,
    PUBLIC,
    RECORDING_SID,
    incoming,
    mailbox_fixture,
    notify_app_fixture,
    public_twilio_fixture,
    recording_status,
    standin_fixture,
    transcription,
    voicemail,
    work,
    work_until,
)
from tests.twilio_standin import TwilioStandIn
from voicebox.extensions import db
from voicebox.models import NotifyState
from voicebox.services.voicemail_summary import Summary, duration_display, phone_display, sms_text

TRANSCRIPT = "Hi, this is Jenny <jenny@example.com>. Call me back about invoice #42 & the refund."


def _leave_voicemail(twilio, standin, transcript=TRANSCRIPT):
    incoming(twilio)
    transcription(twilio, transcript)
    recording_status(twilio, standin)
    work()


def _listen_link(message) -> str:
    text = message.get_body(("plain",)).get_content()
    [link] = [word for word in text.split() if word.startswith(PUBLIC)]
    return link


# --- the email -----------------------------------------------------------------------------------


def test_email_headers_parts_and_local_time(app, mailbox, twilio, standin, smtp_server):
    # 22:05 UTC on 3 March 2026 is 14:05 in Los Angeles (PST), the mailbox's zone.
    with time_machine.travel(datetime(2026, 3, 3, 22, 5, tzinfo=UTC), tick=True):
        _leave_voicemail(twilio, standin)

    [received] = smtp_server.received
    message = received.message
    assert message["Subject"] == "New voicemail from +1 415-867-5309 for Support (0:42)"
    assert message["From"] == "voicebox@example.com"
    assert sorted(a.strip() for a in message["To"].split(",")) == ["desk@example.com", "owner@example.com"]
    assert sorted(received.rcpt_tos) == ["desk@example.com", "owner@example.com"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"] == f"<voicemail.{RECORDING_SID}@example.com>"
    assert message.get_content_type() == "multipart/mixed"

    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (text, html):
        assert "+1 415-867-5309" in part  # caller
        assert "+1 415-555-0100" in part  # the number they called
        assert "Tue 3 Mar 2026, 14:05 PST" in part
        assert "0:42" in part
    assert TRANSCRIPT in text
    assert "Hi, this is Jenny &lt;jenny@example.com&gt;. Call me back about invoice #42 &amp; the refund." in html
    assert f'href="{_listen_link(message)}"' in html


def test_email_never_carries_credentials_or_the_twilio_url(app, mailbox, twilio, standin, smtp_server):
    _leave_voicemail(twilio, standin)
    [received] = smtp_server.received
    raw = received.raw.decode("ascii", "replace")
    for part in (received.message.get_body(("plain",)), received.message.get_body(("html",))):
        content = part.get_content()
        assert AUTH_TOKEN not in content
        assert standin.base_url not in content
        assert "/Recordings/" not in content
    assert AUTH_TOKEN not in raw and base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode() not in raw


def test_listen_link_streams_the_recording(app, mailbox, twilio, standin, smtp_server, client):
    _leave_voicemail(twilio, standin)
    link = _listen_link(smtp_server.messages[0])
    assert link.startswith(PUBLIC + "/listen/")

    response = client.get(urlsplit(link).path)
    assert response.status_code == 200
    assert response.mimetype == "audio/mpeg"
    assert response.data == AUDIO
    assert "Set-Cookie" not in response.headers  # nothing of Twilio's passes through
    assert "no-store" in response.headers["Cache-Control"]
    [fetch] = [r for r in standin.requests if r.path.endswith(f"/Recordings/{RECORDING_SID}.mp3")]
    assert fetch.authorization == "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()

    partial = client.get(urlsplit(link).path, headers={"Range": "bytes=0-99"})
    assert partial.status_code == 206 and partial.data == AUDIO[:100]
    assert partial.headers["Content-Range"] == f"bytes 0-99/{len(AUDIO)}"


def test_listen_link_refuses_forged_and_expired_tokens(app, mailbox, twilio, standin, smtp_server, client):
    _leave_voicemail(twilio, standin)
    path = urlsplit(_listen_link(smtp_server.messages[0])).path
    forged = path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")
    assert client.get(forged).status_code == 404
    assert client.get("/listen/" + "x" * 40).status_code == 404
    with time_machine.travel(datetime.now(UTC) + timedelta(days=31)):
        assert client.get(path).status_code == 410
    assert client.get(path).status_code == 200


def test_listen_link_of_a_deleted_voicemail_is_gone(app, mailbox, twilio, standin, smtp_server, client):
    _leave_voicemail(twilio, standin)
    path = urlsplit(_listen_link(smtp_server.messages[0])).path
    vm = voicemail()
    vm.is_deleted = True
    db.session.commit()
    assert client.get(path).status_code == 404


def test_listen_link_never_sends_credentials_to_another_host(app, mailbox, twilio, smtp_server, client):
    # The RecordingUrl points at a host that is neither Twilio nor TWILIO_API_BASE_URL.
    elsewhere = TwilioStandIn(ACCOUNT_SID, AUTH_TOKEN)
    try:
        _leave_voicemail(twilio, elsewhere)
        response = client.get(urlsplit(_listen_link(smtp_server.messages[0])).path)
        assert response.status_code == 502
        assert elsewhere.requests == []
        assert AUTH_TOKEN.encode() not in response.data
    finally:
        elsewhere.close()


def test_listen_link_when_twilio_lost_the_recording(app, mailbox, twilio, standin, smtp_server, client):
    _leave_voicemail(twilio, standin)
    standin.recordings.clear()
    assert client.get(urlsplit(_listen_link(smtp_server.messages[0])).path).status_code == 404


# --- the attachment ------------------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_attachment_is_the_recording(app, mailbox, twilio, standin, smtp_server, chunked):
    standin.chunked = chunked
    app.config.update(MAIL_ATTACH_RECORDING=True, MAIL_ATTACHMENT_MAX_BYTES=len(AUDIO))  # exactly at the cap
    _leave_voicemail(twilio, standin)
    [message] = smtp_server.messages
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "audio/mpeg"
    assert attachment.get_filename() == f"voicemail-{voicemail().id}.mp3"
    assert attachment.get_content() == AUDIO
    assert "not attached" not in message.get_body(("plain",)).get_content()


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_attachment_over_the_cap_is_left_off_with_a_note(app, mailbox, twilio, standin, smtp_server, chunked):
    standin.chunked = chunked  # without Content-Length the cap applies while downloading
    app.config.update(MAIL_ATTACH_RECORDING=True, MAIL_ATTACHMENT_MAX_BYTES=len(AUDIO) - 1)
    _leave_voicemail(twilio, standin)
    [message] = smtp_server.messages
    assert list(message.iter_attachments()) == []
    for part in (message.get_body(("plain",)), message.get_body(("html",))):
        assert "is not attached; use the link" in part.get_content()


def test_attachment_off_by_default(app, mailbox, twilio, standin, smtp_server):
    _leave_voicemail(twilio, standin)
    assert list(smtp_server.messages[0].iter_attachments()) == []
    assert not any(r.path.endswith(".mp3") for r in standin.requests)  # not even fetched


def test_attachment_fetch_failure_still_sends_the_email(app, mailbox, twilio, standin, smtp_server):
    app.config["MAIL_ATTACH_RECORDING"] = True
    incoming(twilio)
    transcription(twilio, TRANSCRIPT)
    standin.recordings[RECORDING_SID] = AUDIO
    recording_status(twilio, standin)
    standin.recordings.clear()  # Twilio answers 404 for the media
    work()
    [message] = smtp_server.messages
    assert list(message.iter_attachments()) == []
    assert "could not be attached" in message.get_body(("plain",)).get_content()


# --- the SMS copy --------------------------------------------------------------------------------


def test_sms_copy_goes_to_the_forward_numbers(app, mailbox, twilio, standin, smtp_server):
    mailbox.sms_notify = True
    db.session.commit()
    _leave_voicemail(twilio, standin, transcript="Please call me back about the order. " * 5)
    work()  # the SMS job queued after the email

    posts = standin.sms_posts()
    assert sorted(p.form["To"] for p in posts) == sorted([OWNER_CELL, OWNER_DESK])
    body = posts[0].form["Body"]
    assert body.startswith("New voicemail from +1 415-867-5309 (0:42): Please call me back")
    assert len(body) == len("New voicemail from +1 415-867-5309 (0:42): ") + 100
    assert posts[0].form["MessagingServiceSid"] == app.config["TWILIO_MESSAGING_SERVICE_SID"]
    assert posts[0].authorization.startswith("Basic ")
    vm = voicemail()
    assert (vm.sms_state, vm.sms_error, vm.notify_state) == (NotifyState.SENT, None, NotifyState.SENT)
    assert len(smtp_server.messages) == 1


def test_sms_copy_is_off_by_default(app, mailbox, twilio, standin, smtp_server):
    _leave_voicemail(twilio, standin)
    work()
    assert standin.sms_posts() == []
    assert voicemail().sms_state == NotifyState.NONE


def test_sms_copy_retries_a_twilio_outage_without_resending_the_email(app, mailbox, twilio, standin, smtp_server):
    mailbox.sms_notify = True
    db.session.commit()
    standin.sms_failures.extend([503])
    _leave_voicemail(twilio, standin)  # one burst: the email, then the SMS job meets the 503
    assert voicemail().sms_state == NotifyState.PENDING and "503" in voicemail().sms_error

    work_until(lambda: voicemail().sms_state == NotifyState.SENT)
    assert sorted(p.form["To"] for p in standin.sms_posts() if p.form.get("Body")) == sorted(
        [OWNER_CELL, OWNER_CELL, OWNER_DESK]  # the first try failed before anything went out
    )
    assert len(smtp_server.messages) == 1


def test_sms_copy_records_a_rejected_number(app, mailbox, twilio, standin, smtp_server):
    mailbox.sms_notify = True
    db.session.commit()
    standin.sms_failures.extend([400])  # e.g. 21211 invalid 'To'
    _leave_voicemail(twilio, standin)
    work()
    vm = voicemail()
    assert vm.sms_state == NotifyState.SENT  # the other number got it
    assert OWNER_CELL in vm.sms_error and "400" in vm.sms_error
    assert [p.form["To"] for p in standin.sms_posts()] == [OWNER_CELL, OWNER_DESK]


# --- formatting ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0, "0:00"), (7, "0:07"), (42, "0:42"), (60, "1:00"), (754, "12:34"), (3725, "1:02:05")]
)
def test_duration_display(seconds, shown):
    assert duration_display(seconds) == shown


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("+14158675309", "+1 415-867-5309"),
        ("+442071838750", "+44 20 7183 8750"),
        ("+266696687", "an unknown caller"),  # how Twilio shows a withheld number
        ("Anonymous", "an unknown caller"),
        (None, "an unknown caller"),
    ],
)
def test_phone_display(raw, shown):
    assert phone_display(raw) == shown


def test_sms_text_without_transcript():
    summary = Summary("+1 415-867-5309", "+1 415-555-0100", "Support", "now", "0:42", None)
    assert sms_text(summary) == "New voicemail from +1 415-867-5309 (0:42). Transcript unavailable; see your email."
