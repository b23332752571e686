"""The inbox and a voicemail's page: what a reader sees, who may see it, the audio with Range, read/unread,
delete (here, and at Twilio through the REST client against Prism), and the email's listen link."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.support.builders import OWNER_CELL, call_params
from tests.web.steps import AUDIO, SALES_NUMBER, leave_voicemail, sign_in, submit, text_in
from voicebox.extensions import db
from voicebox.models import Voicemail
from voicebox.services import recordings


def voicemail(recording_sid: str) -> Voicemail:
    db.session.expire_all()
    return db.session.scalar(select(Voicemail).where(Voicemail.recording_sid == recording_sid))


def test_inbox_lists_voicemails_and_texts_newest_first(client, twilio, standin, team):
    leave_voicemail(twilio, standin, 1, transcript="Hi, it's Jenny.\nCall me back about the order.")
    text_in(twilio, 2, "Are you open on Sunday?")
    text_in(twilio, 3, "STOP")  # a keyword, not a message for people
    leave_voicemail(twilio, standin, 4, caller="+442071838750", duration=75)
    sign_in(client, "alice@example.com")
    page = client.get("/inbox").get_data(as_text=True)
    previews = re.findall(r'<span class="preview">([^<]*)</span>', page)
    assert previews == ["Transcript not ready yet", "Are you open on Sunday?", "Hi, it&#39;s Jenny."]
    assert "+44 20 7183 8750" in page and "+1 415-555-0199" in page  # formatted with phonenumbers
    assert "1:15" in page and "0:42" in page
    assert re.search(r"\d{2}:\d{2} P[SD]T", page)  # the mailbox's zone (America/Los_Angeles)
    assert page.count('class="badge"') == 2  # both voicemails unread; texts carry no badge
    assert "STOP" not in page


def test_a_reader_sees_only_their_mailboxes(client, twilio, standin, team):
    support_sid = leave_voicemail(twilio, standin, 1, transcript="for support")
    leave_voicemail(twilio, standin, 2, to=SALES_NUMBER, transcript="for sales")
    text_in(twilio, 3, "text for sales", to=SALES_NUMBER)
    vm = voicemail(support_sid)
    sign_in(client, "bob@example.com")
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "for sales" in inbox and "text for sales" in inbox and "for support" not in inbox
    for path in (f"/voicemails/{vm.id}", f"/voicemails/{vm.id}/audio", f"/inbox?mailbox={team.support.id}",
                 f"/mailboxes/{team.support.id}"):  # fmt: skip
        assert client.get(path).status_code == 404, path
    assert submit(client, f"/voicemails/{vm.id}/read", {"read": "1"}).status_code == 404
    assert submit(client, f"/voicemails/{vm.id}/delete").status_code == 404
    assert not voicemail(support_sid).is_read and not voicemail(support_sid).is_deleted
    submit(client, "/logout")
    sign_in(client, "root@example.com")
    everything = client.get("/inbox").get_data(as_text=True)
    assert "for sales" in everything and "for support" in everything
    only_support = client.get(f"/inbox?mailbox={team.support.id}").get_data(as_text=True)
    assert "for support" in only_support and "for sales" not in only_support
    assert client.get(f"/voicemails/{vm.id}").status_code == 200


def test_the_inbox_pages_through_older_entries(client, twilio, standin, team):
    for n in range(1, 28):
        text_in(twilio, n, f"text number {n}")
    sign_in(client, "alice@example.com")
    first = client.get("/inbox").get_data(as_text=True)
    assert first.count('class="entry') == 25 and "text number 27" in first and "Page 1 of 2" in first
    second = client.get("/inbox?page=2").get_data(as_text=True)
    assert re.findall(r"text number \d+", second) == ["text number 2", "text number 1"]


def test_an_empty_inbox_says_so(client, team):
    sign_in(client, "alice@example.com")
    page = client.get("/inbox").get_data(as_text=True)
    assert "Nothing here yet" in page and "Support (+1 415-555-0100)" in page


def test_voicemail_page_has_player_transcript_details_and_call_back_links(client, twilio, standin, team):
    twilio.post("/voice/incoming", call_params(f"CA{1:032x}"))
    # Nobody picked up: Twilio posts the <Dial> action with the outcome, then the recording arrives.
    twilio.post("/voice/dial-complete?attempt=0", call_params(f"CA{1:032x}", DialCallStatus="no-answer"))
    sid = leave_voicemail(twilio, standin, 1, transcript="Hi, it's Jenny.\nCall me back.")
    vm = voicemail(sid)
    sign_in(client, "alice@example.com")
    page = client.get(f"/voicemails/{vm.id}").get_data(as_text=True)
    assert f'<audio controls preload="metadata" src="/voicemails/{vm.id}/audio">' in page
    assert "Hi, it&#39;s Jenny.\nCall me back." in page
    assert 'href="tel:+14155550199"' in page and 'href="sms:+14155550199"' in page
    assert OWNER_CELL == "+14155550111" and "+1 415-555-0111 (simultaneous, 20 s)" in page  # whom it rang
    assert "<dt>Dial outcome</dt><dd>no-answer</dd>" in page
    assert "<dt>Screening</dt><dd>nobody answered the prompt</dd>" in page


def test_audio_streams_through_voicebox_with_range(client, twilio, standin, team):
    vm = voicemail(leave_voicemail(twilio, standin, 1))
    sign_in(client, "alice@example.com")
    whole = client.get(f"/voicemails/{vm.id}/audio")
    assert (whole.status_code, whole.mimetype, whole.data) == (200, "audio/mpeg", AUDIO)
    assert whole.headers["Accept-Ranges"] == "bytes"
    part = client.get(f"/voicemails/{vm.id}/audio", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(AUDIO)}"
    assert part.data == AUDIO[100:200]
    assert "Set-Cookie" not in part.headers and standin.base_url not in str(part.headers)
    fetched = [r for r in standin.requests if "/Recordings/" in r.path]
    assert fetched[-1].path.endswith(".mp3") and fetched[-1].headers.get("Range") == "bytes=100-199"


def test_mark_read_and_unread(client, twilio, standin, team):
    sid = leave_voicemail(twilio, standin, 1)
    vm = voicemail(sid)
    sign_in(client, "alice@example.com")
    answer = submit(client, f"/voicemails/{vm.id}/read", {"read": "1"})
    assert answer.headers["Location"] == f"/voicemails/{vm.id}" and voicemail(sid).is_read
    assert "Mark as unread" in client.get(f"/voicemails/{vm.id}").get_data(as_text=True)
    assert 'class="badge"' not in client.get("/inbox").get_data(as_text=True)
    submit(client, f"/voicemails/{vm.id}/read", {"read": "0"})
    assert not voicemail(sid).is_read


def test_delete_hides_the_voicemail(client, twilio, standin, team):
    sid = leave_voicemail(twilio, standin, 1, transcript="delete me")
    vm = voicemail(sid)
    sign_in(client, "alice@example.com")
    answer = submit(client, f"/voicemails/{vm.id}/delete")
    assert answer.headers["Location"] == "/inbox"
    assert voicemail(sid).is_deleted and voicemail(sid).recording_url  # kept: only hidden
    assert "delete me" not in client.get("/inbox").get_data(as_text=True)
    assert client.get(f"/voicemails/{vm.id}").status_code == 404


def test_delete_with_the_recording_deletes_it_at_twilio(make_app, prism, standin):
    app = make_app(TWILIO_HTTP_CLIENT=prism, TWILIO_API_BASE_URL=standin.base_url, PUBLIC_BASE_URL=None)
    with app.app_context():
        from tests.support import Twilio
        from tests.support.builders import make_mailbox
        from voicebox.services import users

        support = make_mailbox()
        users.create_user("alice@example.com", "correct horse battery", mailbox_ids=[support.id])
        client = app.test_client()
        sid = leave_voicemail(Twilio(client), standin, 0xABC)
        vm = voicemail(sid)
        sign_in(client, "alice@example.com")
        answer = submit(client, f"/voicemails/{vm.id}/delete", {"recording": "1"})
        assert answer.headers["Location"] == "/inbox"
        deletes = [e for e in prism.exchanges if e.method == "DELETE"]
        assert [(e.path, e.prism_status) for e in deletes] == [
            (f"/2010-04-01/Accounts/{'AC' + '0' * 32}/Recordings/{sid}.json", 204)
        ]
        assert voicemail(sid).is_deleted and voicemail(sid).recording_url is None


def test_a_refused_delete_at_twilio_keeps_the_voicemail(make_app, prism, standin):
    app = make_app(TWILIO_HTTP_CLIENT=prism, TWILIO_API_BASE_URL=standin.base_url)
    with app.app_context():
        from tests.support import Twilio
        from tests.support.builders import make_mailbox
        from voicebox.services import users

        users.create_user("alice@example.com", "correct horse battery", mailbox_ids=[make_mailbox().id])
        client = app.test_client()
        sid = leave_voicemail(Twilio(client), standin, 0xABD)
        sign_in(client, "alice@example.com")
        prism.fail_next(status=403, code=20003, message="Permission denied")
        answer = submit(client, f"/voicemails/{voicemail(sid).id}/delete", {"recording": "1"})
        assert answer.headers["Location"] == f"/voicemails/{voicemail(sid).id}"
        assert "Not deleted" in client.get(answer.headers["Location"]).get_data(as_text=True)
        assert not voicemail(sid).is_deleted and voicemail(sid).recording_url


def test_the_emails_listen_link_opens_the_page_for_a_signed_in_reader(client, twilio, standin, team):
    vm = voicemail(leave_voicemail(twilio, standin, 1))
    link = recordings.listen_url(vm).removeprefix("https://voicebox.example.com")
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    anonymous = client.get(link, headers=browser)
    assert (anonymous.status_code, anonymous.data) == (200, AUDIO)  # no account: the audio, as before
    sign_in(client, "alice@example.com")
    opened = client.get(link, headers=browser)
    assert opened.status_code == 302 and opened.headers["Location"] == f"/voicemails/{vm.id}"
    player = client.get(link, headers={"Accept": "*/*", "Range": "bytes=0-9"})
    assert (player.status_code, player.data) == (206, AUDIO[:10])
    submit(client, "/logout")
    sign_in(client, "bob@example.com")  # another mailbox's reader with the link: just the audio
    assert client.get(link, headers=browser).data == AUDIO


def test_a_forwarded_text_has_its_own_page(client, twilio, standin, team):
    text_in(twilio, 5, "Are you open on Sunday?")
    sign_in(client, "alice@example.com")
    href = re.search(r'href="(/texts/\d+)"', client.get("/inbox").get_data(as_text=True)).group(1)
    page = client.get(href).get_data(as_text=True)
    assert "Are you open on Sunday?" in page and 'href="sms:+14155550199"' in page
    submit(client, "/logout")
    sign_in(client, "bob@example.com")
    assert client.get(href).status_code == 404
