"""Voicemail and text emails in the mailbox's language (Flask-Babel catalogs), dates in its zone and
its locale's format; the catalogs themselves are complete, compiled and extracted from the code."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.notifications.steps import CALLER, incoming, notify_settings, recording_status, transcription
from tests.support import ACCOUNT_SID, REPO, work
from tests.support.builders import TWILIO_NUMBER, make_mailbox
from voicebox.i18n import TRANSLATIONS_DIR, catalog_for

CATALOGS = ["en", "zh_Hans"]


@pytest.fixture
def settings(smtp_server, standin) -> dict:
    # These tests are about the email's words: Twilio's own transcription callback delivers the text.
    return notify_settings(smtp_server, standin, TRANSCRIPTION="twilio")


WHEN = datetime(2026, 3, 3, 22, 5, tzinfo=UTC)  # 06:05 on 4 March in Shanghai


def _voicemail_email(twilio, standin, smtp_server, transcript="你好，请回电。"):
    with time_machine.travel(WHEN, tick=False):
        incoming(twilio)
        transcription(twilio, transcript)
        recording_status(twilio, standin)
        work()
    [received] = smtp_server.received
    message = received.message
    return message, message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def _english_msgids() -> list[str]:
    """The fixed English words of every message (placeholders cut out), to prove none leaks."""
    with open(Path(TRANSLATIONS_DIR) / "messages.pot", "rb") as f:
        ids = [m.id for m in read_po(f) if m.id]
    words = []
    for msgid in ids:
        for piece in re.split(r"%\(\w+\)s", msgid):
            piece = piece.replace("PUBLIC_BASE_URL", "").replace("voicebox", "").strip(" .:;,()")
            if re.search(r"[A-Za-z]{2,}", piece):
                words.append(piece)
    return words


def test_zh_cn_mailbox_gets_its_voicemail_email_in_chinese(app, twilio, standin, smtp_server):
    make_mailbox(language="zh-CN", timezone="Asia/Shanghai", emails=["laowang@example.com"])
    message, text, html = _voicemail_email(twilio, standin, smtp_server)

    assert message["Subject"] == "Support 收到来自 +1 415-867-5309 的语音留言（0:42）"
    for part in (text, html):
        assert "Support 有新的语音留言" in part
        assert "2026年3月4日星期三 06:05 中国标准时间" in part  # Shanghai's date, Chinese order
        assert "你好，请回电。" in part
        assert "收听语音留言" in part or "收听" in part
        assert "由 voicebox 发送。" in part
        leaked = [w for w in _english_msgids() if w in part]
        assert leaked == [], f"English left in a zh-CN email: {leaked}"
    assert '<html lang="zh">' in html


def test_english_mailbox_keeps_english(app, twilio, standin, smtp_server):
    make_mailbox(language="en-US", timezone="America/Los_Angeles")
    message, text, html = _voicemail_email(twilio, standin, smtp_server, transcript="Call me back.")
    assert message["Subject"] == "New voicemail from +1 415-867-5309 for Support (0:42)"
    assert "Tuesday, March 3, 2026, 2:05\u202fPM Pacific Standard Time" in text
    assert "Listen to the voicemail" in html


def test_language_without_a_catalog_reads_english_with_its_own_date_format(app, twilio, standin, smtp_server):
    # es-MX: voicebox speaks Spanish prompts, but has no Spanish email catalog (yet).
    make_mailbox(language="es-MX", timezone="America/Mexico_City")
    message, text, html = _voicemail_email(twilio, standin, smtp_server, transcript="Llámame, por favor.")
    assert message["Subject"] == "New voicemail from +1 415-867-5309 for Support (0:42)"
    assert "martes, 3 de marzo de 2026, 4:05" in text  # Spanish (Mexican) date and 12-hour time, Mexico City
    assert "Sent by voicebox." in text


def test_missing_transcript_is_said_in_chinese(app, twilio, standin, smtp_server):
    make_mailbox(language="zh-CN", timezone="Asia/Shanghai")
    message, text, html = _voicemail_email(twilio, standin, smtp_server, transcript="")
    assert "暂无文字稿。" in text and "暂无文字稿。" in html


def test_forwarded_text_email_is_in_chinese(app, twilio, smtp_server):
    make_mailbox(language="zh-CN", timezone="Asia/Shanghai")
    params = {
        "MessageSid": "SM" + "c" * 32,
        "AccountSid": ACCOUNT_SID,
        "From": CALLER,
        "To": TWILIO_NUMBER,
        "Body": "明天见",
        "NumMedia": "0",
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
    }
    with time_machine.travel(WHEN, tick=False):
        assert twilio.post("/sms/incoming", params).status_code == 200
        work()
    [received] = smtp_server.received
    assert received.message["Subject"] == "Support 收到来自 +1 415-867-5309 的短信"
    text = received.message.get_body(("plain",)).get_content()
    assert "明天见" in text and "2026年3月4日星期三" in text


@pytest.mark.parametrize(
    ("tag", "catalog"),
    [("zh-CN", "zh_Hans"), ("zh-SG", "zh_Hans"), ("zh-TW", "en"), ("en-GB", "en"), ("es-MX", "en"), ("xx-YY", "en")],
)
def test_catalog_for_a_tag(tag, catalog):
    # Traditional Chinese must never get the Simplified catalog; es has none yet (falls back to English).
    assert catalog_for(tag) == catalog


# --- the catalogs ---------------------------------------------------------------------------------


def _po(name: str):
    with open(Path(TRANSLATIONS_DIR) / name / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f)


def test_template_lists_every_message_in_the_code():
    # Run `flask translate extract` (then update, translate, compile) after adding a message.
    method_map = [("voicebox/**.py", "python"), ("templates/**", "jinja2")]
    found = {msgid for _, _, msgid, *_ in extract_from_dir(str(REPO), method_map) if isinstance(msgid, str)}
    with open(Path(TRANSLATIONS_DIR) / "messages.pot", "rb") as f:
        listed = {m.id for m in read_po(f) if m.id}
    assert found == listed


@pytest.mark.parametrize("name", CATALOGS)
def test_catalog_is_complete(name):
    with open(Path(TRANSLATIONS_DIR) / "messages.pot", "rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    catalog = _po(name)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    assert wanted - translated == set()
    for m in catalog:  # every placeholder survives translation
        if m.id and m.string:
            assert sorted(re.findall(r"%\(\w+\)s", m.id)) == sorted(re.findall(r"%\(\w+\)s", m.string)), m.id


@pytest.mark.parametrize("name", CATALOGS)
def test_compiled_catalog_matches_its_po(name):
    # The .mo files are committed (a deploy needs no build step): `flask translate compile` after editing.
    with open(Path(TRANSLATIONS_DIR) / name / "LC_MESSAGES" / "messages.mo", "rb") as f:
        compiled = {m.id: m.string for m in read_mo(f) if m.id}
    assert compiled == {m.id: m.string for m in _po(name) if m.id and m.string and not m.fuzzy}


def test_sms_copy_is_in_the_mailbox_language_too(app, twilio, standin, smtp_server):
    make_mailbox(language="zh-CN", timezone="Asia/Shanghai", ring_mode="sequential", sms_notify=True)
    _voicemail_email(twilio, standin, smtp_server, transcript="")
    work()
    [post] = standin.sms_posts()
    assert post.form["Body"] == "来自 +1 415-867-5309 的新语音留言（0:42）。暂无文字稿，请查看邮件。"
