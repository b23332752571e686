"""Every spoken prompt in every language voicebox speaks: complete, and never English by accident.

Two walks: the phrase table itself (every key, every language), and the TwiML callers and callees
actually hear from a mailbox in each language (refusal, voicemail prompt, goodbye, thanks, screening).
"""

from __future__ import annotations

import re

import pytest

from tests.notifications.steps import CALL_SID, recording_status
from tests.support import twiml
from tests.support.builders import OWNER_CELL, TWILIO_NUMBER, call_params, make_mailbox
from voicebox.extensions import db
from voicebox.phrases import PHRASES, phrase

SAMPLE = {"mailbox": "Acme", "caller": "1 4 1 5"}
NON_ENGLISH = sorted(set(PHRASES) - {"en"})
LANGUAGE_TAGS = {"es": "es-MX", "zh": "zh-CN"}


def _english_words(text: str) -> set[str]:
    """The English words of a phrase (placeholders and their sample values cut out)."""
    for value in SAMPLE.values():
        text = text.replace(value, " ")
    return {w.lower() for w in re.findall(r"[A-Za-z]{3,}", text)}


ENGLISH = set().union(*(_english_words(phrase("en-US", key, **SAMPLE)) for key in PHRASES["en"]))


def _leaks(text: str, language: str) -> set[str]:
    """English words in `text`; for Chinese any Latin word at all is one."""
    words = _english_words(text)
    return words if language == "zh" else words & ENGLISH


def test_the_walk_covers_the_supported_languages():
    assert {"es", "zh"} <= set(NON_ENGLISH)


@pytest.mark.parametrize("language", NON_ENGLISH)
def test_every_prompt_exists_and_none_is_english(language):
    assert set(PHRASES[language]) == set(PHRASES["en"]), "a prompt is missing (it would fall back to English)"
    tag = LANGUAGE_TAGS.get(language, language)
    for key in PHRASES["en"]:
        text = phrase(tag, key, **SAMPLE)
        assert text != phrase("en-US", key, **SAMPLE), key
        assert _leaks(text, language) == set(), f"{language} {key!r} says English: {text!r}"


def _said(root) -> list[str]:
    return [say.text or "" for say in root.iter("Say")]


@pytest.mark.parametrize("language", NON_ENGLISH)
def test_what_callers_and_callees_hear_in_each_language(app, twilio, standin, language):
    tag = LANGUAGE_TAGS.get(language, language)
    heard: list[str] = []
    mailbox = make_mailbox(language=tag, forward_to=[], screen_calls=True)
    heard += _said(twiml(twilio.post("/voice/incoming", call_params(CALL_SID))))  # prompt + goodbye
    recording = call_params(CALL_SID, RecordingSid="RE" + "b" * 32, RecordingUrl=standin.recording_url("RE" + "b" * 32))
    heard += _said(twiml(twilio.post("/voice/recording", {**recording, "RecordingDuration": "5"})))  # thanks
    recording_status(twilio, standin)

    other = make_mailbox(name="Other", twilio_number="+14155550111", language=tag, forward_to=[OWNER_CELL])
    parent = "CA" + "7" * 32
    twilio.post("/voice/incoming", call_params(parent, To=other.numbers[0].e164, From="Anonymous"))
    leg = call_params("CA" + "8" * 32, ParentCallSid=parent, To=OWNER_CELL, From=TWILIO_NUMBER)
    heard += _said(twiml(twilio.post("/voice/screen", leg)))  # screening prompt, unknown caller

    mailbox.enabled = False
    db.session.commit()
    heard += _said(twiml(twilio.post("/voice/incoming", call_params("CA" + "6" * 32))))  # refusal

    assert len(heard) >= 5
    for text in heard:
        text = text.replace(mailbox.name, "").replace(other.name, "")  # names are the owner's words
        assert _leaks(text, language) == set(), f"{language} prompt in English: {text!r}"
