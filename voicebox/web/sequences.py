"""Drip sequences: list, create, enrol a number, cancel an enrollment."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from ..jobs import messages as jobs
from ..models import Sequence
from ..schemas.messages import EnrollmentIn, SequenceIn
from ..services import Conflict
from ..services import messages as texts
from ..services import sequences as service
from . import ZONES, bp, parse_form
from .texts import default_zone

STEP_ROWS = 5  # blank step rows on the form; empty ones are ignored


def _sequence(sequence_id: int) -> Sequence:
    sequence = service.get_sequence(sequence_id)
    if sequence is None:
        abort(404)
    return sequence


def _steps(form) -> list[dict]:
    """The step rows that have a body, as StepIn fields."""
    steps = []
    for i in range(STEP_ROWS):
        body = form.get(f"step-{i}-body", "")
        if not body.strip():
            continue
        step = {"body": body, "offset_days": form.get(f"step-{i}-days") or 0}
        step["offset_minutes"] = form.get(f"step-{i}-minutes") or 0
        if form.get(f"step-{i}-at"):
            step["at"] = form[f"step-{i}-at"]
        steps.append(step)
    return steps


@bp.get("/sequences")
def sequences():
    return render_template("web/sequences.html", sequences=service.list_sequences())


@bp.route("/sequences/new", methods=["GET", "POST"])
def sequence_new():
    form = request.form.to_dict()
    if request.method == "GET":
        return render_template("web/sequence_new.html", form=form, rows=STEP_ROWS, error=None)
    fields: dict = {"name": form.get("name", ""), "steps": _steps(form)}
    if form.get("quiet_start") or form.get("quiet_end"):
        fields["quiet_hours"] = [form.get("quiet_start", ""), form.get("quiet_end", "")]
    data, error = parse_form(SequenceIn, fields)
    if data is not None:
        try:
            sequence = service.create_sequence(data)
        except Conflict as exc:
            error = {"field": exc.field, "message": str(exc)}
        else:
            flash(f"Sequence {sequence.name!r} created.", "info")
            return redirect(url_for("web.sequence", sequence_id=sequence.id))
    return render_template("web/sequence_new.html", form=form, rows=STEP_ROWS, error=error), 400


@bp.get("/sequences/<int:sequence_id>")
def sequence(sequence_id: int):
    return _sequence_page(_sequence(sequence_id), {"timezone": default_zone()}, None)


def _sequence_page(sequence: Sequence, form: dict, error: dict | None, status: int = 200):
    enrollments = service.list_enrollments(sequence.id)
    page = render_template(
        "web/sequence.html", sequence=sequence, enrollments=enrollments, form=form, zones=ZONES, error=error
    )
    return page, status


@bp.post("/sequences/<int:sequence_id>/enrollments")
def enroll(sequence_id: int):
    sequence = _sequence(sequence_id)
    form = request.form.to_dict()
    fields = {"to": form.get("to", ""), "timezone": form.get("timezone", ""), "anchor": form.get("anchor", "")}
    data, error = parse_form(EnrollmentIn, fields)
    if data is not None:
        try:
            enrollment = service.enroll(sequence, data)
        except texts.InvalidInput as exc:
            error = {"field": exc.field, "message": str(exc)}
        except (texts.NotConfigured, texts.RecipientOptedOut) as exc:
            error = {"field": "to", "message": str(exc)}
        else:
            for row in enrollment.messages:
                jobs.kick(row.id)
            flash(f"Enrolled {enrollment.to_number}: {len(enrollment.messages)} texts planned.", "info")
            return redirect(url_for("web.sequence", sequence_id=sequence_id))
    return _sequence_page(sequence, form, error, 400)


@bp.post("/enrollments/<int:enrollment_id>/cancel")
def enrollment_cancel(enrollment_id: int):
    enrollment = service.get_enrollment(enrollment_id)
    if enrollment is None:
        abort(404)
    for message_id in service.cancel_enrollment(enrollment):
        jobs.kick(message_id)  # scheduled at Twilio: cancel there now, or a job retries
    flash(f"Enrollment of {enrollment.to_number} canceled; its unsent texts will not go out.", "info")
    return redirect(url_for("web.sequence", sequence_id=enrollment.sequence_id))
