"""/api/messages: send, schedule, list and cancel texts."""

from __future__ import annotations

from ..jobs import messages as jobs
from ..models import Message
from ..schemas.messages import MessageIn, MessageOut, MessageQuery
from ..services import delivery
from ..services import messages as service
from . import not_found, operation


def _load(message_id: int) -> Message:
    message = service.get_message(message_id)
    if message is None:
        raise not_found(f"message {message_id}")
    return message


@operation("POST", "/messages", "Send a text now or schedule it", body=MessageIn, response=MessageOut, status=201)
def create_message(body: MessageIn):
    message = service.create_message(body)
    jobs.kick(message.id)  # inside Twilio's window this hands it off at once, so the answer has the SID
    return message


@operation("GET", "/messages", "List texts, newest first", query=MessageQuery, response=MessageOut, many=True)
def list_messages(query: MessageQuery):
    return service.list_messages(status=query.status, to=query.to, sequence_id=query.sequence, limit=query.limit)


@operation("GET", "/messages/<int:message_id>", "Get a text with its history", response=MessageOut)
def get_message(message_id: int):
    return _load(message_id)


@operation("POST", "/messages/<int:message_id>/cancel", "Cancel a text (409 once it is final)", response=MessageOut)
def cancel_message(message_id: int):
    message = _load(message_id)
    result = delivery.cancel(message)
    if result.retry_at is not None:
        jobs.schedule(message.id, result.retry_at)
    # 200 either way; a cancel still owed (Twilio unreachable, or a worker handing the message off right
    # now) shows as `cancel_requested: true` with the status it has until the cancel goes through.
    return message
