"""/sms/* and /conversations/*: Twilio's messaging webhooks. Store, enqueue, answer quickly."""

from __future__ import annotations

import logging

from flask import Blueprint, request
from twilio.twiml.messaging_response import MessagingResponse

from .ints import parse_int
from .jobs import optouts as optout_jobs
from .jobs.inbound import queue_forward
from .services import conversations, inbound, statuses
from .webhooks import BadWebhook, required, webhook_route

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__)


def sms_route(rule: str):
    """Register a signed messaging webhook (see webhooks.webhook_route): 400 for bad input.

    Anything unexpected reaches the app's error handler, which logs it and answers 500 with an empty
    <Response/>, so Twilio records the failure (every handler here is idempotent, so a retry is safe).
    """
    return webhook_route(bp, rule, bad_request=MessagingResponse)


def _media_urls() -> list[str]:
    raw = request.form.get("NumMedia", "0").strip() or "0"
    try:
        count = parse_int(raw, 0, 10)  # Twilio allows at most 10 media per message
    except ValueError:
        raise BadWebhook(f"NumMedia is not 0-10: {raw[:20]!r}") from None
    return [url for i in range(count) if (url := request.form.get(f"MediaUrl{i}", "").strip())]


@sms_route("/sms/status")
def status() -> MessagingResponse:
    result = statuses.record_callback(
        request.form.to_dict(flat=True), required("MessageSid"), required("MessageStatus", max_length=32)
    )
    if result.unsubscribed:
        optout_jobs.queue_cancel(result.unsubscribed)
    return MessagingResponse()


@sms_route("/sms/incoming")
def incoming() -> MessagingResponse:
    text = inbound.InboundText(
        message_sid=required("MessageSid"),
        from_number=required("From"),
        to_number=required("To"),
        body=request.form.get("Body", ""),
        media_urls=_media_urls(),
        opt_out_type=request.form.get("OptOutType", "").strip() or None,
    )
    result = inbound.receive(text)
    if result.opted_out_now:
        optout_jobs.queue_cancel(text.from_number)
    if result.forward:
        queue_forward(result.message_id)
    response = MessagingResponse()
    if result.reply:
        response.message(result.reply)
    return response


@sms_route("/conversations/events")
def conversation_events() -> MessagingResponse:
    # Conversations gives a post-event webhook 5 seconds: store, enqueue any lookup, answer.
    params = request.form.to_dict(flat=True)
    event = params.get("EventType", "")
    for name in conversations.REQUIRED.get(event, ()):
        required(name)
    result = conversations.handle_event(event, params)
    if result.address:
        optout_jobs.queue_cancel(result.address)
    elif result.unsubscribed_participant:
        optout_jobs.queue_participant_lookup(params["ConversationSid"], result.unsubscribed_participant)
    return MessagingResponse()
