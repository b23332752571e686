"""A database outage during /voice/incoming must not orphan the voicemail: the callbacks we hand
Twilio carry To/From, and a voicemail stored without its mailbox finds it (by the number, or at
Twilio) before its email could ever be failed for good."""

from __future__ import annotations

import json
import re
import time
from urllib.parse import urlsplit

import pytest
from twilio.http.response import Response

from tests.notifications.steps import AUDIO, PUBLIC, notify_settings, voicemail
from tests.support import Twilio, twiml, work
from tests.support.builders import CALLER, TWILIO_NUMBER, call_params, make_mailbox
from tests.support.prism import PrismTwilio
from voicebox.models import NotifyState
from voicebox.urls import RETRY_OVERRIDES

RECORDING_SID = "RE" + "c" * 32
CALL = re.compile(r"^/2010-04-01/Accounts/AC\w+/Calls/(CA\w+)\.json$")


def record_urls(response) -> dict[str, str]:
    """The callback URLs of the <Record> in a TwiML answer."""
    record = twiml(response).find("Record")
    return {name: record.get(name) for name in ("action", "transcribeCallback", "recordingStatusCallback")}


def status_params(standin, call_sid: str = "CA" + "1" * 32) -> dict:
    """A recording status callback's parameters: no To, no From (Twilio sends neither)."""
    standin.recordings.setdefault(RECORDING_SID, AUDIO)
    return {
        "AccountSid": "AC" + "0" * 32,
        "CallSid": call_sid,
        "RecordingSid": RECORDING_SID,
        "RecordingUrl": standin.recording_url(RECORDING_SID),
        "RecordingStatus": "completed",
        "RecordingDuration": "42",
        "RecordingChannels": "1",
        "RecordingSource": "RecordVerb",
    }


@pytest.mark.parametrize("signed_with_fragment", [False, True], ids=["signed-without-fragment", "with-fragment"])
def test_voicemail_left_while_the_database_was_down_reaches_its_mailbox(
    app, db_down, mailbox, twilio, standin, smtp_server, signed_with_fragment
):
    with db_down.app_context():
        response = Twilio(db_down.test_client(), public_base=PUBLIC).post("/voice/incoming", call_params())
    assert response.status_code == 200  # the caller still gets the apology and the <Record>
    urls = record_urls(response)
    status_url = urls["recordingStatusCallback"]
    assert status_url.endswith(f"#{RETRY_OVERRIDES}")
    url, _, fragment = status_url.partition("#")

    # Twilio posts to the URL without its fragment (HTTP never sends one) and signs the URL we gave:
    # whether or not its signature covers the fragment, the callback is accepted.
    signed = status_url if signed_with_fragment else url
    parts = urlsplit(url)
    response = twilio.post(f"{parts.path}?{parts.query}", status_params(standin), sign_url=signed)
    assert response.status_code == 200
    vm = voicemail(RECORDING_SID)
    assert (vm.to_number, vm.from_number, vm.mailbox_id) == (TWILIO_NUMBER, CALLER, mailbox.id)

    app.config["VOICEMAIL_TRANSCRIPT_WAIT"] = 0
    work()
    [message] = smtp_server.messages
    assert message["To"] == "owner@example.com"
    assert voicemail(RECORDING_SID).notify_state == NotifyState.SENT


def test_a_forged_signature_over_the_fragment_is_still_refused(app, mailbox, twilio, standin):
    url = f"{PUBLIC}/voice/recording-status?to=%2B14155550100"
    response = twilio.post(
        "/voice/recording-status?to=%2B14155550100", status_params(standin), sign_url=f"{url}#rc=5&rp=all"
    )
    assert response.status_code == 403


class CallsPrism(PrismTwilio):
    """Prism answers Twilio's example Call (to +13051913581, not a valid number) for any SID; like
    Twilio, answer with the call's own SID and numbers."""

    def _like_twilio(self, method: str, path: str, data: dict, answer: Response, params: dict) -> Response:
        answer = super()._like_twilio(method, path, data, answer, params)
        match = CALL.match(path)
        if method == "GET" and match and answer.status_code == 200:
            body = json.loads(answer.text) | {"sid": match.group(1), "to": TWILIO_NUMBER, "from": CALLER}
            return Response(200, json.dumps(body))
        return answer


@pytest.fixture
def prism(prism_url) -> CallsPrism:
    return CallsPrism(prism_url)


@pytest.fixture
def prism_app(make_app, smtp_server, standin, prism):
    app = make_app(**notify_settings(smtp_server, standin, TWILIO_HTTP_CLIENT=prism, VOICEMAIL_TRANSCRIPT_WAIT=0))
    with app.app_context():
        yield app


def test_a_voicemail_without_a_call_row_or_numbers_asks_twilio(prism_app, standin, smtp_server, prism):
    # A callback URL from before it carried To/From, and no call row: only Twilio knows the number.
    make_mailbox(forward_to=[])
    twilio = Twilio(prism_app.test_client(), public_base=PUBLIC)
    assert twilio.post("/voice/recording-status", status_params(standin)).status_code == 200
    assert voicemail(RECORDING_SID).mailbox_id is None

    prism.fail_next(status=503)  # Twilio having a bad moment: the email waits, it does not fail
    work()
    assert voicemail(RECORDING_SID).notify_state == NotifyState.PENDING
    assert smtp_server.messages == []

    time.sleep(1.2)  # RQ's retry (NOTIFY_RETRY_INTERVALS of 1 s in these settings)
    work()
    [message] = smtp_server.messages
    assert message["To"] == "owner@example.com"
    vm = voicemail(RECORDING_SID)
    assert (vm.to_number, vm.from_number, vm.notify_state) == (TWILIO_NUMBER, CALLER, NotifyState.SENT)
    assert [e.path for e in prism.exchanges if e.method == "GET"][-1].endswith(f"/Calls/{'CA' + '1' * 32}.json")
