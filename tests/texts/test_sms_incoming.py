"""/sms/incoming: keywords opt people out and back in everywhere; other texts are emailed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from rq.job import JobStatus
from sqlalchemy import func, select

from tests.support import Twilio, api_headers, work, work_until
from tests.support.builders import TWILIO_NUMBER, make_mailbox
from tests.texts.steps import NOW, PUBLIC, SERVICE, TO, iso, message, post
from voicebox import queueing
from voicebox.extensions import db
from voicebox.jobs import sweep
from voicebox.jobs.inbound import forward_inbound, sweep_inbound
from voicebox.models import InboundMessage, NotifyState, utcnow
from voicebox.queueing import get_queue
from voicebox.services import notifications, optouts


@pytest.fixture(name="app")
def app_with_prism_and_smtp(make_app, prism, smtp_server):
    app = make_app(
        TWILIO_HTTP_CLIENT=prism,
        PUBLIC_BASE_URL=PUBLIC,
        TWILIO_MESSAGING_SERVICE_SID=SERVICE,
        NOTIFY_RETRY_INTERVALS=[1, 1],
        **smtp_server.settings(),
    )
    with app.app_context():
        make_mailbox(emails=["team@example.com"], timezone="America/New_York")
        yield app


_sids = iter(range(1, 10_000))


def text(twilio, body: str, *, sid: str | None = None, sender: str = TO, **extra):
    params = {
        "MessageSid": sid or f"SM{next(_sids):032d}",
        "AccountSid": "AC" + "0" * 32,
        "MessagingServiceSid": SERVICE,
        "From": sender,
        "To": TWILIO_NUMBER,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
        **extra,
    }
    response = twilio.post("/sms/incoming", params)
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/xml"
    return response


def reply_of(response) -> str | None:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    messages = root.findall("Message")
    assert len(messages) <= 1
    return messages[0].text if messages else None


@pytest.mark.parametrize(
    "body", ["STOP", "stop", " Stop ", "STOPALL", "unsubscribe", "Cancel", "END", "quit\n", "REVOKE", "OptOut"]
)
def test_every_stop_keyword_opts_out(app, twilio, body):
    response = text(twilio, body)
    assert optouts.is_opted_out(TO)
    assert reply_of(response) is None  # Twilio answers STOP; a reply from us would fail with 21610
    [event] = optouts.history(TO)
    assert (event.action, event.source, event.detail) == ("opt_out", "keyword", body.strip())


@pytest.mark.parametrize("body", ["START", "yes", " Unstop "])
def test_every_start_keyword_opts_back_in(app, twilio, body):
    text(twilio, "STOP")
    app.config["SMS_KEYWORD_REPLIES"] = True
    response = text(twilio, body)
    assert not optouts.is_opted_out(TO)
    assert "subscribed again" in reply_of(response)
    assert [e.action for e in optouts.history(TO)] == ["opt_out", "opt_in"]


@pytest.mark.parametrize("body", ["HELP", "info", "  Help  "])
def test_help_replies_with_the_help_text(app, twilio, body):
    app.config["SMS_KEYWORD_REPLIES"] = True
    assert reply_of(text(twilio, body)) == app.config["SMS_HELP_TEXT"]
    assert not optouts.is_opted_out(TO)


def test_advanced_opt_out_is_recorded_without_a_second_reply(app, twilio):
    response = text(twilio, "STOP", OptOutType="STOP")
    assert reply_of(response) is None
    assert optouts.is_opted_out(TO)
    assert optouts.history(TO)[0].source == "twilio_opt_out"
    assert reply_of(text(twilio, "HELP", OptOutType="HELP")) is None


def test_advanced_opt_out_custom_keyword_counts_as_its_type(app, twilio, smtp_server):
    # A keyword configured in Twilio's Advanced Opt-Out (here French) is Twilio's to define.
    assert reply_of(text(twilio, "ARRET", OptOutType="STOP")) is None
    assert optouts.is_opted_out(TO)
    text(twilio, "REPRENDRE", OptOutType="START")
    assert not optouts.is_opted_out(TO)
    work()
    assert len(smtp_server.messages) == 2  # keyword texts are still forwarded, marked as keywords


@pytest.mark.parametrize("num_media", ["x", "-1", "11", "99999999999999999999"])
def test_odd_num_media_is_400_not_500(app, twilio, num_media):
    params = {"MessageSid": "SM" + "6" * 32, "From": TO, "To": TWILIO_NUMBER, "Body": "hi", "NumMedia": num_media}
    assert twilio.post("/sms/incoming", params).status_code == 400


@pytest.mark.parametrize("body", ["Please stop texting me", "stop please", "STOP!", "don't stop", "help me"])
def test_a_sentence_containing_a_keyword_is_not_one(app, twilio, body, smtp_server):
    assert reply_of(text(twilio, body)) is None
    assert not optouts.is_opted_out(TO)
    work()
    assert [m["Subject"] for m in smtp_server.messages] == ["Text from +1 415-555-0123 for Support"]


def test_ordinary_text_is_stored_and_emailed_once(app, twilio, smtp_server):
    sid = "SM" + "7" * 32
    for _ in range(3):  # Twilio retries: the same MessageSid three times
        assert reply_of(text(twilio, "Running 10 minutes late, sorry!", sid=sid)) is None
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 1
    work()
    [email] = smtp_server.messages
    assert email["To"] == "team@example.com"
    assert email["Subject"] == "Text from +1 415-555-0123 for Support"
    plain = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    assert "Running 10 minutes late, sorry!" in plain and "Running 10 minutes late, sorry!" in html
    row = db.session.scalar(select(InboundMessage))
    db.session.refresh(row)
    assert row.notify_state == NotifyState.SENT


def test_mms_attachments_are_linked_through_voicebox_never_twilio(make_app, smtp_server, standin):
    # Twilio can require HTTP auth on message media: the email links to voicebox, which fetches it.
    app = make_app(PUBLIC_BASE_URL=PUBLIC, TWILIO_API_BASE_URL=standin.base_url, **smtp_server.settings())
    with app.app_context():
        make_mailbox(emails=["team@example.com"])
        standin.recordings["RE" + "c" * 32] = b"\x89PNG picture bytes"
        twilio_media = standin.recording_url("RE" + "c" * 32) + ".mp3"  # a media URL on the stand-in host
        text(Twilio(app.test_client(), public_base=PUBLIC), "photo of the leak", NumMedia="1", MediaUrl0=twilio_media)
        work()
        [email] = smtp_server.messages
        plain = email.get_body(("plain",)).get_content()
        assert twilio_media not in plain and twilio_media not in email.get_body(("html",)).get_content()
        [link] = re.findall(rf"{PUBLIC}/media/\S+", plain)
        fetched = app.test_client().get(link.removeprefix(PUBLIC))
        assert fetched.status_code == 200 and fetched.data == b"\x89PNG picture bytes"
        assert "Set-Cookie" not in fetched.headers
        assert app.test_client().get("/media/forged-token").status_code == 404


def test_keywords_are_emailed_marked_as_keywords(app, twilio, smtp_server):
    text(twilio, "STOP")
    text(twilio, "HELP")
    work()
    assert sorted(m["Subject"].rsplit("(", 1)[-1] for m in smtp_server.messages) == [
        "help keyword)",
        "opt-out keyword)",
    ]


def test_forwarding_survives_smtp_down_then_up(app, twilio, smtp_server):
    smtp_server.stop()
    text(twilio, "Is the shop open on Sunday?")
    work()
    row = db.session.scalar(select(InboundMessage))
    db.session.refresh(row)
    assert row.notify_state == NotifyState.PENDING and "SMTP unreachable" in row.notify_error
    smtp_server.start()
    work_until(lambda: len(smtp_server.messages) == 1)  # the retry falls due after its 1 s backoff
    assert len(smtp_server.messages) == 1


def test_forwarding_with_redis_down_is_swept_later(make_app, prism, smtp_server):
    live = make_app(PUBLIC_BASE_URL=PUBLIC, **smtp_server.settings())
    dead = make_app(REDIS_URL="redis://127.0.0.1:1/0", PUBLIC_BASE_URL=PUBLIC, **smtp_server.settings())
    with dead.app_context():  # both apps share the database; this one cannot reach Redis
        make_mailbox(emails=["team@example.com"])
        assert reply_of(text(Twilio(dead.test_client(), public_base=PUBLIC), "Call me back")) is None
        assert db.session.scalar(select(InboundMessage.notify_state)) == NotifyState.PENDING
    with live.app_context():
        assert sweep()["inbound_texts"] == 1
        work()
        [email] = smtp_server.messages
        assert "Call me back" in email.get_body(("plain",)).get_content()


def test_a_second_rescue_gets_a_job_of_its_own(app, twilio, smtp_server):
    # A worker died holding the claim, and the job of an earlier rescue still looks "started" in Redis
    # (its worker died too): a rescue reusing that id would collide with it, and nothing would run.
    text(twilio, "Please call the office")
    row_id = db.session.scalar(select(InboundMessage.id))
    get_queue().empty()  # the forward job is lost ...
    assert notifications.claim(notifications.INBOUND_EMAIL, row_id)  # ... after its worker claimed the row
    ghost = get_queue().enqueue(forward_inbound, row_id, job_id=queueing.job_id("inbound", row_id, "rescue"))
    get_queue().remove(ghost)
    ghost.set_status(JobStatus.STARTED)
    later = utcnow() + timedelta(seconds=app.config["NOTIFY_CLAIM_TIMEOUT"] + 5)
    with time_machine.travel(later, tick=True):
        assert sweep_inbound() == 1
        work()
    assert len(smtp_server.messages) == 1


# --- opt-out effects on texts ----------------------------------------------------------------------


def schedule(client, delay: timedelta, to: str = TO) -> dict:
    answer = post(client, "/api/messages", {"to": to, "body": "See you soon", "send_at": iso(NOW + delay)})
    assert answer.status_code == 201, answer.json
    return answer.json


def test_stop_cancels_everything_owed_locally_and_at_twilio(app, client, twilio, prism):
    with time_machine.travel(NOW, tick=False):
        soon = schedule(client, timedelta(minutes=5))  # ours to send: queued locally
        at_twilio = schedule(client, timedelta(days=2))  # handed to Twilio: scheduled
        far = schedule(client, timedelta(days=60))  # beyond the window: pending in our database
        other = schedule(client, timedelta(days=2), to="+14155550124")
        assert [m["status"] for m in (soon, at_twilio, far)] == ["queued", "scheduled", "pending"]
        text(twilio, "stop")
        work()
    assert [message(m["id"]).status for m in (soon, at_twilio, far)] == ["canceled"] * 3
    assert message(other["id"]).status == "scheduled"
    [cancel] = prism.cancels()
    assert cancel.path.endswith(f"/Messages/{at_twilio['twilio_sid']}.json")
    assert cancel.data == {"Status": "canceled"} and cancel.accepted_by_prism


def test_stop_then_the_send_time_passes_nothing_is_sent(app, client, twilio, prism):
    with time_machine.travel(NOW, tick=False):
        soon = schedule(client, timedelta(minutes=5))
    # The STOP is processed but its cancel job is lost (Redis flushed): the send job itself must refuse.
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        assert optouts.set_opted_out(TO, True, "keyword", "STOP")
    with time_machine.travel(NOW + timedelta(minutes=6), tick=False):
        work()
    assert message(soon["id"]).status == "canceled"
    assert prism.creates() == []
    assert [e["detail"] for e in client.get(f"/api/messages/{soon['id']}", headers=api_headers()).json["events"]][
        -1
    ] == "recipient opted out"


def test_opted_out_number_gets_409_for_messages_and_enrollments(app, client, twilio):
    text(twilio, "STOP")
    with time_machine.travel(NOW, tick=False):
        refused = post(client, "/api/messages", {"to": "+1 (415) 555-0123", "body": "hi"})
        assert refused.status_code == 409
        assert refused.json["error"] == {
            "code": "recipient_opted_out",
            "message": refused.json["error"]["message"],
            "field": "to",
        }
        sequence = post(
            client,
            "/api/sequences",
            {"name": "Aftercare", "steps": [{"offset_days": 7, "at": "18:00", "body": "How are you feeling?"}]},
        ).json
        enrolled = post(
            client,
            f"/api/sequences/{sequence['id']}/enrollments",
            {"to": TO, "anchor": "2027-02-02", "timezone": "America/New_York"},
        )
        assert enrolled.status_code == 409
        assert enrolled.json["error"]["code"] == "recipient_opted_out"


def test_start_re_enables_texts(app, client, twilio, prism):
    text(twilio, "STOP")
    text(twilio, "START")
    with time_machine.travel(NOW, tick=False):
        answer = post(client, "/api/messages", {"to": TO, "body": "Welcome back"})
    assert answer.status_code == 201 and answer.json["status"] == "queued"
    assert prism.creates()[-1].data["To"] == TO


def test_malformed_inbound_is_400(app, twilio):
    assert twilio.post("/sms/incoming", {"Body": "hi", "From": TO}).status_code == 400
    assert (
        Twilio(twilio.client, public_base=PUBLIC, token="bad").post("/sms/incoming", {"Body": "x"}).status_code == 403
    )
