"""`flask twilio configure` against the Prism mock of Twilio's REST API, with a stand-in for the local
ngrok agent's /api/tunnels on loopback."""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.support import free_port
from tests.support.builders import TWILIO_NUMBER, make_mailbox
from tests.support.prism import NUMBER

PUBLIC = "https://abc123.ngrok.app"


class NgrokAgent:
    """Answers GET /api/tunnels like the ngrok agent's local API (a list of tunnels with public_url)."""

    def __init__(self, tunnels: list[dict]) -> None:
        self.tunnels = tunnels
        self.server = make_server("127.0.0.1", 0, self.wsgi)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    @Request.application
    def wsgi(self, request: Request) -> Response:
        if request.path != "/api/tunnels":
            return Response("not found", 404)
        return Response(json.dumps({"tunnels": self.tunnels, "uri": "/api/tunnels"}), mimetype="application/json")


def tunnel(public_url: str, addr: str = "http://localhost:5000") -> dict:
    proto = public_url.split(":")[0]
    return {"name": f"command_line ({proto})", "public_url": public_url, "proto": proto, "config": {"addr": addr}}


@pytest.fixture
def ngrok() -> Iterator[NgrokAgent]:
    agent = NgrokAgent([tunnel("http://abc123.ngrok.app"), tunnel(PUBLIC)])
    yield agent
    agent.server.shutdown()


@pytest.fixture
def cli(make_app, prism):
    app = make_app(TWILIO_HTTP_CLIENT=prism)
    with app.app_context():
        yield app.test_cli_runner()


def updates(prism) -> list[dict]:
    return [e.data for e in prism.exchanges if e.method == "POST" and NUMBER.match(e.path)]


def test_ngrok_url_points_the_number_and_is_saved_to_env(cli, prism, ngrok, tmp_path):
    sid = prism.own_number(TWILIO_NUMBER, voice_url="https://old.example.com/voice", voice_method="GET")
    env = tmp_path / ".env"
    env.write_text("SECRET_KEY=s\nPUBLIC_BASE_URL=https://old.example.com\n")
    args = ["twilio", "configure", "--number", TWILIO_NUMBER, "--ngrok", "--ngrok-api", ngrok.url]
    result = cli.invoke(args=[*args, "--save", "--env-file", str(env)])
    assert result.exit_code == 0, result.output
    # Prism validated the update against Twilio's spec; only what differs is sent (SmsMethod was POST).
    assert updates(prism) == [
        {"VoiceUrl": f"{PUBLIC}/voice/incoming", "VoiceMethod": "POST", "SmsUrl": f"{PUBLIC}/sms/incoming"}
    ]
    assert prism.phone_numbers[sid]["voice_url"] == f"{PUBLIC}/voice/incoming"
    assert f"voice_url https://old.example.com/voice -> {PUBLIC}/voice/incoming" in result.output
    assert "PUBLIC_BASE_URL=https://abc123.ngrok.app" in env.read_text().splitlines()
    assert "SECRET_KEY=s" in env.read_text().splitlines()
    assert stat.S_IMODE(os.stat(env).st_mode) == 0o600


def test_a_second_run_changes_nothing(cli, prism):
    prism.own_number(TWILIO_NUMBER)
    args = ["twilio", "configure", "--number", TWILIO_NUMBER, "--base-url", PUBLIC + "/"]
    assert cli.invoke(args=args).exit_code == 0
    again = cli.invoke(args=args)
    assert again.exit_code == 0
    assert len(updates(prism)) == 1
    assert "already points at" in again.output
    assert "run again with --save" in again.output  # PUBLIC_BASE_URL differs and was not saved


def test_without_number_configures_the_mailbox_numbers(cli, prism):
    make_mailbox()
    prism.own_number("+14155550999")  # in the account, but no mailbox answers it
    mine = prism.own_number(TWILIO_NUMBER)
    result = cli.invoke(args=["twilio", "configure", "--base-url", PUBLIC])
    assert result.exit_code == 0, result.output
    assert [e.path.rsplit("/", 1)[1] for e in prism.exchanges if e.method == "POST"] == [f"{mine}.json"]


def test_number_not_in_the_account(cli, prism):
    prism.own_number("+14155550999")
    result = cli.invoke(args=["twilio", "configure", "--number", TWILIO_NUMBER, "--base-url", PUBLIC])
    assert result.exit_code == 1
    assert f"{TWILIO_NUMBER} is not a phone number of Twilio account AC" in result.output
    assert updates(prism) == []


def test_ngrok_not_running(cli, prism):
    prism.own_number(TWILIO_NUMBER)
    silent = f"http://127.0.0.1:{free_port()}"
    result = cli.invoke(args=["twilio", "configure", "--ngrok", "--ngrok-api", silent])
    assert result.exit_code == 1
    assert f"ngrok is not running (nothing answers at {silent})" in result.output
    assert "ngrok http 5000" in result.output
    assert prism.exchanges == []


def test_ngrok_without_an_https_tunnel(cli, prism, ngrok):
    ngrok.tunnels = [tunnel("http://abc123.ngrok.app")]
    result = cli.invoke(args=["twilio", "configure", "--ngrok", "--ngrok-api", ngrok.url])
    assert result.exit_code == 1
    assert "ngrok runs no https tunnel" in result.output


def test_without_credentials_says_so(make_app):
    app = make_app(TWILIO_ACCOUNT_SID=None)
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["twilio", "configure", "--base-url", PUBLIC])
    assert result.exit_code == 1
    assert "Twilio credentials not set" in result.output
