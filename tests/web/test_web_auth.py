"""Signing in and out, where signed-out visitors are sent, CSRF on every form, and `flask user create`."""

from __future__ import annotations

from sqlalchemy import select

from tests.web.steps import PASSWORD, csrf_token, sign_in, submit
from voicebox.extensions import db
from voicebox.models import User


def test_signed_out_visitors_go_to_login_and_come_back(client, team):
    root = client.get("/")
    assert root.status_code == 302 and root.headers["Location"].startswith("/login")
    page = client.get("/messages")
    assert page.status_code == 302 and "/login?next=" in page.headers["Location"]
    answer = client.post(
        "/login", data={"email": "Alice@Example.com ", "password": PASSWORD, "next": "/messages",
                        "csrf_token": csrf_token(client)},
    )  # fmt: skip
    assert (answer.status_code, answer.headers["Location"]) == (302, "/messages")
    assert client.get("/").headers["Location"] == "/inbox"
    assert client.get("/inbox").status_code == 200


def test_every_page_needs_a_session(client, team):
    for path in ("/inbox", "/messages", "/messages/new", "/sequences", "/sequences/new", "/optouts", "/mailboxes",
                 f"/mailboxes/{team.support.id}", "/voicemails/1", "/voicemails/1/audio", "/texts/1"):  # fmt: skip
        answer = client.get(path)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login"), path


def test_a_wrong_password_is_refused_without_a_session(client, team):
    answer = sign_in(client, "alice@example.com", "not the password")
    assert answer.status_code == 401
    assert "do not match" in answer.get_data(as_text=True)
    assert sign_in(client, "nobody@example.com").status_code == 401
    assert client.get("/inbox").status_code == 302


def test_login_never_redirects_off_site(client, team):
    token = csrf_token(client)
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        answer = client.post(
            "/login", data={"email": "alice@example.com", "password": PASSWORD, "next": target, "csrf_token": token}
        )
        assert answer.headers["Location"] == "/inbox", target
        client.post("/logout", data={"csrf_token": csrf_token(client, "/inbox")})
        token = csrf_token(client)


def test_logout_ends_the_session(client, team):
    sign_in(client, "alice@example.com")
    answer = submit(client, "/logout")
    assert answer.headers["Location"] == "/login"
    assert client.get("/inbox").status_code == 302


def test_a_post_without_the_csrf_token_is_a_400_page(client, team):
    without = client.post("/login", data={"email": "alice@example.com", "password": PASSWORD})
    assert without.status_code == 400
    body = without.get_data(as_text=True)
    assert without.mimetype == "text/html" and "reload the page" in body and "Traceback" not in body
    assert client.get("/inbox").status_code == 302  # not signed in
    sign_in(client, "alice@example.com")
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert client.get("/inbox").status_code == 200  # still signed in
    assert client.post("/optouts", data={"number": "+14155550123"}).status_code == 400


def test_user_create_generates_a_password_shown_once(app, runner, team):
    result = runner.invoke(args=["user", "create", "Carol@Example.com", "--mailbox", str(team.sales.id)])
    assert result.exit_code == 0, result.output
    password = result.output.split("password (shown once): ")[1].strip()
    carol = db.session.scalar(select(User).where(User.email == "carol@example.com"))
    assert [m.name for m in carol.mailboxes] == ["Sales"] and not carol.is_admin
    assert password not in carol.password_hash and carol.password_hash.startswith(("scrypt:", "pbkdf2:"))
    client = app.test_client()
    assert sign_in(client, "carol@example.com", password).status_code == 302
    admin = runner.invoke(args=["user", "create", "dave@example.com", "--admin"])
    assert "created user dave@example.com (admin)" in admin.output
    again = runner.invoke(args=["user", "create", "carol@example.com"])
    assert again.exit_code != 0 and "already exists" in again.output
    unknown = runner.invoke(args=["user", "create", "erin@example.com", "--mailbox", "999"])
    assert unknown.exit_code != 0 and "no mailbox with id 999" in unknown.output


def test_repeated_wrong_passwords_lock_that_email_for_a_while(client, team):
    for _ in range(10):
        assert sign_in(client, "alice@example.com", "guess").status_code == 401
    locked = sign_in(client, "ALICE@example.com")  # the right password, too late
    assert locked.status_code == 429 and "Too many wrong passwords" in locked.get_data(as_text=True)
    assert client.get("/inbox").status_code == 302
    assert sign_in(client, "bob@example.com").status_code == 302  # other people are not locked out
