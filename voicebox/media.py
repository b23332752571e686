"""/listen/<token> and /media/<token>: signed, expiring links in emails (voicemail audio, MMS
attachments of forwarded texts), streaming the media from Twilio.

The browser only ever talks to voicebox: the Twilio URL and credentials stay on the server.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, redirect, request, stream_with_context, url_for
from flask_login import current_user

from .services import recordings, users

log = logging.getLogger(__name__)
bp = Blueprint("media", __name__)

# Upstream headers worth passing on; everything else (cookies, Twilio's own headers) stays behind.
PASSED_HEADERS = ("Content-Type", "Content-Length", "Content-Range", "Accept-Ranges", "Last-Modified", "ETag")


@bp.get(recordings.LISTEN_PATH + "<token>")
def listen(token: str):
    try:
        voicemail = recordings.voicemail_for_token(token)
    except recordings.LinkExpired:
        abort(410, "This listen link has expired.")
    if voicemail is None or not voicemail.recording_url:
        abort(404)
    if _opens_in_inbox(voicemail):
        return redirect(url_for("web.voicemail", voicemail_id=voicemail.id))
    try:
        upstream = recordings.open_recording(voicemail.recording_url, request.headers.get("Range"))
    except recordings.MediaError as exc:
        log.warning("listen link for voicemail %s: %s", voicemail.id, exc)
        abort(404 if exc.status in (404, 410) else 502)
    return relay_response(upstream, "audio/mpeg", f"voicemail-{voicemail.id}.mp3")


def _opens_in_inbox(voicemail) -> bool:
    """A signed-in reader of the mailbox who opens the email's link in a browser gets the voicemail's page;
    everyone else (no account, an audio player, a download) gets the audio as before."""
    navigating = request.accept_mimetypes.best == "text/html"
    return navigating and current_user.is_authenticated and users.can_read(current_user, voicemail.mailbox_id)


@bp.get(recordings.MEDIA_PATH + "<token>")
def attachment(token: str):
    try:
        found = recordings.media_for_token(token)
    except recordings.LinkExpired:
        abort(410, "This link has expired.")
    if found is None:
        abort(404)
    text, url = found
    try:
        upstream = recordings.open_media(url, request.headers.get("Range"))
    except recordings.MediaError as exc:
        log.warning("media link for text %s: %s", text.message_sid, exc)
        abort(404 if exc.status in (404, 410) else 502)
    return relay_response(upstream, "application/octet-stream", f"text-{text.id}-attachment")


def relay_response(upstream, default_type: str, filename: str) -> Response:
    """Stream Twilio's answer to the browser with its status (206 for a Range) and only the safe headers."""
    headers = {name: upstream.headers[name] for name in PASSED_HEADERS if name in upstream.headers}
    headers.setdefault("Content-Type", default_type)
    headers["Content-Disposition"] = f'inline; filename="{filename}"'
    # A signed link is a bearer credential: keep the media out of shared caches.
    headers["Cache-Control"] = "private, no-store"
    headers["Referrer-Policy"] = "no-referrer"
    return Response(stream_with_context(_relay(upstream)), status=upstream.status_code, headers=headers)


def _relay(upstream):
    try:
        yield from upstream.iter_content(recordings.CHUNK_BYTES)
    finally:
        upstream.close()
