"""/api/mailboxes."""

from __future__ import annotations

from ..models import Mailbox
from ..schemas.mailboxes import MailboxIn, MailboxOut, MailboxPatch
from ..services import mailboxes as service
from . import not_found, operation


def _load(mailbox_id: int) -> Mailbox:
    mailbox = service.get_mailbox(mailbox_id)
    if mailbox is None:
        raise not_found(f"mailbox {mailbox_id}")
    return mailbox


@operation("GET", "/mailboxes", "List mailboxes", response=MailboxOut, many=True)
def list_mailboxes():
    return service.list_mailboxes()


@operation("POST", "/mailboxes", "Create a mailbox", body=MailboxIn, response=MailboxOut, status=201)
def create_mailbox(body: MailboxIn):
    return service.create_mailbox(body)


@operation("GET", "/mailboxes/<int:mailbox_id>", "Get a mailbox", response=MailboxOut)
def get_mailbox(mailbox_id: int):
    return _load(mailbox_id)


@operation("PATCH", "/mailboxes/<int:mailbox_id>", "Change a mailbox", body=MailboxPatch, response=MailboxOut)
def patch_mailbox(mailbox_id: int, body: MailboxPatch):
    return service.update_mailbox(_load(mailbox_id), body)


@operation("DELETE", "/mailboxes/<int:mailbox_id>", "Delete a mailbox", status=204)
def delete_mailbox(mailbox_id: int):
    service.delete_mailbox(_load(mailbox_id))
