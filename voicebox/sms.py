"""/sms/* and /conversations/*: Twilio's messaging webhooks. Store, enqueue, answer quickly."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from flask import Blueprint, Response, request
from twilio.twiml.messaging_response import MessagingResponse

from .jobs import optouts as optout_jobs
from .jobs.inbound import queue_forward
from .queueing import enqueue
from .services import conversations, inbound, message_status
from .webhooks import twilio_signed

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__)


def xml(response: MessagingResponse, status: int = 200) -> Response:
    return Response(response.to_xml(), status=status, mimetype="text/xml")


def sms_route(rule: str):
    """Register a signed messaging webhook that always answers TwiML, never an HTML error page.

    A missing required parameter is a 400; anything unexpected is logged and answered with an empty
    <Response/> and a 500, so Twilio retries (every handler here is idempotent).
    """

    def decorate(view: Callable[[], MessagingResponse]):
        @functools.wraps(view)
        def wrapper():
            try:
                return xml(view())
            except KeyError as exc:
                log.warning("bad %s webhook: missing parameter %s", request.path, exc)
                return xml(MessagingResponse(), 400)

        return bp.post(rule, endpoint=view.__name__)(twilio_signed(wrapper))

    return decorate


def form(name: str) -> str:
    """A required, non-empty form parameter (KeyError -> 400)."""
    value = request.form.get(name, "").strip()
    if not value:
        raise KeyError(name)
    return value


@sms_route("/sms/status")
def status() -> MessagingResponse:
    result = message_status.record_callback(request.form.to_dict(flat=True), form("MessageSid"), form("MessageStatus"))
    if result.unsubscribed:
        _opted_out(result.unsubscribed)
    return MessagingResponse()


@sms_route("/sms/incoming")
def incoming() -> MessagingResponse:
    media = [request.form.get(f"MediaUrl{i}", "") for i in range(int(request.form.get("NumMedia", "0") or 0))]
    result = inbound.receive(
        inbound.InboundText(
            message_sid=form("MessageSid"),
            from_number=form("From"),
            to_number=form("To"),
            body=request.form.get("Body", ""),
            media_urls=[url for url in media if url],
            opt_out_type=request.form.get("OptOutType") or None,
        )
    )
    if result.opted_out_now:
        _opted_out(request.form["From"].strip())
    if result.forward:
        queue_forward(result.message_id)
    response = MessagingResponse()
    if result.reply:
        response.message(result.reply)
    return response


@sms_route("/conversations/events")
def conversation_events() -> MessagingResponse:
    event = request.form.get("EventType", "")
    if event == "onParticipantAdded":
        conversations.record_participant(
            form("ParticipantSid"), form("ConversationSid"), request.form.get("MessagingBinding.Address") or None
        )
    elif event == "onDeliveryUpdated":
        result = conversations.record_receipt(
            {
                **request.form.to_dict(flat=True),
                "DeliveryReceiptSid": form("DeliveryReceiptSid"),
                "ConversationSid": form("ConversationSid"),
                "MessageSid": form("MessageSid"),
                "Status": form("Status"),
            }
        )
        if result.address:
            _opted_out(result.address)
        elif result.unsubscribed_participant:
            enqueue(optout_jobs.opt_out_participant, form("ConversationSid"), result.unsubscribed_participant)
    return MessagingResponse()


def _opted_out(number: str) -> None:
    """Twilio does not cancel scheduled texts on STOP; a job cancels ours, with retries."""
    optout_jobs.queue_cancel(number)
