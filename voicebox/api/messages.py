"""/api/messages: send, schedule, list and cancel texts."""

from __future__ import annotations

from flask import jsonify, request

from ..jobs import messages as jobs
from ..models import Message
from ..schemas.messages import MessageIn, MessageOut
from ..services import delivery, statuses
from ..services import messages as service
from . import bp, not_found, operation, parse_body, query_int
from .errors import ApiError


def message_json(message: Message) -> dict:
    """The API view of a message, with its history."""
    has_error = message.error_code or message.error_message
    return MessageOut(
        id=message.id,
        to=message.to_number,
        body=message.body,
        media_urls=list(message.media_urls or []),
        send_at=message.send_at,
        status=message.status,
        twilio_sid=message.twilio_sid,
        error=(
            {
                "code": message.error_code,
                "message": message.error_message,
                "more_info": message.error_more_info,
                "reason": statuses.reason(message.error_code),
            }
            if has_error
            else None
        ),
        cancel_requested=message.cancel_requested_at is not None,
        sequence_id=message.sequence_id,
        enrollment_id=message.enrollment_id,
        created_at=message.created_at,
        events=[
            {"at": e.created_at, "kind": e.kind, "status": e.status, "error_code": e.error_code, "detail": e.detail}
            for e in message.events
        ],
    ).model_dump(mode="json")


@bp.errorhandler(service.InvalidInput)
def _invalid(exc: service.InvalidInput):
    return ApiError(400, "validation_error", str(exc), exc.field).response()


@bp.errorhandler(service.NotConfigured)
def _not_configured(exc: service.NotConfigured):
    return ApiError(503, "not_configured", str(exc)).response()


@bp.errorhandler(service.RecipientOptedOut)
def _opted_out(exc: service.RecipientOptedOut):
    return ApiError(409, "recipient_opted_out", str(exc), "to").response()


@bp.errorhandler(service.NotCancelable)
def _not_cancelable(exc: service.NotCancelable):
    return ApiError(409, exc.code, str(exc)).response()


@bp.errorhandler(delivery.TwilioRefused)
def _twilio_refused(exc: delivery.TwilioRefused):
    return ApiError(502, "twilio_error", f"Twilio refused the request: {exc}").response()


def _load(message_id: int) -> Message:
    message = service.get_message(message_id)
    if message is None:
        raise not_found(f"message {message_id}")
    return message


@operation("POST", "/messages", "Send a text now or schedule it", body=MessageIn, response=MessageOut, status=201)
def create_message():
    message = service.create_message(parse_body(MessageIn))
    jobs.kick(message.id)  # inside Twilio's window this hands it off at once, so the answer has the SID
    return jsonify(message_json(message)), 201


@operation(
    "GET",
    "/messages",
    "List texts, newest first",
    response=MessageOut,
    many=True,
    query=("status", "to", "sequence", "limit"),
)
def list_messages():
    rows = service.list_messages(
        status=request.args.get("status"),
        to=request.args.get("to"),
        sequence_id=query_int("sequence"),
        limit=query_int("limit", 100, hi=500),
    )
    return jsonify(items=[message_json(m) for m in rows])


@operation("GET", "/messages/<int:message_id>", "Get a text with its history", response=MessageOut)
def get_message(message_id: int):
    return jsonify(message_json(_load(message_id)))


@operation("POST", "/messages/<int:message_id>/cancel", "Cancel a text (409 once it is final)", response=MessageOut)
def cancel_message(message_id: int):
    message = _load(message_id)
    result = delivery.cancel(message)
    if result.retry_at is not None:
        jobs.schedule(message.id, result.retry_at)
    # 200 either way; a cancel still owed (Twilio unreachable, or a worker handing the message off right
    # now) shows as `cancel_requested: true` with the status it has until the cancel goes through.
    return jsonify(message_json(message)), 200
