"""/api/sequences and /api/enrollments: drip sequences."""

from __future__ import annotations

from ..jobs import messages as jobs
from ..models import Enrollment, Sequence
from ..schemas.messages import EnrollmentIn, EnrollmentOut, SequenceIn, SequenceOut
from ..services import sequences as service
from . import not_found, operation


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
def create_sequence(body: SequenceIn):
    return service.create_sequence(body)


@operation("GET", "/sequences", "List sequences", response=SequenceOut, many=True)
def list_sequences():
    return service.list_sequences()


@operation("GET", "/sequences/<int:sequence_id>", "Get a sequence", response=SequenceOut)
def get_sequence(sequence_id: int):
    return _sequence(sequence_id)


@operation(
    "POST",
    "/sequences/<int:sequence_id>/enrollments",
    "Enrol a number: one text per step",
    body=EnrollmentIn,
    response=EnrollmentOut,
    status=201,
)
def create_enrollment(sequence_id: int, body: EnrollmentIn):
    enrollment = service.enroll(_sequence(sequence_id), body)
    for message in enrollment.messages:
        jobs.kick(message.id)
    return enrollment


@operation(
    "GET",
    "/sequences/<int:sequence_id>/enrollments",
    "List a sequence's enrollments",
    response=EnrollmentOut,
    many=True,
)
def list_enrollments(sequence_id: int):
    _sequence(sequence_id)
    return service.list_enrollments(sequence_id)


@operation("GET", "/enrollments/<int:enrollment_id>", "Get an enrollment", response=EnrollmentOut)
def get_enrollment(enrollment_id: int):
    return _enrollment(enrollment_id)


@operation("DELETE", "/enrollments/<int:enrollment_id>", "Cancel an enrollment's unsent texts", response=EnrollmentOut)
def cancel_enrollment(enrollment_id: int):
    enrollment = _enrollment(enrollment_id)
    for message_id in service.cancel_enrollment(enrollment):
        jobs.kick(message_id)  # scheduled at Twilio: cancel there now, or a job retries
    return enrollment
