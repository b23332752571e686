"""Voicemail email notifications: timing against the transcript, exactly one email, and recovery
from SMTP, Redis and worker failures. Real SQL database, real Redis, real RQ workers, real SMTP."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import time_machine
from rq.job import Job

from tests.notifications.steps import (
    PUBLIC,
    incoming,
    notify_settings,
    recording_status,
    transcription,
    voicemail,
)
from tests.support import REPO, Twilio, api_headers, twiml, work, work_until
from tests.support.builders import make_mailbox
from voicebox.jobs import sweep, sweep_lock
from voicebox.jobs.voicemail import job_id, notify_voicemail, send_email, sweep_voicemail_notifications
from voicebox.models import NotifyState, utcnow
from voicebox.queueing import enqueue, get_queue, get_redis
from voicebox.services import notifications

# --- waiting for the transcript -------------------------------------------------------------------


def test_transcript_first_email_carries_it(app, mailbox, twilio, standin, smtp_server):
    incoming(twilio)
    transcription(twilio, "Hi, it's Jenny about order 42.")
    assert voicemail().notify_state == NotifyState.NONE  # no recording yet: nothing to send
    work()
    assert smtp_server.messages == []

    recording_status(twilio, standin)
    work()

    [message] = smtp_server.messages
    assert message["Subject"] == "New voicemail from +1 415-867-5309 for Support (0:42)"
    assert "Hi, it's Jenny about order 42." in message.get_body(("plain",)).get_content()
    vm = voicemail()
    assert (vm.notify_state, vm.notify_attempts, vm.notify_error) == (NotifyState.SENT, 1, None)
    assert vm.notified_at is not None


def test_transcript_last_waits_for_it_then_fallback_does_nothing(app, mailbox, twilio, standin, smtp_server):
    incoming(twilio)
    recording_status(twilio, standin)
    work()
    assert smtp_server.messages == []  # waiting (VOICEMAIL_TRANSCRIPT_WAIT defaults to 90 s)
    assert voicemail().notify_state == NotifyState.PENDING
    fallback = job_id(voicemail().id, "fallback")
    assert fallback in get_queue().scheduled_job_registry.get_job_ids()
    recording_status(twilio, standin)  # Twilio retries the callback; its finished job's id is reused
    work()
    assert smtp_server.messages == []
    assert get_queue().scheduled_job_registry.get_job_ids() == [fallback]

    transcription(twilio, "Call me back, please.")
    work()
    [message] = smtp_server.messages
    assert "Call me back, please." in message.get_body(("html",)).get_content()

    # Past the deadline the scheduler releases the fallback job; it finds the email sent.
    with time_machine.travel(utcnow() + timedelta(seconds=120), tick=True):
        work()
    assert Job.fetch(fallback, connection=get_redis()).get_status() == "finished"
    assert len(smtp_server.messages) == 1


def test_transcript_never_fallback_sends_without_it(app, mailbox, twilio, standin, smtp_server):
    app.config["VOICEMAIL_TRANSCRIPT_WAIT"] = 1
    incoming(twilio)
    recording_status(twilio, standin)
    work_until(lambda: len(smtp_server.messages) == 1)

    [message] = smtp_server.messages
    assert "transcript unavailable" in message.get_body(("plain",)).get_content().lower()
    assert "transcript unavailable" in message.get_body(("html",)).get_content().lower()
    # A transcript that turns up after the email changes nothing.
    transcription(twilio, "Too late.")
    work()
    assert len(smtp_server.messages) == 1
    assert voicemail().notify_state == NotifyState.SENT


def test_failed_transcription_sends_at_once_without_it(app, mailbox, twilio, standin, smtp_server):
    incoming(twilio)
    recording_status(twilio, standin)
    work()
    assert smtp_server.messages == []
    transcription(twilio, status="failed")
    work()
    [message] = smtp_server.messages
    assert "transcript unavailable" in message.get_body(("plain",)).get_content().lower()


def test_transcript_while_the_recording_job_waits_needs_no_second_job(app, mailbox, twilio, standin, smtp_server):
    incoming(twilio)
    recording_status(twilio, standin)
    transcription(twilio, "In before the worker.")
    assert get_queue().count == 1  # the queued recording job will read the transcript itself
    work()
    [message] = smtp_server.messages
    assert "In before the worker." in message.get_body(("plain",)).get_content()


def test_five_duplicates_of_each_callback_give_one_email(app, mailbox, twilio, standin, smtp_server):
    incoming(twilio)
    for _ in range(5):
        recording_status(twilio, standin)
        transcription(twilio, "Only once, please.")
    work()
    for _ in range(5):  # and Twilio retrying after the email went
        recording_status(twilio, standin)
        transcription(twilio, "Only once, please.")
    work()
    assert len(smtp_server.messages) == 1
    assert voicemail().notify_attempts == 1


def test_absent_and_short_recordings_send_nothing(app, mailbox, twilio, standin, smtp_server):
    incoming(twilio)
    recording_status(twilio, standin, status="absent", duration=0, ErrorCode="16101")
    incoming(twilio, call_sid="CA" + "c" * 32)
    recording_status(twilio, standin, recording_sid="RE" + "d" * 32, call_sid="CA" + "c" * 32, duration=1)
    transcription(twilio, "uh", recording_sid="RE" + "d" * 32, call_sid="CA" + "c" * 32)

    assert get_queue().count == 0  # nothing was even queued
    work()
    assert smtp_server.messages == []
    assert voicemail().notify_state == NotifyState.SKIPPED
    assert voicemail("RE" + "d" * 32).notify_state == NotifyState.SKIPPED
    assert sweep_voicemail_notifications() == 0


# --- SMTP failures ---------------------------------------------------------------------------------


def test_smtp_down_then_up_retries_until_delivered(app, mailbox, twilio, standin, smtp_server):
    smtp_server.stop()
    incoming(twilio)
    transcription(twilio, "Are you there?")
    recording_status(twilio, standin)
    work()

    vm = voicemail()
    assert vm.notify_state == NotifyState.PENDING  # handed back for the retry
    assert "unreachable" in vm.notify_error and vm.notify_attempts == 1
    assert get_queue().scheduled_job_registry.count == 1  # RQ's Retry, with backoff

    smtp_server.start()
    work_until(lambda: voicemail().notify_state == NotifyState.SENT)
    assert len(smtp_server.messages) == 1
    assert voicemail().notify_attempts == 2
    assert voicemail().notify_error is None


@pytest.mark.parametrize("stage", ["RCPT", "DATA"])
def test_smtp_4xx_is_temporary(app, mailbox, twilio, standin, smtp_server, stage):
    smtp_server.refuse(451, "4.3.0 try again later", at=stage)
    incoming(twilio)
    transcription(twilio, "Hello?")
    recording_status(twilio, standin)
    work()
    vm = voicemail()
    assert vm.notify_state == NotifyState.PENDING and "451" in vm.notify_error

    smtp_server.accept()
    work_until(lambda: voicemail().notify_state == NotifyState.SENT)
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize("stage", ["RCPT", "DATA"])
def test_smtp_5xx_marks_failed_with_reason(app, mailbox, twilio, standin, smtp_server, client, caplog, stage):
    smtp_server.refuse(550, "5.1.1 no such user", at=stage)
    incoming(twilio)
    transcription(twilio, "Hello?")
    recording_status(twilio, standin)
    with caplog.at_level(logging.ERROR):
        work()

    vm = voicemail()
    assert vm.notify_state == NotifyState.FAILED
    assert "550" in vm.notify_error and "no such user" in vm.notify_error
    assert any("550" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
    shown = client.get(f"/api/voicemails/{vm.id}", headers=api_headers()).get_json()["notification"]
    assert shown["state"] == "failed" and "550" in shown["error"]
    assert get_queue().scheduled_job_registry.count == 0  # no retry of a permanent failure
    smtp_server.accept()
    assert sweep_voicemail_notifications() == 0
    work()
    assert smtp_server.messages == []


def test_smtp_outage_longer_than_max_attempts_ends_failed(app, mailbox, twilio, standin, smtp_server):
    app.config["NOTIFY_MAX_ATTEMPTS"] = 2
    smtp_server.stop()
    incoming(twilio)
    transcription(twilio, "Hello?")
    recording_status(twilio, standin)
    work_until(lambda: voicemail().notify_state == NotifyState.FAILED)
    assert voicemail().notify_error.startswith("gave up after 2 attempts")


# --- Redis, the sweep, and crashed workers -------------------------------------------------------


def test_redis_down_at_callback_then_sweep_sends(app, make_app, smtp_server, standin, caplog):
    dead = make_app(**notify_settings(smtp_server, standin, REDIS_URL="redis://127.0.0.1:1"))
    make_mailbox()  # after make_app, which starts from empty tables
    with dead.app_context():
        twilio = Twilio(dead.test_client(), public_base=PUBLIC)
        incoming(twilio)
        transcription(twilio, "Redis was down.")
        response = recording_status(twilio, standin)
    root = twiml(response)
    assert list(root) == []  # the normal answer, not the error fallback
    assert "Redis unreachable" in caplog.text
    assert voicemail().notify_state == NotifyState.PENDING

    get_redis().delete(sweep_lock())  # an earlier sweep in this test may hold the lock
    assert sweep()["voicemail_notifications"] == 1
    work()
    [message] = smtp_server.messages
    assert "Redis was down." in message.get_body(("plain",)).get_content()


def test_sweep_leaves_rows_a_job_holds(app, mailbox, twilio, standin, smtp_server):
    incoming(twilio)
    recording_status(twilio, standin)  # queued
    assert sweep_voicemail_notifications() == 0
    work()  # now the fallback job holds it
    assert sweep_voicemail_notifications() == 0
    get_redis().flushdb()  # Redis loses everything
    assert sweep_voicemail_notifications() == 1
    transcription(twilio, "After the flush.")
    work()
    assert len(smtp_server.messages) == 1


def test_worker_killed_mid_send_is_swept_and_sent(app, mailbox, twilio, standin, smtp_server):
    incoming(twilio)
    transcription(twilio, "Worker died.")
    recording_status(twilio, standin)
    get_queue().empty()
    # A worker claimed the row an hour ago and died before finishing.
    with time_machine.travel(utcnow() - timedelta(hours=1)):
        assert notifications.claim(notifications.EMAIL, voicemail().id) is not None
    assert voicemail().notify_state == NotifyState.SENDING
    assert sweep_voicemail_notifications() == 1

    work()
    assert len(smtp_server.messages) == 1
    vm = voicemail()
    assert (vm.notify_state, vm.notify_attempts) == (NotifyState.SENT, 2)


def test_a_live_claim_is_not_swept(app, mailbox, twilio, standin, smtp_server):
    incoming(twilio)
    transcription(twilio, "Slow worker.")
    recording_status(twilio, standin)
    get_queue().empty()
    held = notifications.claim(notifications.EMAIL, voicemail().id)
    assert sweep_voicemail_notifications() == 0
    assert notifications.finish(held)
    assert voicemail().notify_state == NotifyState.SENT


def test_stale_claim_cannot_overwrite_the_new_owner(app, mailbox, twilio, standin):
    incoming(twilio)
    transcription(twilio, "Two owners.")
    recording_status(twilio, standin)
    vm_id = voicemail().id
    with time_machine.travel(utcnow() - timedelta(hours=1)):
        old = notifications.claim(notifications.EMAIL, vm_id)
    assert notifications.reclaim_stale(notifications.EMAIL) == [vm_id]
    new = notifications.claim(notifications.EMAIL, vm_id)
    assert notifications.claim(notifications.EMAIL, vm_id) is None  # one owner at a time

    assert notifications.finish(old, error="late failure", failed=True) is False
    assert voicemail().notify_state == NotifyState.SENDING
    assert notifications.finish(new) is True
    assert voicemail().notify_state == NotifyState.SENT


def test_two_worker_processes_racing_send_one_email(app, mailbox, twilio, standin, smtp_server, database):
    incoming(twilio)
    transcription(twilio, "Race.")
    recording_status(twilio, standin)
    vm_id = voicemail().id
    for n in range(12):  # plenty of jobs for the same row, as retries, duplicates and the sweep make
        enqueue(send_email, vm_id, job_id=job_id(vm_id, f"race-{n}"))

    env = _worker_env(app)
    workers = [
        subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"], cwd=REPO, env=env)
        for _ in range(2)
    ]
    for worker in workers:
        assert worker.wait(timeout=120) == 0

    assert get_queue().count == 0
    assert len(smtp_server.messages) == 1
    vm = voicemail()
    assert (vm.notify_state, vm.notify_attempts) == (NotifyState.SENT, 1)


def _worker_env(app) -> dict:
    """The app's settings as environment variables, for a `flask worker` subprocess."""
    from voicebox.config import SETTINGS

    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    for name in SETTINGS:
        value = app.config.get(name)
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, list):
            value = ",".join(map(str, value))
        env[name] = str(value)
    return env


def test_jobs_return_quietly_when_the_row_is_gone(app):
    assert notify_voicemail(123456) == "nothing to do"
    assert notifications.claim(notifications.EMAIL, 123456) is None


def test_recording_job_scheduled_for_wait_uses_call_time(app, mailbox, twilio, standin):
    incoming(twilio)
    before = time.time()
    recording_status(twilio, standin)
    work()
    scheduled = get_queue().scheduled_job_registry
    [when] = [scheduled.get_scheduled_time(j) for j in scheduled.get_job_ids()]
    assert before + 85 <= when.timestamp() <= time.time() + 90
    assert job_id(voicemail().id, "fallback") in scheduled.get_job_ids()
