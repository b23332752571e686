"""Call routing decisions: which mailbox answers, who rings, and when the caller goes to voicemail."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flask import current_app
from sqlalchemy import select, update

from ..extensions import db
from ..models import Call, Mailbox, PhoneNumber, RingMode
from ..phrases import Voice
from ..rows import insert_ignore

# DialCallStatus values that mean the forwarded leg was answered (when calls are not screened).
ANSWERED = {"completed", "answered"}
# Statuses after which the next ring group is tried. A screened "completed" that was not bridged
# (DialBridged=false, or without DialBridged a decline noted in this group) is tried next too.
# "canceled" means the legs were hung up before anyone answered: the caller pressed *
# (hangupOnStar) to skip the ringing, so they go straight to voicemail, as does a screened
# "completed" with no DialBridged and no decline noted (the caller pressed * during screening).
TRY_NEXT = {"no-answer", "busy", "failed"}
CANCELED = "canceled"


class DialAction(StrEnum):
    HANGUP = "hangup"  # the call was answered: nothing more to do
    DIAL = "dial"  # ring the next group
    VOICEMAIL = "voicemail"  # take a message


@dataclass(frozen=True)
class DialDecision:
    """What to do when a <Dial> ends: hang up, ring the next group, or take a voicemail."""

    action: DialAction
    attempt: int = 0
    numbers: tuple[str, ...] = ()


def find_mailbox(to_number: str) -> Mailbox | None:
    """The mailbox that owns a Twilio number, or None."""
    return db.session.scalar(select(Mailbox).join(PhoneNumber).where(PhoneNumber.e164 == to_number))


def voice_for(mailbox: Mailbox | None) -> Voice:
    """The mailbox's language and Say voice, or the configured defaults."""
    if mailbox is None:
        cfg = current_app.config
        return Voice(language=cfg["DEFAULT_LANGUAGE"], voice=cfg["DEFAULT_VOICE"])
    return Voice(language=mailbox.language, voice=mailbox.voice)


def dial_groups(mailbox: Mailbox) -> list[tuple[str, ...]]:
    """Split ordered targets into ring groups: adjacent simultaneous targets ring together."""
    groups: list[list[str]] = []
    previous_simultaneous = False
    for target in mailbox.targets:
        simultaneous = target.ring_mode == RingMode.SIMULTANEOUS
        if simultaneous and previous_simultaneous:
            groups[-1].append(target.number)
        else:
            groups.append([target.number])
        previous_simultaneous = simultaneous
    return [tuple(group) for group in groups]


def record_call(call_sid: str, from_number: str, to_number: str, mailbox: Mailbox | None) -> None:
    """Store the call once, however many times Twilio posts it."""
    insert_ignore(
        Call,
        {
            "call_sid": call_sid,
            "from_number": from_number,
            "to_number": to_number,
            "mailbox_id": mailbox.id if mailbox else None,
        },
        key="call_sid",
    )
    db.session.commit()


def accept_screened_call(parent_call_sid: str, callee: str) -> None:
    """Mark the parent call answered: a forwarded leg pressed 1."""
    db.session.execute(
        update(Call).where(Call.call_sid == parent_call_sid).values(screen_accepted=True, accepted_by=callee or None)
    )
    db.session.commit()


def decline_screened_call(parent_call_sid: str) -> None:
    """Note that a leg of the ringing group declined (another key, or silence from a machine)."""
    db.session.execute(
        update(Call).where(Call.call_sid == parent_call_sid).values(declined_attempt=Call.ringing_attempt)
    )
    db.session.commit()


def caller_and_mailbox(parent_call_sid: str | None) -> tuple[str | None, Mailbox | None]:
    """For a screened leg: the original caller's number and the mailbox being called."""
    if not parent_call_sid:
        return None, None
    call = db.session.scalar(select(Call).where(Call.call_sid == parent_call_sid))
    if call is None:
        return None, None
    return call.from_number, call.mailbox


def after_dial(
    call_sid: str, dial_status: str, attempt: int, mailbox: Mailbox | None, bridged: bool | None = None
) -> DialDecision:
    """Decide what follows a <Dial> and note the outcome on the call.

    `bridged` is Twilio's DialBridged (None when Twilio did not send it; it comes with Enhanced
    Programmable SIP Features). When the leg "completed", it says whether it was bridged to the
    caller or hung up during screening (a callee or their voicemail hanging up on the prompt never
    reaches /voice/screen-result), which our own notes cannot tell apart from the caller's *.
    """
    call = db.session.scalar(select(Call).where(Call.call_sid == call_sid))
    screened = mailbox.screen_calls if mailbox else False
    if bridged is not None and dial_status == "completed":
        answered, declined = bridged, not bridged
    else:
        answered = bool(call and call.screen_accepted) if screened else dial_status in ANSWERED
        declined = screened and call is not None and call.declined_attempt == attempt and dial_status != CANCELED
    decision = _next_step(answered, dial_status in TRY_NEXT or declined, attempt, mailbox)
    if call is not None:
        call.dial_status = dial_status
        call.dial_attempt = attempt
        call.went_to_voicemail = decision.action == DialAction.VOICEMAIL
        if decision.action == DialAction.DIAL:
            call.ringing_attempt = decision.attempt
        db.session.commit()
    return decision


def _next_step(answered: bool, try_next: bool, attempt: int, mailbox: Mailbox | None) -> DialDecision:
    if answered:
        return DialDecision(DialAction.HANGUP)
    if mailbox is not None and try_next:
        groups = dial_groups(mailbox)
        if attempt + 1 < len(groups):
            return DialDecision(DialAction.DIAL, attempt + 1, groups[attempt + 1])
    return DialDecision(DialAction.VOICEMAIL)
