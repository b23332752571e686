"""/api/voicemails."""

from __future__ import annotations

from flask import jsonify
from sqlalchemy import select

from ..extensions import db
from ..models import Voicemail
from ..schemas.mailboxes import VoicemailOut
from . import not_found, operation, query_int


def voicemail_json(vm: Voicemail) -> dict:
    """The API view of a voicemail (never with Twilio credentials)."""
    return VoicemailOut(
        id=vm.id,
        mailbox_id=vm.mailbox_id,
        call_sid=vm.call_sid,
        recording_sid=vm.recording_sid,
        **{"from": vm.from_number},
        to=vm.to_number,
        duration=vm.duration,
        recording_url=vm.recording_url,
        recording_status=vm.recording_status,
        transcript=vm.transcript,
        transcription_status=vm.transcription_status,
        notification={
            "state": vm.notify_state,
            "error": vm.notify_error,
            "attempts": vm.notify_attempts,
            "sent_at": vm.notified_at.isoformat() if vm.notified_at else None,
        },
        is_read=vm.is_read,
        created_at=vm.created_at,
    ).model_dump(mode="json", by_alias=True)


@operation(
    "GET", "/voicemails", "List voicemails, newest first", response=VoicemailOut, many=True, query=("mailbox", "limit")
)
def list_voicemails():
    query = select(Voicemail).where(Voicemail.is_deleted.is_(False))
    mailbox = query_int("mailbox")
    if mailbox is not None:
        query = query.where(Voicemail.mailbox_id == mailbox)
    limit = query_int("limit", 100, hi=500)
    rows = db.session.scalars(query.order_by(Voicemail.created_at.desc(), Voicemail.id.desc()).limit(limit))
    return jsonify(items=[voicemail_json(vm) for vm in rows])


@operation("GET", "/voicemails/<int:voicemail_id>", "Get a voicemail", response=VoicemailOut)
def get_voicemail(voicemail_id: int):
    vm = db.session.get(Voicemail, voicemail_id)
    if vm is None or vm.is_deleted:
        raise not_found(f"voicemail {voicemail_id}")
    return jsonify(voicemail_json(vm))
