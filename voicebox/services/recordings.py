"""Twilio media (voicemail audio, MMS attachments): signed links, fetched from Twilio with account auth.

Twilio can require HTTP basic auth on recording media, so people never get Twilio's URL: they get
a signed, expiring link to voicebox, which fetches the audio with the account's credentials.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import requests
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from twilio.base.exceptions import TwilioException, TwilioRestException
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from ..extensions import db
from ..models import InboundMessage, Voicemail
from ..twilio_client import TwilioNotConfigured, credentials, get_client
from ..urls import public_url

LINK_SALT = "voicebox.listen-link"
LISTEN_PATH = "/listen/"
MEDIA_SALT = "voicebox.media-link"
MEDIA_PATH = "/media/"
CHUNK_BYTES = 64 * 1024


class LinkExpired(Exception):
    """The listen link was genuine but is older than LISTEN_LINK_MAX_AGE_DAYS."""


class MediaError(Exception):
    """The recording could not be fetched; `status` is Twilio's HTTP status when it answered."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT)


def listen_url(voicemail: Voicemail) -> str | None:
    """The signed link to a voicemail's audio under PUBLIC_BASE_URL (None when that is unset)."""
    return public_url(LISTEN_PATH + _serializer().dumps(voicemail.recording_sid))


def voicemail_for_token(token: str) -> Voicemail | None:
    """The voicemail a listen-link token names; None if forged or gone. Raises LinkExpired."""
    max_age = current_app.config["LISTEN_LINK_MAX_AGE_DAYS"] * 86400
    try:
        recording_sid = _serializer().loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise LinkExpired(str(exc)) from exc
    except BadSignature:
        return None
    vm = db.session.scalar(select(Voicemail).where(Voicemail.recording_sid == recording_sid))
    return None if vm is None or vm.is_deleted else vm


# Twilio's REST API hosts: api.twilio.com, and api.<edge>.<region>.twilio.com for a processing Region
# (e.g. api.sydney.au1.twilio.com). The older api.<region>.twilio.com names stopped working in 2026.
TWILIO_API_HOST = re.compile(r"api(\.[a-z][a-z-]*\.[a-z]{2}[0-9])?\.twilio\.com")


def credentials_allowed(url: str) -> bool:
    r"""Whether the account credentials may be sent to `url`.

    Only Twilio's API hosts over HTTPS on the default port, or exactly the configured
    TWILIO_API_BASE_URL (a Twilio-compatible provider, or a local stand-in in tests). The URL is read
    with urllib3's parser, the one requests connects with: urlsplit disagrees with it about `\`, so
    `https://evil.example\@api.twilio.com/` looks like Twilio to urlsplit but connects to evil.example.
    """
    target = _origin(url)
    if target is None:
        return False
    scheme, host, port = target
    if scheme == "https" and port == 443 and TWILIO_API_HOST.fullmatch(host):
        return True
    return target == _origin(current_app.config["TWILIO_API_BASE_URL"] or "")


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) as urllib3 will connect, or None for anything odd enough to refuse."""
    if not url or any(ch == "\\" or ch.isspace() or not ch.isprintable() for ch in url):
        return None
    try:
        parts = parse_url(url)
    except LocationParseError:
        return None
    if parts.auth or parts.scheme not in ("http", "https") or not parts.host:
        return None
    return parts.scheme, parts.host.lower(), parts.port or (443 if parts.scheme == "https" else 80)


def mp3_url(recording_url: str) -> str:
    """Twilio serves a RecordingUrl as WAV; the same URL with `.mp3` is a far smaller MP3."""
    path = urlsplit(recording_url).path
    return recording_url if path.endswith((".mp3", ".wav")) else recording_url + ".mp3"


def open_recording(recording_url: str, range_header: str | None = None) -> requests.Response:
    """Start streaming a recording (as MP3) from Twilio with the account's credentials."""
    return open_media(mp3_url(recording_url), range_header)


def open_media(url: str, range_header: str | None = None) -> requests.Response:
    """Start streaming media (a recording, an MMS attachment) from Twilio with the account's credentials.

    The caller must close the response. Raises MediaError if the host is not trusted with the
    credentials, Twilio cannot be reached, or it answers with an error.
    """
    if not credentials_allowed(url):
        raise MediaError(f"refusing to send Twilio credentials to {urlsplit(url).netloc}")
    cfg = current_app.config
    try:
        auth = credentials()
    except TwilioNotConfigured as exc:
        raise MediaError(str(exc)) from exc
    # Identity encoding: the bytes (and Content-Length) relayed to the browser are Twilio's own.
    headers = {"Accept-Encoding": "identity"} | ({"Range": range_header} if range_header else {})
    try:
        # requests drops the Authorization header itself if Twilio redirects to another host.
        response = requests.get(
            url,
            auth=auth,
            headers=headers,
            stream=True,
            timeout=cfg["TWILIO_MEDIA_TIMEOUT"],
        )
    except requests.RequestException as exc:
        raise MediaError(f"could not reach Twilio for the media: {type(exc).__name__}") from exc
    if response.status_code >= 400:
        response.close()
        raise MediaError(f"Twilio answered {response.status_code} for the media", response.status_code)
    return response


def delete_at_twilio(recording_sid: str) -> None:
    """Delete a recording at Twilio (DELETE .../Recordings/{Sid}.json). One Twilio no longer has
    (HTTP 404) counts as deleted. Raises MediaError when Twilio refuses or cannot be reached."""
    try:
        get_client().recordings(recording_sid).delete()
    except TwilioRestException as exc:
        if exc.status != 404:
            raise MediaError(f"Twilio refused to delete the recording: {exc.msg}", exc.status) from exc
    except (TwilioException, requests.RequestException, OSError) as exc:
        raise MediaError(f"could not reach Twilio to delete the recording: {type(exc).__name__}") from exc


def media_link(text: InboundMessage, index: int) -> str | None:
    """A signed link to an MMS attachment of an inbound text (None when PUBLIC_BASE_URL is unset).

    Twilio may require HTTP auth on message media too, so emails carry our link, never Twilio's URL.
    """
    token = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=MEDIA_SALT).dumps([text.message_sid, index])
    return public_url(MEDIA_PATH + token)


def media_for_token(token: str) -> tuple[InboundMessage, str] | None:
    """The inbound text and attachment URL a media-link token names; None if forged or gone."""
    max_age = current_app.config["LISTEN_LINK_MAX_AGE_DAYS"] * 86400
    try:
        message_sid, index = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=MEDIA_SALT).loads(
            token, max_age=max_age
        )
    except SignatureExpired as exc:
        raise LinkExpired(str(exc)) from exc
    except (BadSignature, ValueError, TypeError):
        return None
    text = db.session.scalar(select(InboundMessage).where(InboundMessage.message_sid == message_sid))
    if text is None or not isinstance(index, int) or not 0 <= index < len(text.media_urls or []):
        return None
    return text, text.media_urls[index]


def fetch_capped(recording_url: str, max_bytes: int) -> bytes | None:
    """The whole recording as bytes, or None when it is larger than `max_bytes`. Raises MediaError."""
    response = open_recording(recording_url)
    try:
        declared = response.headers.get("Content-Length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
            return None
        data = bytearray()
        for chunk in response.iter_content(CHUNK_BYTES):
            data += chunk
            if len(data) > max_bytes:
                return None
        return bytes(data)
    except requests.RequestException as exc:
        raise MediaError(f"the recording download broke off: {type(exc).__name__}") from exc
    finally:
        response.close()
