"""What the voicemail email and SMS copy say, the listen link, and the attachment.

The recording lives on a local stand-in for Twilio's media host that demands the account's basic
auth; the SMS copy becomes outgoing texts, delivered by the texts pipeline through the real
twilio-python client to the same stand-in."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from sqlalchemy import select

from tests.notifications.steps import (
    AUDIO,
    PUBLIC,
    RECORDING_SID,
    incoming,
    notify_settings,
    recording_status,
    transcription,
    voicemail,
)
from tests.support import ACCOUNT_SID, AUTH_TOKEN, Twilio, api_headers, work
from tests.support.builders import OWNER_CELL, OWNER_DESK, make_mailbox
from tests.support.standin import TwilioStandIn
from voicebox.extensions import db
from voicebox.models import Message, NotifyState, utcnow
from voicebox.services import optouts
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
        assert "Tuesday, March 3, 2026, 2:05\u202fPM Pacific Standard Time" in part  # CLDR en-US
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


# --- the SMS copy: texts through the texts pipeline (services.messages, jobs.messages) ---------------


def _texts() -> dict[str, Message]:
    """The outgoing messages, by recipient, as the database has them now."""
    db.session.expire_all()
    rows = db.session.scalars(select(Message).order_by(Message.id)).all()
    by_number = {m.to_number: m for m in rows}
    assert len(by_number) == len(rows), "one text per number"
    return by_number


def _events(message: Message) -> list[str]:
    return [e.kind for e in sorted(message.events, key=lambda e: e.id)]


def _sms_copy_on(mailbox) -> None:
    mailbox.sms_notify = True
    db.session.commit()


def test_sms_copy_goes_to_the_forward_numbers_as_texts(app, mailbox, twilio, standin, smtp_server, client):
    _sms_copy_on(mailbox)
    _leave_voicemail(twilio, standin, transcript="Please call me back about the order. " * 5)
    work()  # nothing left: the email, the SMS copy and both texts' deliveries ran in one burst

    posts = standin.sms_posts()
    assert sorted(p.form["To"] for p in posts) == sorted([OWNER_CELL, OWNER_DESK])
    body = posts[0].form["Body"]
    assert body.startswith("New voicemail from +1 415-867-5309 (0:42): Please call me back")
    assert len(body) == len("New voicemail from +1 415-867-5309 (0:42): ") + 100
    for post in posts:
        assert post.form["Body"] == body
        assert post.form["MessagingServiceSid"] == app.config["TWILIO_MESSAGING_SERVICE_SID"]
        assert post.form["StatusCallback"] == f"{PUBLIC}/sms/status"
        assert "From" not in post.form and "SendAt" not in post.form
        assert post.authorization.startswith("Basic ")
    vm = voicemail()
    assert (vm.sms_state, vm.sms_error, vm.notify_state) == (NotifyState.SENT, None, NotifyState.SENT)
    assert len(smtp_server.messages) == 1

    texts = _texts()
    assert sorted(texts) == sorted([OWNER_CELL, OWNER_DESK])
    for text in texts.values():
        assert (text.status, text.body, text.error_code) == ("queued", body, None)
        assert text.twilio_sid.startswith("SM") and _events(text) == ["created", "sent_to_twilio"]
    assert texts[OWNER_CELL].twilio_sid != texts[OWNER_DESK].twilio_sid
    listed = client.get("/api/messages", headers=api_headers())
    assert listed.status_code == 200
    assert sorted((m["to"], m["status"], m["body"]) for m in listed.json["items"]) == sorted(
        [(OWNER_CELL, "queued", body), (OWNER_DESK, "queued", body)]
    )


def test_sms_copy_is_off_by_default(app, mailbox, twilio, standin, smtp_server):
    _leave_voicemail(twilio, standin)
    work()
    assert len(smtp_server.messages) == 1
    assert standin.sms_posts() == []
    assert _texts() == {}
    assert voicemail().sms_state == NotifyState.NONE


def test_sms_copy_skips_a_number_that_opted_out(app, mailbox, twilio, standin, smtp_server):
    _sms_copy_on(mailbox)
    assert optouts.set_opted_out(OWNER_DESK, True, "keyword", "STOP")
    _leave_voicemail(twilio, standin)

    assert [p.form["To"] for p in standin.sms_posts()] == [OWNER_CELL]
    assert sorted(_texts()) == [OWNER_CELL]
    vm = voicemail()
    assert (vm.sms_state, vm.sms_error) == (NotifyState.SENT, f"{OWNER_DESK}: opted out")


def test_sms_copy_fails_when_every_number_opted_out(app, mailbox, twilio, standin, smtp_server):
    _sms_copy_on(mailbox)
    for number in (OWNER_CELL, OWNER_DESK):
        assert optouts.set_opted_out(number, True, "keyword", "STOP")
    _leave_voicemail(twilio, standin)

    assert standin.sms_posts() == [] and _texts() == {}
    vm = voicemail()
    assert (vm.sms_state, vm.sms_error) == (NotifyState.FAILED, f"{OWNER_CELL}: opted out; {OWNER_DESK}: opted out")
    assert vm.notify_state == NotifyState.SENT and len(smtp_server.messages) == 1


def test_sms_copy_without_a_messaging_service_fails_for_good(make_app, smtp_server, standin):
    app = make_app(**notify_settings(smtp_server, standin, TWILIO_MESSAGING_SERVICE_SID=None))
    with app.app_context():
        make_mailbox(forward_to=[OWNER_CELL, OWNER_DESK], sms_notify=True)
        _leave_voicemail(Twilio(app.test_client(), public_base=PUBLIC), standin)
        work()
        vm = voicemail()
        assert (vm.sms_state, vm.sms_error) == (
            NotifyState.FAILED,
            "texts need the setting(s) TWILIO_MESSAGING_SERVICE_SID",
        )
        assert vm.notify_state == NotifyState.SENT and len(smtp_server.messages) == 1
        assert standin.sms_posts() == [] and _texts() == {}


def test_sms_copy_retries_the_text_not_the_email_after_a_twilio_outage(app, mailbox, twilio, standin, smtp_server):
    _sms_copy_on(mailbox)
    standin.sms_failures.extend([503])  # the first text's first try meets an outage
    _leave_voicemail(twilio, standin)

    vm = voicemail()
    assert (vm.sms_state, vm.sms_error) == (NotifyState.SENT, None)  # the texts exist; they retry on their own
    cell, desk = _texts()[OWNER_CELL], _texts()[OWNER_DESK]
    assert (cell.status, cell.twilio_sid, cell.attempts) == ("queued", None, 1)
    assert _events(cell) == ["created", "retry"] and "503" in max(cell.events, key=lambda e: e.id).detail
    assert desk.twilio_sid is not None
    retry_at = cell.due_at
    assert retry_at > utcnow()

    with time_machine.travel(retry_at + timedelta(seconds=1), tick=False):
        work()  # the scheduler moves the message's retry job; only the message is tried again
    cell = _texts()[OWNER_CELL]
    assert cell.status == "queued" and cell.twilio_sid.startswith("SM")
    assert _events(cell) == ["created", "retry", "sent_to_twilio"]
    assert [p.form["To"] for p in standin.sms_posts()] == [OWNER_CELL, OWNER_DESK, OWNER_CELL]
    assert len(smtp_server.messages) == 1
    assert voicemail().sms_state == NotifyState.SENT


def test_sms_copy_a_rejected_number_fails_its_text_only(app, mailbox, twilio, standin, smtp_server):
    _sms_copy_on(mailbox)
    standin.sms_failures.extend([400])  # e.g. 21211 invalid 'To', for the first text
    _leave_voicemail(twilio, standin)

    assert [p.form["To"] for p in standin.sms_posts()] == [OWNER_CELL, OWNER_DESK]
    cell, desk = _texts()[OWNER_CELL], _texts()[OWNER_DESK]
    assert (cell.status, cell.error_code, cell.error_message, cell.twilio_sid) == (
        "failed",
        "21211",
        "stand-in error 400",
        None,
    )
    assert (desk.status, desk.error_code) == ("queued", None) and desk.twilio_sid.startswith("SM")
    assert not optouts.is_opted_out(OWNER_CELL)  # a bad number is not an opt-out
    vm = voicemail()
    assert (vm.sms_state, vm.sms_error) == (NotifyState.SENT, None)


def test_sms_copy_refused_with_21610_opts_the_number_out(app, mailbox, twilio, standin, smtp_server):
    _sms_copy_on(mailbox)
    standin.unsubscribed.add(OWNER_CELL)  # texted STOP to another of our numbers; Twilio knows, we did not
    _leave_voicemail(twilio, standin)

    cell = _texts()[OWNER_CELL]
    assert (cell.status, cell.error_code) == ("failed", "21610")
    assert optouts.is_opted_out(OWNER_CELL)

    # The next voicemail's copy no longer even tries that number.
    second = "RE" + "c" * 32
    incoming(twilio, call_sid="CA" + "d" * 32)
    transcription(twilio, "Again.", recording_sid=second, call_sid="CA" + "d" * 32)
    recording_status(twilio, standin, recording_sid=second, call_sid="CA" + "d" * 32)
    work()
    assert [p.form["To"] for p in standin.sms_posts()] == [OWNER_CELL, OWNER_DESK, OWNER_DESK]
    vm = voicemail(second)
    assert (vm.sms_state, vm.sms_error) == (NotifyState.SENT, f"{OWNER_CELL}: opted out")


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
