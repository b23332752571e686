"""Mailbox settings: where calls ring, how, what callers hear, who gets the emails."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from ..models import Mailbox
from ..schemas.mailboxes import MailboxPatch
from ..services import Conflict
from ..services import mailboxes as service
from . import ZONES, bp, parse_form, require_mailbox


def _mailbox(mailbox_id: int) -> Mailbox:
    mailbox = service.get_mailbox(mailbox_id)
    if mailbox is None:
        abort(404)
    require_mailbox(mailbox.id)
    return mailbox


def _lines(value: str) -> list[str]:
    """One entry per line (or comma-separated), blanks dropped."""
    return [part.strip() for part in value.replace(",", "\n").splitlines() if part.strip()]


def _form_of(mailbox: Mailbox) -> dict:
    return {
        "name": mailbox.name,
        "forward_to": "\n".join(t.number for t in mailbox.targets),
        "ring_mode": mailbox.ring_mode,
        "ring_timeout": str(mailbox.ring_timeout),
        "screen_calls": "1" if mailbox.screen_calls else "",
        "greeting": mailbox.greeting or "",
        "language": mailbox.language,
        "voice": mailbox.voice,
        "emails": "\n".join(mailbox.emails),
        "timezone": mailbox.timezone,
        "enabled": "1" if mailbox.enabled else "",
        "sms_notify": "1" if mailbox.sms_notify else "",
    }


def _patch_fields(form: dict) -> dict:
    """The form as MailboxPatch fields: every field the page shows (checkboxes absent mean off)."""
    return {
        "name": form.get("name", ""),
        "forward_to": _lines(form.get("forward_to", "")),
        "ring_mode": form.get("ring_mode") or None,
        "ring_timeout": form.get("ring_timeout") or None,
        "screen_calls": form.get("screen_calls") == "1",
        "greeting": form.get("greeting", "").strip() or None,
        "language": form.get("language") or None,
        "voice": form.get("voice") or None,
        "emails": _lines(form.get("emails", "")),
        "timezone": form.get("timezone") or None,
        "enabled": form.get("enabled") == "1",
        "sms_notify": form.get("sms_notify") == "1",
    }


@bp.get("/mailboxes")
def mailboxes():
    return render_template("web/mailboxes.html")  # the list is `my_mailboxes`, in every page's context


@bp.route("/mailboxes/<int:mailbox_id>", methods=["GET", "POST"])
def mailbox(mailbox_id: int):
    box = _mailbox(mailbox_id)
    if request.method == "GET":
        return render_template("web/mailbox.html", mailbox=box, form=_form_of(box), zones=ZONES, error=None)
    form = request.form.to_dict()
    patch, error = parse_form(MailboxPatch, _patch_fields(form))
    if patch is not None:
        try:
            service.update_mailbox(box, patch)
        except Conflict as exc:
            error = {"field": exc.field, "message": str(exc)}
        else:
            flash("Settings saved.", "info")
            return redirect(url_for("web.mailbox", mailbox_id=box.id))
    return render_template("web/mailbox.html", mailbox=box, form=form, zones=ZONES, error=error), 400
