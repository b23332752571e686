"""/listen/<token>: the signed, expiring link in voicemail emails, streaming the audio from Twilio.

The browser only ever talks to voicebox: the Twilio URL and credentials stay on the server.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, request, stream_with_context

from .services import recordings

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
    try:
        upstream = recordings.open_recording(voicemail.recording_url, request.headers.get("Range"))
    except recordings.MediaError as exc:
        log.warning("listen link for voicemail %s: %s", voicemail.id, exc)
        abort(404 if exc.status in (404, 410) else 502)
    headers = {name: upstream.headers[name] for name in PASSED_HEADERS if name in upstream.headers}
    headers.setdefault("Content-Type", "audio/mpeg")
    headers["Content-Disposition"] = f'inline; filename="voicemail-{voicemail.id}.mp3"'
    # A listen link is a bearer credential: keep the audio out of shared caches.
    headers["Cache-Control"] = "private, no-store"
    headers["Referrer-Policy"] = "no-referrer"
    return Response(stream_with_context(_relay(upstream)), status=upstream.status_code, headers=headers)


def _relay(upstream):
    try:
        yield from upstream.iter_content(recordings.CHUNK_BYTES)
    finally:
        upstream.close()
