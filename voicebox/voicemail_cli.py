"""`flask voicemail ...`: look at a voicemail's transcript and redo it."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from .jobs import transcription as transcription_jobs
from .services import transcripts, voicemails

voicemail_cli = AppGroup("voicemail", help="Voicemails: show, redo the transcript.")


def _load(voicemail_id: int):
    voicemail = voicemails.get_visible_voicemail(voicemail_id)
    if voicemail is None:
        raise click.UsageError(f"no voicemail {voicemail_id}")
    return voicemail


@voicemail_cli.command("show")
@click.argument("voicemail_id", type=int)
def show(voicemail_id: int) -> None:
    """A voicemail's transcript with its engine, language and status."""
    vm = _load(voicemail_id)
    error = f" ({vm.transcription_error})" if vm.transcription_error else ""
    click.echo(
        f"voicemail {vm.id}: engine {vm.transcription_engine or '-'}, language {vm.transcript_language or '-'}, "
        f"transcript {vm.transcription_status or '-'}{error}"
    )
    click.echo(vm.transcript or "")


@voicemail_cli.command("transcribe")
@click.argument("voicemail_id", type=int)
def transcribe(voicemail_id: int) -> None:
    """Redo a voicemail's transcript with the whisper engine (a worker does the work; no new email)."""
    vm = _load(voicemail_id)
    try:
        transcripts.redo(vm)
    except transcripts.NotConfigured as exc:
        raise click.UsageError(str(exc)) from exc
    queued = transcription_jobs.queue_transcription(vm.id)
    click.echo(f"voicemail {vm.id}: transcribing with whisper ({vm.transcript_language or 'no language hint'})")
    if not queued:
        click.echo("Redis is unreachable: the sweep will queue it once it is back", err=True)
