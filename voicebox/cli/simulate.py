"""`flask simulate call|sms`: play Twilio's side of a call or a text against a running voicebox.

Every request is signed with the app's TWILIO_AUTH_TOKEN exactly as Twilio signs it, over the URL
Twilio would use (the one in the TwiML, or PUBLIC_BASE_URL + path), and sent to `--url`. The calls
follow Twilio's order and parameter sets (confirmed against Twilio's voice and messaging webhook
references): the incoming-call webhook; for each <Dial>, the screened leg's <Number url> and its
<Gather> action, then the <Dial> action with DialCallStatus; for <Record>, its action (when the
caller hangs up), then recordingStatusCallback, then transcribeCallback.
"""

from __future__ import annotations

import uuid
import xml.dom.minidom
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlsplit

import click
import requests
from flask import current_app
from flask.cli import AppGroup
from twilio.request_validator import RequestValidator

from ..urls import public_base

API_VERSION = "2010-04-01"
DEFAULT_TRANSCRIPT = "Hello, this is a test message left by the voicebox call simulator. Please call me back."
OUTCOMES = ("answer", "no-answer", "busy", "decline")
MAX_STEPS = 20  # a misbehaving app must not loop the simulator forever

simulate_cli = AppGroup("simulate", help="Play a call or a text against a running voicebox.")


def sid(prefix: str) -> str:
    """A fresh Twilio-shaped SID: two letters and 32 hex digits."""
    return prefix + uuid.uuid4().hex


@dataclass
class Twilio:
    """Posts signed webhooks to a running voicebox and prints each answer."""

    target: str  # where voicebox listens, e.g. http://127.0.0.1:5000
    token: str
    echo: bool = True
    session: requests.Session = field(default_factory=requests.Session)

    def post(self, url: str, params: dict[str, str]) -> ET.Element:
        """POST `params` to `url` (a path, or an absolute URL from TwiML) and return the parsed TwiML."""
        signed = url if "://" in url else (public_base() or self.target.rstrip("/")) + url
        parts = urlsplit(signed)
        sent_to = self.target.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")
        signature = RequestValidator(self.token).compute_signature(signed, params)
        try:
            response = self.session.post(sent_to, data=params, headers={"X-Twilio-Signature": signature}, timeout=15)
        except requests.RequestException as exc:
            raise click.ClickException(f"voicebox is not answering at {self.target} ({exc}); is it running?") from exc
        if self.echo:
            click.echo(f"\n--> POST {parts.path}{'?' + parts.query if parts.query else ''}  ({_summary(params)})")
            click.echo(f"<-- {response.status_code} {response.headers.get('Content-Type', '')}")
            click.echo(_pretty(response.text))
        if response.status_code != 200:
            raise click.ClickException(f"voicebox answered {response.status_code} to {parts.path}")
        try:
            return ET.fromstring(response.content)
        except ET.ParseError as exc:
            raise click.ClickException(f"{parts.path} did not answer TwiML: {exc}") from exc


def _summary(params: dict[str, str]) -> str:
    keys = ("From", "To", "DialCallStatus", "Digits", "RecordingStatus", "TranscriptionStatus", "Body")
    return ", ".join(f"{k}={params[k]}" for k in keys if k in params)


def _pretty(text: str) -> str:
    try:
        return xml.dom.minidom.parseString(text).toprettyxml(indent="  ").split("\n", 1)[1].rstrip()
    except Exception:  # not XML: show it as it came
        return text.rstrip()


