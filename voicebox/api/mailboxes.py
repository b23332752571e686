"""/api/mailboxes."""

from __future__ import annotations

from flask import jsonify

from ..models import Mailbox
from ..schemas.mailboxes import MailboxIn, MailboxOut, MailboxPatch
from ..services import mailboxes as service
from . import not_found as _not_found
from . import operation, parse_body
from .errors import ApiError


def mailbox_json(mailbox: Mailbox) -> dict:
    """The API view of a mailbox."""
    return MailboxOut(
        id=mailbox.id,
        name=mailbox.name,
        twilio_number=mailbox.numbers[0].e164 if mailbox.numbers else None,
        forward_to=[t.number for t in mailbox.targets],
        ring_mode=mailbox.ring_mode,
        emails=list(mailbox.emails),
        language=mailbox.language,
        voice=mailbox.voice,
        greeting=mailbox.greeting,
        ring_timeout=mailbox.ring_timeout,
        screen_calls=mailbox.screen_calls,
        enabled=mailbox.enabled,
        timezone=mailbox.timezone,
        sms_notify=mailbox.sms_notify,
        created_at=mailbox.created_at,
    ).model_dump(mode="json")


def _load(mailbox_id: int) -> Mailbox:
    mailbox = service.get_mailbox(mailbox_id)
    if mailbox is None:
        raise _not_found(f"mailbox {mailbox_id}")
    return mailbox


def _conflict(exc: service.Conflict) -> ApiError:
    return ApiError(409, "conflict", str(exc), exc.field)


@operation("GET", "/mailboxes", "List mailboxes", response=MailboxOut, many=True)
def list_mailboxes():
    return jsonify(items=[mailbox_json(m) for m in service.list_mailboxes()])


@operation("POST", "/mailboxes", "Create a mailbox", body=MailboxIn, response=MailboxOut, status=201)
def create_mailbox():
    data = parse_body(MailboxIn)
    try:
        mailbox = service.create_mailbox(data)
    except service.Conflict as exc:
        raise _conflict(exc) from exc
    return jsonify(mailbox_json(mailbox)), 201


@operation("GET", "/mailboxes/<int:mailbox_id>", "Get a mailbox", response=MailboxOut)
def get_mailbox(mailbox_id: int):
    return jsonify(mailbox_json(_load(mailbox_id)))


@operation("PATCH", "/mailboxes/<int:mailbox_id>", "Change a mailbox", body=MailboxPatch, response=MailboxOut)
def patch_mailbox(mailbox_id: int):
    mailbox = _load(mailbox_id)
    patch = parse_body(MailboxPatch)
    try:
        service.update_mailbox(mailbox, patch)
    except service.Conflict as exc:
        raise _conflict(exc) from exc
    except service.Invalid as exc:
        raise ApiError(400, "validation_error", f"{exc.field}: {exc}", exc.field) from exc
    return jsonify(mailbox_json(mailbox))


@operation("DELETE", "/mailboxes/<int:mailbox_id>", "Delete a mailbox", status=204)
def delete_mailbox(mailbox_id: int):
    service.delete_mailbox(_load(mailbox_id))
    return "", 204
