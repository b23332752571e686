"""/api/voicemails: list, read, redo the transcript, and delete (soft: the row stays, hidden)."""

from __future__ import annotations

from ..errors import ApiError
from ..jobs import transcription as transcription_jobs
from ..models import Voicemail
from ..schemas.mailboxes import VoicemailOut, VoicemailPatch, VoicemailQuery
from ..services import transcripts
from ..services import voicemails as service
from . import not_found, operation


def _load(voicemail_id: int) -> Voicemail:
    voicemail = service.get_visible_voicemail(voicemail_id)
    if voicemail is None:
        raise not_found(f"voicemail {voicemail_id}")
    return voicemail


@operation(
    "GET", "/voicemails", "List voicemails, newest first", query=VoicemailQuery, response=VoicemailOut, many=True
)
def list_voicemails(query: VoicemailQuery):
    return service.list_voicemails(query.mailbox, query.limit)


@operation("GET", "/voicemails/<int:voicemail_id>", "Get a voicemail", response=VoicemailOut)
def get_voicemail(voicemail_id: int):
    return _load(voicemail_id)


@operation(
    "PATCH",
    "/voicemails/<int:voicemail_id>",
    "Mark a voicemail read or unread",
    body=VoicemailPatch,
    response=VoicemailOut,
)
def patch_voicemail(voicemail_id: int, body: VoicemailPatch):
    return service.mark_read(_load(voicemail_id), body.read)


@operation(
    "DELETE", "/voicemails/<int:voicemail_id>", "Delete a voicemail (hidden from the API from then on)", status=204
)
def delete_voicemail(voicemail_id: int):
    service.soft_delete(_load(voicemail_id))


@operation(
    "POST",
    "/voicemails/<int:voicemail_id>/transcribe",
    "Redo a voicemail's transcript with the whisper engine (the email is not sent again)",
    response=VoicemailOut,
    status=202,
)
def transcribe_voicemail(voicemail_id: int):
    voicemail = _load(voicemail_id)
    try:
        transcripts.redo(voicemail)
    except transcripts.NotConfigured as exc:
        raise ApiError(409, "not_configured", str(exc), "transcription") from exc
    transcription_jobs.queue_transcription(voicemail.id)
    return voicemail