@dataclass
class Call:
    """One simulated inbound call and what Twilio knows about it."""

    twilio: Twilio
    caller: str
    called: str
    outcome: str
    transcript: str
    duration: int
    recording_base: str
    call_sid: str = field(default_factory=lambda: sid("CA"))

    def params(self, **extra: str) -> dict[str, str]:
        """The parameters Twilio sends with every webhook of this call."""
        return {
            "AccountSid": account_sid(),
            "ApiVersion": API_VERSION,
            "CallSid": self.call_sid,
            "From": self.caller,
            "Caller": self.caller,
            "To": self.called,
            "Called": self.called,
            "Direction": "inbound",
            "CallStatus": "ringing",
            **extra,
        }

    def play(self) -> str:
        """Run the call to its end; returns how it ended ("answered", "voicemail", "hung up")."""
        document = self.twilio.post("/voice/incoming", self.params())
        for _ in range(MAX_STEPS):
            verb = next((child for child in document if child.tag in ("Dial", "Record", "Hangup")), None)
            if verb is None or verb.tag == "Hangup":
                return "hung up"
            if verb.tag == "Record":
                self.leave_voicemail(verb)
                return "voicemail"
            document, answered = self.ring(verb)
            if answered:
                return "answered"
        raise click.ClickException(f"the call did not end after {MAX_STEPS} steps")

    def ring(self, dial: ET.Element) -> tuple[ET.Element, bool]:
        """One <Dial>: the first <Number> answers, declines, or nobody does; then the <Dial> action."""
        numbers = dial.findall("Number")
        accepted = False
        status = {"no-answer": "no-answer", "busy": "busy"}.get(self.outcome, "completed")
        if self.outcome in ("answer", "decline") and numbers:
            accepted = self.screen(numbers[0])
        action = dial.get("action")
        if not action:
            return ET.Element("Response"), accepted
        dial_sid = sid("CA")
        duration = "35" if accepted else "0" if status != "completed" else "4"
        after = self.params(
            CallStatus="completed" if accepted else "in-progress",
            DialCallStatus=status,
            DialCallSid=dial_sid,
            DialCallDuration=duration,
            DialBridged="true" if accepted else "false",
        )
        return self.twilio.post(action, after), accepted

    def screen(self, number: ET.Element) -> bool:
        """The forwarded leg answers: run its <Number url> (the screening prompt) and press a key."""
        url = number.get("url")
        if not url:
            return self.outcome == "answer"  # no screening: an answered leg is bridged at once
        leg = {
            "AccountSid": account_sid(),
            "ApiVersion": API_VERSION,
            "CallSid": sid("CA"),
            "ParentCallSid": self.call_sid,
            "From": self.caller,
            "To": (number.text or "").strip(),
            "Direction": "outbound-dial",
            "CallStatus": "in-progress",
        }
        prompt = self.twilio.post(url, leg)
        gather = prompt.find("Gather")
        action = gather.get("action") if gather is not None else None
        if not action:
            return False
        digits = "1" if self.outcome == "answer" else "2"
        bridged = self.twilio.post(action, {**leg, "Digits": digits, "FinishedOnKey": ""})
        return self.outcome == "answer" and bridged.find("Hangup") is None

    def account_url(self, path: str) -> str:
        """A REST resource URL as Twilio puts it in callbacks (RecordingUrl has no extension)."""
        return f"{self.recording_base.rstrip('/')}/{API_VERSION}/Accounts/{account_sid()}/{path}"

    def leave_voicemail(self, record: ET.Element) -> None:
        """The caller speaks, then hangs up: <Record>'s action, then its status and transcription callbacks."""
        recording_sid = sid("RE")
        recorded = {
            "RecordingSid": recording_sid,
            "RecordingUrl": self.account_url(f"Recordings/{recording_sid}"),
            "RecordingDuration": str(self.duration),
        }
        if action := record.get("action"):
            self.twilio.post(action, self.params(CallStatus="in-progress", Digits="hangup", **recorded))
        if status_callback := record.get("recordingStatusCallback"):
            status = {
                "AccountSid": account_sid(),
                "CallSid": self.call_sid,
                **recorded,
                "RecordingStatus": "completed",
                "RecordingChannels": "1",
                "RecordingSource": "RecordVerb",
                "RecordingStartTime": format_datetime(datetime.now(UTC), usegmt=True),
                "ErrorCode": "0",
            }
            self.twilio.post(status_callback, status)
        transcribe_callback = record.get("transcribeCallback")
        if record.get("transcribe") == "true" and transcribe_callback:
            transcription_sid = sid("TR")
            transcribed = self.params(
                CallStatus="completed",
                TranscriptionSid=transcription_sid,
                TranscriptionText=self.transcript,
                TranscriptionStatus="completed",
                TranscriptionType="fast",
                TranscriptionUrl=self.account_url(f"Transcriptions/{transcription_sid}"),
                url=transcribe_callback,
                **recorded,
            )
            self.twilio.post(transcribe_callback, transcribed)


def account_sid() -> str:
    """The configured account, or a placeholder in local try-out mode."""
    return current_app.config.get("TWILIO_ACCOUNT_SID") or "AC" + "0" * 32


def _target(url: str | None) -> Twilio:
    return Twilio(url or "http://127.0.0.1:5000", current_app.config["TWILIO_AUTH_TOKEN"])


@simulate_cli.command("call")
@click.option("--to", "to", required=True, help="The Twilio number called (a mailbox's number).")
@click.option("--from", "from_", required=True, help="The caller's number.")
@click.option("--answer", "outcome", flag_value="answer", help="The first forwarded phone answers and accepts.")
@click.option("--no-answer", "outcome", flag_value="no-answer", default=True, help="Nobody answers (default).")
@click.option("--busy", "outcome", flag_value="busy", help="The forwarded phones are busy.")
@click.option("--decline", "outcome", flag_value="decline", help="The first phone answers but declines (presses 2).")
@click.option("--transcript", default=DEFAULT_TRANSCRIPT, show_default=False, help="What the caller says.")
@click.option("--duration", default=12, type=click.IntRange(1, 3600), help="Recording length in seconds.")
@click.option("--url", envvar="VOICEBOX_URL", help="Where voicebox runs [default: http://127.0.0.1:5000].")
def simulate_call(to: str, from_: str, outcome: str, transcript: str, duration: int, url: str | None) -> None:
    """Play a whole inbound call, printing each webhook and the TwiML voicebox answered."""
    recording_base = current_app.config["TWILIO_API_BASE_URL"]
    call = Call(_target(url), from_, to, outcome, transcript, duration, recording_base)
    ended = call.play()
    click.echo(f"\ncall {call.call_sid} from {from_} to {to}: {ended}")


@simulate_cli.command("sms")
@click.option("--to", "to", required=True, help="The Twilio number texted.")
@click.option("--from", "from_", required=True, help="The sender's number.")
@click.option("--body", required=True, help="The text.")
@click.option("--url", envvar="VOICEBOX_URL", help="Where voicebox runs [default: http://127.0.0.1:5000].")
def simulate_sms(to: str, from_: str, body: str, url: str | None) -> None:
    """Deliver one inbound text, as Twilio's incoming-message webhook, and print voicebox's answer."""
    message_sid = sid("SM")
    params = {
        "MessageSid": message_sid,
        "SmsSid": message_sid,
        "SmsMessageSid": message_sid,
        "AccountSid": account_sid(),
        "From": from_,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": API_VERSION,
    }
    if current_app.config.get("TWILIO_MESSAGING_SERVICE_SID"):
        params["MessagingServiceSid"] = current_app.config["TWILIO_MESSAGING_SERVICE_SID"]
    _target(url).post("/sms/incoming", params)
    click.echo(f"\ntext {message_sid} from {from_} to {to}: delivered")
