"""Drip sequences: define them, enrol a number (one routed message per step), cancel an enrollment.

A step's time is computed on the recipient's wall clock with zoneinfo: `offset_days` are calendar
days (18:00 stays 18:00 across a DST change), `offset_minutes` are elapsed minutes, and quiet hours
move a step to the end of the quiet range.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..extensions import db
from ..models import Enrollment, EnrollmentStatus, Message, Sequence, SequenceStep, utcnow
from ..schemas.messages import EnrollmentIn, SequenceIn
from . import Conflict
from .delivery import cancel_many
from .messages import InvalidInput, check_send_at, new_message

QuietHours = tuple[time, time]


def _hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def create_sequence(data: SequenceIn) -> Sequence:
    """Store a sequence and its steps, in the order given."""
    if db.session.scalar(select(Sequence.id).where(Sequence.name == data.name)) is not None:
        raise Conflict(f"a sequence named {data.name!r} already exists", "name")
    quiet_start, quiet_end = data.quiet_hours or (None, None)
    sequence = Sequence(name=data.name, quiet_start=quiet_start, quiet_end=quiet_end)
    sequence.steps = [SequenceStep(position=i, **step.model_dump()) for i, step in enumerate(data.steps)]
    db.session.add(sequence)
    db.session.commit()
    return sequence


def list_sequences() -> list[Sequence]:
    return list(db.session.scalars(select(Sequence).order_by(Sequence.id)))


def get_sequence(sequence_id: int) -> Sequence | None:
    return db.session.get(Sequence, sequence_id)


def list_enrollments(sequence_id: int) -> list[Enrollment]:
    return list(
        db.session.scalars(select(Enrollment).where(Enrollment.sequence_id == sequence_id).order_by(Enrollment.id))
    )


def get_enrollment(enrollment_id: int) -> Enrollment | None:
    return db.session.get(Enrollment, enrollment_id)


def quiet_hours(sequence: Sequence) -> QuietHours | None:
    if not sequence.quiet_start or not sequence.quiet_end:
        return None
    return _hhmm(sequence.quiet_start), _hhmm(sequence.quiet_end)


def step_time(step: SequenceStep, anchor: date | datetime, tz: ZoneInfo, quiet: QuietHours | None) -> datetime:
    """When a step goes out (aware UTC) for an enrollment anchored at `anchor` in `tz`."""
    if isinstance(anchor, datetime):
        local = anchor.astimezone(tz) if anchor.tzinfo else anchor
        day, clock = local.date(), local.time().replace(tzinfo=None)
    else:
        day, clock = anchor, None
    if step.at:
        clock = _hhmm(step.at)
    if clock is None:
        raise InvalidInput("anchor", f"is a date, so step {step.position + 1} needs an 'at' time (HH:MM)")
    wall = datetime.combine(day + timedelta(days=step.offset_days), clock)
    # Calendar days on the wall clock first, then elapsed minutes on the UTC line.
    when = wall.replace(tzinfo=tz).astimezone(UTC) + timedelta(minutes=step.offset_minutes)
    return outside_quiet_hours(when, tz, quiet)


def outside_quiet_hours(when: datetime, tz: ZoneInfo, quiet: QuietHours | None) -> datetime:
    """`when`, or the first allowed minute after it: the end of the quiet range [start, end) it falls in."""
    if quiet is None:
        return when
    start, end = quiet
    local = when.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    wraps = start > end  # e.g. 21:00-08:00 spans midnight
    quiet_now = (clock >= start or clock < end) if wraps else (start <= clock < end)
    if not quiet_now:
        return when
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end).replace(tzinfo=tz).astimezone(UTC)


def enroll(sequence: Sequence, data: EnrollmentIn) -> Enrollment:
    """Enrol a number: one message per step, each routed like any text. The caller kicks delivery."""
    now = utcnow()
    tz, quiet = ZoneInfo(data.timezone), quiet_hours(sequence)
    times = []
    for step in sequence.steps:
        try:
            when = step_time(step, data.anchor, tz, quiet)
        except OverflowError:  # e.g. anchored at 9999-01-01 with a 3650-day step
            raise InvalidInput("anchor", f"puts step {step.position + 1} beyond the year 9999") from None
        try:
            times.append((step, check_send_at(when, now, field="anchor")))
        except InvalidInput as exc:
            raise InvalidInput(
                "anchor", f"puts step {step.position + 1} at {when.isoformat()}, which {exc.message}"
            ) from exc
    enrollment = Enrollment(
        sequence=sequence, to_number=data.to, anchor=data.anchor.isoformat(), timezone=data.timezone
    )
    db.session.add(enrollment)
    db.session.flush()
    for step, send_at in times:
        new_message(
            data.to, step.body, step.media_urls, send_at, now,
            sequence_id=sequence.id, enrollment_id=enrollment.id, step_id=step.id,
        )  # fmt: skip
    db.session.commit()
    return enrollment


def cancel_enrollment(enrollment: Enrollment) -> list[int]:
    """Cancel every unsent message of the enrollment; returns ids whose cancel at Twilio is owed."""
    if enrollment.status != EnrollmentStatus.CANCELED:
        enrollment.status, enrollment.canceled_at = EnrollmentStatus.CANCELED, utcnow()
        db.session.commit()
    messages = list(db.session.scalars(select(Message).where(Message.enrollment_id == enrollment.id)))
    return cancel_many(messages)
