"""Twilio's credentials go to Twilio's hosts only, judged by the parser that connects (urllib3)."""

from __future__ import annotations

import pytest

from voicebox.services import recordings

ATTACKS = [
    "https://evil.example\\@api.twilio.com/x",
    "https://evil.example\\.twilio.com/x",
    "https://user:pass@api.twilio.com/x",
    "https://api.twilio.com@evil.example/x",
    "https://api.twilio.com /x",
    "https://api.twilio.com\t/x",
    "http://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE1",
    "https://evil.example/x",
    "https://twilio.com.evil.example/x",
    "https://eviltwilio.com/x",
    "https://api.ie1.twilio.com/x",  # the legacy api.<region> names stopped working in 2026
    "https://api.twilio.com:8443/x",
    "ftp://api.twilio.com/x",
    "//api.twilio.com/x",
    "https:///x",
    "",
]
TWILIO_HOSTS = [
    "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE0",
    "https://api.twilio.com:443/2010-04-01/Accounts/AC0/Messages/MM0/Media/ME0",
    "https://API.Twilio.com/2010-04-01/Accounts/AC0/Recordings/RE0",
    "https://api.sydney.au1.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE0",
    "https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE0",
    "https://api.ashburn.us1.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE0",
]


@pytest.mark.parametrize("url", ATTACKS)
def test_credentials_refused_for_attack_urls(app, url):
    assert not recordings.credentials_allowed(url)
    with pytest.raises(recordings.MediaError, match="refusing"):
        recordings.open_media(url)


@pytest.mark.parametrize("url", TWILIO_HOSTS)
def test_credentials_allowed_for_twilio_api_hosts(app, url):
    assert recordings.credentials_allowed(url)


def test_non_api_twilio_hosts_get_no_credentials(app):
    # Media redirect targets and other twilio.com hosts never need the account's auth token.
    for url in ("https://www.twilio.com/x", "https://demo.twilio.com/docs/classic.mp3", "https://twilio.com/x"):
        assert not recordings.credentials_allowed(url)


def test_backslash_url_never_reaches_the_host_urllib3_connects_to(app, tls_listener):
    # urlsplit reads the host as api.twilio.com; urllib3 (what requests uses) connects to 127.0.0.1.
    url = f"https://127.0.0.1:{tls_listener.port}\\@api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE0"
    with pytest.raises(recordings.MediaError):
        recordings.open_media(url)
    assert tls_listener.authorizations == []


def test_the_listener_would_see_the_credentials(app, tls_listener):
    # Proves the listener above can observe a leak: configured as the API host, it gets the header.
    app.config["TWILIO_API_BASE_URL"] = f"https://127.0.0.1:{tls_listener.port}"
    recordings.open_media(f"https://127.0.0.1:{tls_listener.port}/x").close()
    assert tls_listener.authorizations and tls_listener.authorizations[0].startswith("Basic ")


def test_configured_base_must_match_exactly(app, tls_listener):
    app.config["TWILIO_API_BASE_URL"] = f"https://127.0.0.1:{tls_listener.port}"
    for url in (
        f"https://127.0.0.1:{tls_listener.port + 1}/x",
        f"http://127.0.0.1:{tls_listener.port}/x",
        f"https://u:p@127.0.0.1:{tls_listener.port}/x",
        f"https://127.0.0.1:{tls_listener.port}\\@api.twilio.com/x",
    ):
        assert not recordings.credentials_allowed(url), url
