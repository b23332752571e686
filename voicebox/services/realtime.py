"""Twilio Real-Time Transcription (the twilio-realtime engine): its events, and the transcript made from them.

Twilio posts transcription-started, transcription-content (one per utterance), transcription-stopped
and transcription-error to the <Transcription statusCallbackUrl>, keyed by CallSid and
TranscriptionSid. Content events can repeat and arrive out of order, so each is stored once
(TranscriptionSid + SequenceId) and the transcript is the final utterances in SequenceId order,
assembled when transcription stops or, failing that, a grace period after the recording completed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from ..extensions import db
from ..i18n import locale_for
from ..models import Call, Utterance, Voicemail, utcnow
from ..rows import insert_ignore
from .transcripts import Engine, Status, finish

# Scripts written without spaces between words: their utterances join without one.
UNSPACED = {"zh", "ja", "th", "lo", "km", "my"}


@dataclass(frozen=True)
class Content:
    """A transcription-content event."""

    call_sid: str
    transcription_sid: str
    sequence_id: int
    text: str
    final: bool
    track: str | None


def record_content(event: Content) -> bool:
    """Store an utterance once; True when it was new."""
    values = {
        "event_key": f"{event.transcription_sid}:{event.sequence_id}",
        "call_sid": event.call_sid,
        "transcription_sid": event.transcription_sid,
        "sequence_id": event.sequence_id,
        "track": event.track,
        "final": event.final,
        "text": event.text,
    }
    added = insert_ignore(Utterance, values, key="event_key")
    db.session.commit()
    return added


def record_stopped(call_sid: str, error: str | None = None) -> list[int]:
    """Note that the call's transcription ended (first report wins). Returns the ids of its voicemails
    whose live transcript is waiting, to be finished now."""
    db.session.execute(
        update(Call)
        .where(Call.call_sid == call_sid, Call.live_transcription_stopped_at.is_(None))
        .values(live_transcription_stopped_at=utcnow(), live_transcription_error=error)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return _waiting(call_sid)


def stopped(call_sid: str | None) -> bool:
    """Whether Twilio already reported the end of this call's live transcription."""
    if not call_sid:
        return False
    when = db.session.scalar(select(Call.live_transcription_stopped_at).where(Call.call_sid == call_sid))
    return when is not None


def _waiting(call_sid: str) -> list[int]:
    stmt = select(Voicemail.id).where(
        Voicemail.call_sid == call_sid,
        Voicemail.transcription_engine == Engine.REALTIME,
        Voicemail.transcription_status == Status.IN_PROGRESS,
    )
    return list(db.session.scalars(stmt))


def assemble(voicemail_id: int) -> int | None:
    """Finish the voicemail's transcript from the final utterances of its call, in sequence order.

    Returns the voicemail's id while its email is still to be sent (see transcripts.finish).
    """
    vm = db.session.get(Voicemail, voicemail_id, populate_existing=True)
    if vm is None or vm.transcription_engine != Engine.REALTIME or vm.transcription_status != Status.IN_PROGRESS:
        return None
    rows = db.session.scalars(
        select(Utterance)
        .where(Utterance.call_sid == vm.call_sid, Utterance.final.is_(True))
        .order_by(Utterance.transcription_sid, Utterance.sequence_id)
    )
    pieces = [u.text.strip() for u in rows if u.text.strip()]
    if not pieces:
        error = db.session.scalar(select(Call.live_transcription_error).where(Call.call_sid == vm.call_sid))
        return finish(voicemail_id, Engine.REALTIME, error=error or "Twilio's real-time transcription heard no speech")
    glue = "" if locale_for(vm.transcript_language).language in UNSPACED else " "
    return finish(voicemail_id, Engine.REALTIME, text=glue.join(pieces))
