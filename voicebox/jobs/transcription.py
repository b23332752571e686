"""The whisper engine's job: fetch the recording from Twilio, send it to the transcription API,
store the outcome and prompt the email (which has been waiting for it, see jobs/voicemail.py)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from rq import get_current_job
from sqlalchemy import select

from .. import queueing, whisper_client
from ..extensions import db
from ..models import Voicemail, utcnow
from ..queueing import enqueue, job_is_live, retry_policy
from ..services import realtime, recordings, transcripts
from ..services.transcripts import Engine, Status
from . import voicemail as voicemail_jobs

log = logging.getLogger(__name__)

RETRY = "TRANSCRIPTION_RETRY_INTERVALS"


def after_recording(recording_sid: str) -> Engine | None:
    """After a recording status callback: fix the voicemail's engine once and start its work."""
    voicemail_id = db.session.scalar(select(Voicemail.id).where(Voicemail.recording_sid == recording_sid))
    engine = transcripts.begin(voicemail_id) if voicemail_id is not None else None
    if engine == Engine.WHISPER and voicemail_id is not None:
        queue_transcription(voicemail_id)
    if engine == Engine.REALTIME and voicemail_id is not None:
        vm = db.session.get(Voicemail, voicemail_id)
        # Twilio's last utterances may still be on their way: wait a little, unless it said it stopped.
        grace = (
            0 if realtime.stopped(vm.call_sid if vm else None) else current_app.config["TRANSCRIPTION_REALTIME_GRACE"]
        )
        queue_live_transcript(voicemail_id, "grace", utcnow() + timedelta(seconds=grace))
    return engine


def queue_live_transcript(voicemail_id: int, kind: str, at: datetime | None = None) -> bool:
    """Queue the job that assembles a live transcript (`kind` keeps the grace and stop jobs apart)."""
    job_id = queueing.job_id("voicemail", voicemail_id, f"live-{kind}")
    return enqueue(finish_live_transcript, voicemail_id, job_id=job_id, at=at) is not None


def finish_live_transcript(voicemail_id: int) -> str:
    """Assemble the live transcript and prompt the email; safe to run any number of times."""
    voicemail_jobs.queue_notification(realtime.assemble(voicemail_id), "transcript")
    return "assembled"


def queue_transcription(voicemail_id: int) -> bool:
    """Queue the whisper job under a fixed id, so duplicate callbacks collapse into one."""
    return (
        enqueue(
            transcribe_voicemail,
            voicemail_id,
            job_id=queueing.job_id("voicemail", voicemail_id, "whisper"),
            retry=retry_policy(RETRY),
        )
        is not None
    )


def transcribe_voicemail(voicemail_id: int) -> str:
    """Transcribe one voicemail with the whisper engine; safe to run any number of times.

    Temporary trouble (Twilio or the API unreachable, a 429 or 5xx) raises for RQ's retry with
    backoff, until the last try, which records the failure so the email stops waiting.
    """
    vm = db.session.get(Voicemail, voicemail_id, populate_existing=True)
    if vm is None or vm.transcription_engine != Engine.WHISPER or vm.transcription_status != Status.IN_PROGRESS:
        return "nothing to do"
    try:
        text = _transcribe(vm)
    except (recordings.MediaError, whisper_client.Unavailable) as exc:
        permanent = isinstance(exc, recordings.MediaError) and exc.status in (401, 403, 404)
        if not permanent and not _last_try():
            log.warning("voicemail %s: transcription not done yet (%s); retrying", voicemail_id, exc)
            raise
        return _fail(voicemail_id, str(exc))
    except (whisper_client.Refused, transcripts.NotConfigured) as exc:
        return _fail(voicemail_id, str(exc))
    voicemail_jobs.queue_notification(transcripts.finish(voicemail_id, Engine.WHISPER, text=text), "transcript")
    return "completed"


def _transcribe(vm: Voicemail) -> str:
    transcripts.check_engine(Engine.WHISPER)  # the API setting may have gone since the call
    if not recordings.credentials_allowed(vm.recording_url or ""):
        raise whisper_client.Refused("the recording is not on a Twilio host; not sending it the credentials")
    audio = recordings.fetch_capped(vm.recording_url or "", whisper_client.MAX_UPLOAD_BYTES)
    if audio is None:
        raise whisper_client.Refused("the recording is larger than the transcription API's 25 MB limit")
    language = transcripts.language_hint(vm.transcript_language)
    return whisper_client.transcribe(audio, f"voicemail-{vm.id}.mp3", language)


def _fail(voicemail_id: int, reason: str) -> str:
    log.error("voicemail %s: transcription failed: %s", voicemail_id, reason)
    voicemail_jobs.queue_notification(transcripts.finish(voicemail_id, Engine.WHISPER, error=reason), "transcript")
    return f"failed: {reason}"


def _last_try() -> bool:
    """True when RQ will not retry this job again (or it runs outside RQ)."""
    job = get_current_job()
    return job is None or not job.retries_left


def sweep_transcripts(limit: int = 500) -> int:
    """Re-queue transcripts in progress whose job Redis lost (a flushed Redis, a killed worker)."""
    stmt = (
        select(Voicemail.id, Voicemail.transcription_engine)
        .where(Voicemail.transcription_status == Status.IN_PROGRESS)
        .order_by(Voicemail.id)
        .limit(limit)
    )
    count = 0
    for voicemail_id, engine in db.session.execute(stmt).all():
        if engine == Engine.WHISPER and not job_is_live(queueing.job_id("voicemail", voicemail_id, "whisper")):
            count += queue_transcription(voicemail_id)
        elif engine == Engine.REALTIME and not any(
            job_is_live(queueing.job_id("voicemail", voicemail_id, f"live-{kind}")) for kind in ("grace", "stopped")
        ):
            count += queue_live_transcript(voicemail_id, "stopped")
    return count
