"""/api/sequences and /api/enrollments: drip sequences."""

from __future__ import annotations

from flask import jsonify

from ..jobs import messages as jobs
from ..models import Enrollment, Sequence
from ..schemas.messages import EnrollmentIn, EnrollmentOut, SequenceIn, SequenceOut
from ..services import sequences as service
from . import not_found, operation, parse_body
from .errors import ApiError
from .messages import message_json


def sequence_json(sequence: Sequence) -> dict:
    """The API view of a sequence."""
    quiet = [sequence.quiet_start, sequence.quiet_end] if sequence.quiet_start else None
    return SequenceOut(
        id=sequence.id,
        name=sequence.name,
        quiet_hours=quiet,
        steps=[
            {
                "id": s.id,
                "offset_days": s.offset_days,
                "offset_minutes": s.offset_minutes,
                "at": s.at,
                "body": s.body,
                "media_urls": list(s.media_urls or []),
            }
            for s in sequence.steps
        ],
        created_at=sequence.created_at,
    ).model_dump(mode="json")


def enrollment_json(enrollment: Enrollment) -> dict:
    """The API view of an enrollment and its messages."""
    return EnrollmentOut(
        id=enrollment.id,
        sequence_id=enrollment.sequence_id,
        to=enrollment.to_number,
        anchor=enrollment.anchor,
        timezone=enrollment.timezone,
        status=enrollment.status,
        canceled_at=enrollment.canceled_at,
        created_at=enrollment.created_at,
        messages=[message_json(m) for m in enrollment.messages],
    ).model_dump(mode="json")


def _sequence(sequence_id: int) -> Sequence:
    sequence = service.get_sequence(sequence_id)
    if sequence is None:
        raise not_found(f"sequence {sequence_id}")
    return sequence


def _enrollment(enrollment_id: int) -> Enrollment:
    enrollment = service.get_enrollment(enrollment_id)
    if enrollment is None:
        raise not_found(f"enrollment {enrollment_id}")
    return enrollment


@operation("POST", "/sequences", "Create a drip sequence", body=SequenceIn, response=SequenceOut, status=201)
def create_sequence():
    data = parse_body(SequenceIn)
    try:
        sequence = service.create_sequence(data)
    except service.Conflict as exc:
        raise ApiError(409, "conflict", str(exc), exc.field) from exc
    return jsonify(sequence_json(sequence)), 201


@operation("GET", "/sequences", "List sequences", response=SequenceOut, many=True)
def list_sequences():
    return jsonify(items=[sequence_json(s) for s in service.list_sequences()])


@operation("GET", "/sequences/<int:sequence_id>", "Get a sequence", response=SequenceOut)
def get_sequence(sequence_id: int):
    return jsonify(sequence_json(_sequence(sequence_id)))


@operation(
    "POST",
    "/sequences/<int:sequence_id>/enrollments",
    "Enrol a number: one text per step",
    body=EnrollmentIn,
    response=EnrollmentOut,
    status=201,
)
def create_enrollment(sequence_id: int):
    sequence = _sequence(sequence_id)
    enrollment = service.enroll(sequence, parse_body(EnrollmentIn))
    for message in enrollment.messages:
        jobs.kick(message.id)
    return jsonify(enrollment_json(enrollment)), 201


@operation(
    "GET",
    "/sequences/<int:sequence_id>/enrollments",
    "List a sequence's enrollments",
    response=EnrollmentOut,
    many=True,
)
def list_enrollments(sequence_id: int):
    _sequence(sequence_id)
    return jsonify(items=[enrollment_json(e) for e in service.list_enrollments(sequence_id)])


@operation("GET", "/enrollments/<int:enrollment_id>", "Get an enrollment", response=EnrollmentOut)
def get_enrollment(enrollment_id: int):
    return jsonify(enrollment_json(_enrollment(enrollment_id)))


@operation("DELETE", "/enrollments/<int:enrollment_id>", "Cancel an enrollment's unsent texts", response=EnrollmentOut)
def cancel_enrollment(enrollment_id: int):
    enrollment = _enrollment(enrollment_id)
    for message_id in service.cancel_enrollment(enrollment):
        jobs.kick(message_id)  # scheduled at Twilio: cancel there now, or a job retries
    return jsonify(enrollment_json(enrollment))
