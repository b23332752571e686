"""A text Twilio accepted whose SID we never stored (the answer lost, a worker killed, the database
gone) is found at Twilio and adopted on the next try, not sent twice."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from email.utils import format_datetime
from urllib.parse import urlsplit

import pytest
import requests
import time_machine
from twilio.http.response import Response

from tests.support.prism import PrismTwilio
from tests.texts.steps import PUBLIC, SERVICE, TO, message, post
from voicebox.extensions import db
from voicebox.models import MessageEvent, utcnow
from voicebox.services import delivery

LIST = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")


class ListingPrism(PrismTwilio):
    """Prism, plus what a canned example cannot do: list the messages created (Twilio's Messages
    list filtered by To), and lose the answer to a create that Twilio accepted."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        self.created: list[dict] = []
        self.lose_answers = 0

    def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None, **kwargs):
        answer = super().request(method, url, params, data, headers, auth, timeout, **kwargs)
        path = urlsplit(url).path
        if method == "POST" and LIST.match(path) and answer.status_code == 201:
            body = json.loads(answer.text) | {"direction": "outbound-api", "num_media": "0"}
            body["date_created"] = format_datetime(utcnow())
            self.created.append(body)
            if self.lose_answers:
                self.lose_answers -= 1
                raise requests.ReadTimeout("the answer never came")  # Twilio has it; we do not know
        if method == "GET" and LIST.match(path) and answer.status_code == 200:
            page = json.loads(answer.text)
            page["messages"] = [m for m in self.created if m["to"] == (params or {}).get("To")]
            page["next_page_uri"] = None  # one page holds them all
            return Response(200, json.dumps(page))
        return answer


@pytest.fixture
def prism(prism_url) -> ListingPrism:
    return ListingPrism(prism_url)


@pytest.fixture
def app(make_app, prism):
    app = make_app(TWILIO_HTTP_CLIENT=prism, PUBLIC_BASE_URL=PUBLIC, TWILIO_MESSAGING_SERVICE_SID=SERVICE)
    with app.app_context():
        yield app


def test_a_text_accepted_but_unrecorded_is_adopted_not_sent_again(client, prism):
    prism.lose_answers = 1
    message_id = post(client, "/api/messages", {"to": TO, "body": "Your order shipped."}).json["id"]
    assert len(prism.created) == 1 and message(message_id).twilio_sid is None  # the window

    with time_machine.travel(utcnow() + timedelta(minutes=5)):
        delivery.deliver(message_id, throttle_wait=0)
    assert len(prism.creates()) == 1  # not sent twice
    assert message(message_id).twilio_sid == prism.created[0]["sid"]
    assert db.session.query(MessageEvent).filter_by(kind="adopted").count() == 1


def test_the_same_text_twice_to_one_number_is_still_sent_twice(client, prism):
    first = post(client, "/api/messages", {"to": TO, "body": "Reminder."}).json["id"]
    prism.lose_answers = 1
    second = post(client, "/api/messages", {"to": TO, "body": "Reminder."}).json["id"]
    with time_machine.travel(utcnow() + timedelta(minutes=5)):
        delivery.deliver(second, throttle_wait=0)
    assert len(prism.creates()) == 2  # the first's SID is stored: it is not taken for the second
    sids = {message(first).twilio_sid, message(second).twilio_sid}
    assert sids == {m["sid"] for m in prism.created}
