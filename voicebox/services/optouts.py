"""Opt-outs: who must not be texted, since when, and why."""

from __future__ import annotations

import logging

from sqlalchemy import select, update

from ..extensions import db
from ..models.optouts import OptOut, OptOutEvent
from ..models.types import utcnow
from ..rows import insert_ignore, rowcount

log = logging.getLogger(__name__)

STOP_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"}
START_WORDS = {"start", "yes", "unstop"}
HELP_WORDS = {"help", "info"}


def match_keyword(body: str | None) -> str | None:
    """'stop', 'start' or 'help' when the whole text (trimmed, case-folded) is one keyword; else None.

    "Please stop calling me" is not an opt-out: only a lone keyword counts, as with Twilio's own handling.
    """
    word = (body or "").strip().casefold()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    if word in HELP_WORDS:
        return "help"
    return None


def is_opted_out(number: str) -> bool:
    """True when `number` has opted out and not back in."""
    return bool(db.session.scalar(select(OptOut.opted_out).where(OptOut.number == number)))


def set_opted_out(number: str, opted_out: bool, source: str, detail: str | None = None) -> bool:
    """Opt `number` out (or back in), keeping the history. Returns True if its state changed.

    The change is a conditional UPDATE, so duplicate STOPs processed at once change it (and log it) once.
    """
    insert_ignore(OptOut, {"number": number, "opted_out": False, "source": source}, key="number")
    changed = rowcount(
        update(OptOut)
        .where(OptOut.number == number, OptOut.opted_out.is_(not opted_out))
        .values(opted_out=opted_out, source=source, changed_at=utcnow())
    )
    if changed or source == "api":  # manual changes are always logged, even when they change nothing
        action = "opt_out" if opted_out else "opt_in"
        db.session.add(OptOutEvent(number=number, action=action, source=source, detail=detail))
        log.info("%s %s via %s (%s)", number, action, source, detail or "-")
    db.session.commit()
    return bool(changed)


def get(number: str) -> OptOut | None:
    """A number's opt-out row (present once it ever opted out or in), or None."""
    return db.session.get(OptOut, number, populate_existing=True)


def list_optouts(only_current: bool = True) -> list[OptOut]:
    """Numbers currently opted out (or every number ever seen, with `only_current=False`)."""
    query = select(OptOut).order_by(OptOut.changed_at.desc())
    if only_current:
        query = query.where(OptOut.opted_out.is_(True))
    return list(db.session.scalars(query))


def history(number: str) -> list[OptOutEvent]:
    """Every opt-out/opt-in of a number, oldest first."""
    return list(db.session.scalars(select(OptOutEvent).where(OptOutEvent.number == number).order_by(OptOutEvent.id)))
