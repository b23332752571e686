"""The sweep rescues what the database says is owed, whatever RQ's registries say: a job parked in
the scheduled registry of a dead scheduler, or "started" by a worker that died, holds nothing."""

from __future__ import annotations

import time
from datetime import timedelta

import time_machine
from rq import Worker
from rq.job import Job, JobStatus

from tests.notifications.steps import incoming, recording_status, voicemail
from tests.support import work
from voicebox.jobs.voicemail import job_id, notify_voicemail, sweep_voicemail_notifications
from voicebox.models import NotifyState, utcnow
from voicebox.queueing import SCHEDULE_GRACE, get_queue, get_redis


def test_a_fallback_parked_in_a_dead_scheduler_is_rescued(app, mailbox, twilio, standin, smtp_server):
    app.config["VOICEMAIL_TRANSCRIPT_WAIT"] = 1
    incoming(twilio)
    recording_status(twilio, standin)  # no transcript comes: the email waits in a scheduled fallback
    notify_voicemail(voicemail().id)
    get_queue().empty()
    fallback = Job.fetch(job_id(voicemail().id, "fallback"), connection=get_redis())
    assert fallback.get_status() == JobStatus.SCHEDULED
    due = voicemail().created_at + timedelta(seconds=1)

    # No scheduler runs (it died with Redis): the fallback stays "scheduled" forever.
    with time_machine.travel(due + SCHEDULE_GRACE - timedelta(seconds=5), tick=False):
        assert sweep_voicemail_notifications() == 0  # within the grace the scheduler may still move it
    with time_machine.travel(due + SCHEDULE_GRACE + timedelta(seconds=5), tick=False):
        assert sweep_voicemail_notifications() == 1
    time.sleep(1)  # the wait is over in real time too, so the rescue sends
    work()  # the rescue (and, with a scheduler now, the old fallback too): one email
    assert len(smtp_server.messages) == 1
    assert voicemail().notify_state == NotifyState.SENT


def test_a_job_started_by_a_dead_worker_is_rescued(app, mailbox, twilio, standin, smtp_server):
    app.config["VOICEMAIL_TRANSCRIPT_WAIT"] = 0
    incoming(twilio)
    recording_status(twilio, standin)
    [queued] = get_queue().get_job_ids()
    assert queued == job_id(voicemail().id, "recording")
    living = Worker([get_queue()], connection=get_redis(), name="living")
    living.register_birth()
    job = get_queue().fetch_job(queued)
    get_queue().remove(job)
    get_redis().hset(job.key, mapping={"status": JobStatus.STARTED.value, "worker_name": "living"})
    assert sweep_voicemail_notifications() == 0  # its worker still beats

    living.register_death()
    get_redis().delete(living.key)  # SIGKILLed: its key expires after worker_ttl
    assert sweep_voicemail_notifications() == 1
    work()
    assert len(smtp_server.messages) == 1
    assert voicemail().notify_state == NotifyState.SENT
    assert utcnow() >= voicemail().notified_at
