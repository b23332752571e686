"""The inbox, a voicemail's page (player, transcript, call details), read/unread, delete, a forwarded text."""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, url_for

from ..media import relay_response
from ..models import Voicemail
from ..services import inbox as service
from ..services import recordings
from ..services import voicemails as voicemail_service
from . import bp, require_mailbox, visible_ids

log = logging.getLogger(__name__)


def _voicemail(voicemail_id: int) -> Voicemail:
    voicemail = voicemail_service.get_visible_voicemail(voicemail_id)
    if voicemail is None:
        abort(404)
    require_mailbox(voicemail.mailbox_id)
    return voicemail


@bp.get("/inbox")
def inbox():
    mailbox_id = request.args.get("mailbox", type=int)
    if mailbox_id is not None:
        require_mailbox(mailbox_id)
    page = service.inbox_page(request.args.get("page", 1, type=int), mailbox_id, visible_ids())
    return render_template("web/inbox.html", page=page, mailbox_id=mailbox_id)


@bp.get("/voicemails/<int:voicemail_id>")
def voicemail(voicemail_id: int):
    vm = _voicemail(voicemail_id)
    return render_template("web/voicemail.html", vm=vm, call=voicemail_service.call_of(vm))


@bp.get("/voicemails/<int:voicemail_id>/audio")
def voicemail_audio(voicemail_id: int):
    vm = _voicemail(voicemail_id)
    if not vm.recording_url:
        abort(404)
    try:
        # The browser's Range goes to Twilio and its 206/Content-Range come back: seeking works.
        upstream = recordings.open_recording(vm.recording_url, request.headers.get("Range"))
    except recordings.MediaError as exc:
        log.warning("audio for voicemail %s: %s", vm.id, exc)
        abort(404 if exc.status in (404, 410) else 502)
    return relay_response(upstream, "audio/mpeg", f"voicemail-{vm.id}.mp3")


@bp.post("/voicemails/<int:voicemail_id>/read")
def voicemail_read(voicemail_id: int):
    read = request.form.get("read", "1") == "1"
    voicemail_service.mark_read(_voicemail(voicemail_id), read)
    flash("Marked as read." if read else "Marked as unread.", "info")
    return redirect(url_for("web.voicemail", voicemail_id=voicemail_id))


@bp.post("/voicemails/<int:voicemail_id>/delete")
def voicemail_delete(voicemail_id: int):
    vm = _voicemail(voicemail_id)
    at_twilio = request.form.get("recording") == "1"
    if at_twilio:
        try:
            recordings.delete_at_twilio(vm.recording_sid)
        except recordings.MediaError as exc:
            flash(f"Not deleted: {exc}", "error")
            return redirect(url_for("web.voicemail", voicemail_id=voicemail_id))
    voicemail_service.soft_delete(vm, recording_deleted=at_twilio)
    flash("Voicemail deleted" + (", and its recording at Twilio." if at_twilio else "."), "info")
    return redirect(url_for("web.inbox"))


@bp.get("/texts/<int:text_id>")
def text(text_id: int):
    found = service.get_forwarded_text(text_id)
    if found is None:
        abort(404)
    require_mailbox(found.mailbox_id)
    return render_template("web/text.html", text=found)


@bp.get("/texts/<int:text_id>/media/<int:index>")
def text_media(text_id: int, index: int):
    found = service.get_forwarded_text(text_id)
    if found is None or not 0 <= index < len(found.media_urls or []):
        abort(404)
    require_mailbox(found.mailbox_id)
    try:
        upstream = recordings.open_media(found.media_urls[index], request.headers.get("Range"))
    except recordings.MediaError as exc:
        log.warning("attachment %s of text %s: %s", index, found.id, exc)
        abort(404 if exc.status in (404, 410) else 502)
    return relay_response(upstream, "application/octet-stream", f"text-{found.id}-attachment")
