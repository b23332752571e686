"""Item 3: a <Say> voice Twilio accepts for the language, validated in the API and CLI, neural defaults,
Mandarin spoken as cmn-CN with Chinese words only."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from tests.support import api_headers, twiml
from tests.support.builders import OWNER_CELL, call_params, make_mailbox
from voicebox import voices
from voicebox.extensions import db
from voicebox.models import Mailbox
from voicebox.phrases import PHRASES, phrase

NEW = {"name": "Support", "twilio_number": "+14155550100", "emails": ["team@example.com"], "forward_to": [OWNER_CELL]}
LEG = call_params("CA" + "9" * 32, ParentCallSid="CA" + "1" * 32, To=OWNER_CELL)


def create(client, **fields):
    return client.post("/api/mailboxes", json={**NEW, **fields}, headers=api_headers())


def screen_say(twilio):
    """The <Say> inside the screening <Gather> (the one that goes to the fallback URL if invalid)."""
    twilio.post("/voice/incoming", call_params())
    return twiml(twilio.post("/voice/screen", LEG)).find("Gather/Say")


def assert_twilio_accepts(say):
    language = voices.find(say.get("language"))
    assert language is not None and say.get("language") == language.say_language
    assert say.get("voice") in language.voices


@pytest.mark.parametrize(
    ("language", "voice"),
    [
        ("en-US", "Polly.Joanna-Neural"),
        ("en-GB", "Polly.Amy-Neural"),
        ("es-ES", "Polly.Lucia-Neural"),
        ("zh-CN", "Polly.Zhiyu-Neural"),
    ],
)
def test_each_language_defaults_to_a_neural_voice_not_alice(client, language, voice):
    created = create(client, language=language)
    assert created.status_code == 201
    assert created.get_json()["voice"] == voice


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"language": "en-US", "voice": "Polly.Zhiyu-Neural"}, "voice"),  # a Mandarin voice for English
        ({"language": "zh-CN", "voice": "Polly.Joanna-Neural"}, "voice"),
        ({"language": "en-US", "voice": "alice"}, "voice"),  # not in the current <Say> reference
        ({"language": "en-US", "voice": "Polly.Nobody"}, "voice"),
        ({"language": "zh-CN", "voice": "man"}, "voice"),  # man/woman: English, Spanish, French, German only
        ({"language": "fr-FR"}, "language"),  # no French prompts: English words would be read
    ],
)
def test_api_refuses_a_voice_twilio_would_not_accept_with_400_naming_the_field(client, fields, field):
    response = create(client, **fields)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert (error["code"], error["field"]) == ("validation_error", field)


def test_patch_checks_the_pair_and_a_new_language_alone_gets_its_default_voice(client):
    mailbox = create(client, language="en-US", voice="Polly.Matthew-Neural").get_json()
    path = f"/api/mailboxes/{mailbox['id']}"
    bad = client.patch(path, json={"voice": "Polly.Zhiyu-Neural"}, headers=api_headers())
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "voice"
    moved = client.patch(path, json={"language": "zh-cn"}, headers=api_headers()).get_json()
    assert (moved["language"], moved["voice"]) == ("zh-CN", "Polly.Zhiyu-Neural")
    both = client.patch(path, json={"language": "en-GB", "voice": "Google.en-GB-Neural2-A"}, headers=api_headers())
    assert (both.get_json()["language"], both.get_json()["voice"]) == ("en-GB", "Google.en-GB-Neural2-A")


def test_cli_refuses_a_voice_that_does_not_fit_the_language(runner):
    args = ["mailbox", "add", "--name", "X", "--number", "+14155550100", "--email", "a@example.com"]
    bad = runner.invoke(args=[*args, "--language", "zh-CN", "--voice", "Polly.Joanna-Neural"])
    assert bad.exit_code != 0 and "voice:" in bad.output
    good = runner.invoke(args=[*args, "--language", "zh-CN"])
    assert good.exit_code == 0, good.output
    assert db.session.query(Mailbox).one().voice == "Polly.Zhiyu-Neural"


def test_zh_cn_mailbox_speaks_chinese_with_a_mandarin_voice_under_cmn_cn(app, twilio):
    make_mailbox(name="客服", language="zh-CN", greeting="欢迎致电")
    say = screen_say(twilio)
    assert_twilio_accepts(say)
    assert say.get("language") == "cmn-CN"
    assert not re.search(r"[A-Za-z]", say.text)  # Chinese words only (the caller's number is read as digits)


def test_every_language_has_every_prompt_so_none_falls_back_to_english():
    for language in voices.LANGUAGES.values():
        base = language.code.split("-")[0].lower()
        assert set(PHRASES[base]) == set(PHRASES["en"]), language.code
    for key in PHRASES["en"]:
        for code in ("zh-CN", "cmn-CN", "zh-cn"):
            text = phrase(code, key, mailbox="", caller="")
            assert text == PHRASES["zh"][key].format(mailbox="", caller="")
            assert not re.search(r"[A-Za-z]", text), (code, key)


def test_a_stored_voice_that_does_not_fit_is_replaced_when_spoken(app, twilio):
    mailbox = make_mailbox(language="zh-CN")
    # A row saved before validation existed (e.g. the old default `alice`).
    db.session.execute(update(Mailbox).where(Mailbox.id == mailbox.id).values(voice="alice"))
    db.session.commit()
    say = screen_say(twilio)
    assert (say.get("language"), say.get("voice")) == ("cmn-CN", "Polly.Zhiyu-Neural")


def test_unknown_number_speaks_the_default_neural_voice(app, twilio):
    say = twiml(twilio.post("/voice/incoming", call_params(To="+14155550177"))).find("Say")
    assert_twilio_accepts(say)
    assert say.get("voice") != "alice"
