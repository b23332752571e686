"""Texts: scheduled and sent, each with its status timeline; cancel; compose and schedule."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..jobs import messages as jobs
from ..models import UNCANCELABLE_STATUSES, Message, MessageStatus
from ..schemas.messages import MessageIn
from ..services import delivery, users
from ..services import messages as service
from . import ZONES, bp, parse_form

LIST_LIMIT = 100


def _message(message_id: int) -> Message:
    message = service.get_message(message_id)
    if message is None:
        abort(404)
    return message


def default_zone() -> str:
    """The signed-in user's first mailbox's zone (where they probably are), else UTC."""
    mailboxes = users.visible_mailboxes(current_user)
    return mailboxes[0].timezone if mailboxes else "UTC"


@bp.get("/messages")
def messages():
    status = request.args.get("status") or None
    if status is not None and status not in set(MessageStatus):
        status = None
    rows = service.list_messages(status=status, limit=LIST_LIMIT)
    return render_template(
        "web/messages.html",
        messages=rows,
        status=status,
        statuses=list(MessageStatus),
        final=UNCANCELABLE_STATUSES,
        zone=default_zone(),
    )


@bp.get("/messages/<int:message_id>")
def message(message_id: int):
    return render_template(
        "web/message.html", message=_message(message_id), final=UNCANCELABLE_STATUSES, zone=default_zone()
    )


@bp.post("/messages/<int:message_id>/cancel")
def message_cancel(message_id: int):
    row = _message(message_id)
    try:
        result = delivery.cancel(row)
    except (delivery.NotCancelable, delivery.TwilioRefused) as exc:
        flash(str(exc), "error")
        return redirect(url_for("web.message", message_id=message_id))
    if result.retry_at is not None:
        jobs.schedule(row.id, result.retry_at)
    flash("Canceled." if result.canceled else "Cancel requested; it goes through shortly.", "info")
    return redirect(url_for("web.message", message_id=message_id))


@bp.route("/messages/new", methods=["GET", "POST"])
def compose():
    form = {"timezone": default_zone()} | request.form.to_dict()
    if request.method == "GET":
        return render_template("web/compose.html", form=form, zones=ZONES, error=None)
    fields = {
        "to": form.get("to", ""),
        "body": form.get("body", ""),
        "send_at": form.get("send_at") or None,
        "timezone": form.get("timezone") or None,
    }
    data, error = parse_form(MessageIn, fields)
    if data is not None:
        try:
            row = service.create_message(data)
        except service.InvalidInput as exc:
            error = {"field": exc.field, "message": str(exc)}
        except (service.NotConfigured, service.RecipientOptedOut) as exc:
            error = {"field": "to" if isinstance(exc, service.RecipientOptedOut) else "", "message": str(exc)}
        else:
            jobs.kick(row.id)
            flash("Scheduled." if row.send_at else "On its way.", "info")
            return redirect(url_for("web.message", message_id=row.id))
    return render_template("web/compose.html", form=form, zones=ZONES, error=error), 400
