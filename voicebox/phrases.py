"""What voicebox says to callers, per language.

Twilio speaks the text in the mailbox's language; a language we have no phrases for falls back
to English words spoken in that language's voice, which is better than silence.
"""

from __future__ import annotations

from dataclasses import dataclass

from twilio.twiml import TwiML

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "unavailable": "Sorry, this number is not taking calls right now. Goodbye.",
        "screen": "Call for {mailbox} from {caller}. Press 1 to accept.",
        "unknown_caller": "an unknown number",
        "leave_message": "Nobody is available to take your call. "
        "Please leave a message after the beep, and press the pound key when you are done.",
        "goodbye": "We did not get a message. Goodbye.",
        "thanks": "Thank you, your message has been recorded. Goodbye.",
        "apology": "Sorry, we are having trouble connecting your call.",
        "bad_request": "Sorry, this call could not be handled. Goodbye.",
    },
    "es": {
        "unavailable": "Lo sentimos, este número no recibe llamadas en este momento. Adiós.",
        "screen": "Llamada para {mailbox} de {caller}. Pulse 1 para aceptar.",
        "unknown_caller": "un número desconocido",
        "leave_message": "No hay nadie disponible. Deje su mensaje después del tono "
        "y pulse la tecla numeral al terminar.",
        "goodbye": "No recibimos ningún mensaje. Adiós.",
        "thanks": "Gracias, su mensaje ha sido grabado. Adiós.",
        "apology": "Lo sentimos, tenemos problemas para conectar su llamada.",
        "bad_request": "Lo sentimos, no se pudo atender esta llamada. Adiós.",
    },
    "zh": {
        "unavailable": "抱歉，此号码目前无法接听电话。再见。",
        "screen": "{caller} 打给 {mailbox} 的电话。接听请按 1。",
        "unknown_caller": "未知号码",
        "leave_message": "暂时无人接听。请在提示音后留言，留言完毕请按井号键。",
        "goodbye": "我们没有收到留言。再见。",
        "thanks": "谢谢，您的留言已录制。再见。",
        "apology": "抱歉，接通您的电话时出现问题。",
        "bad_request": "抱歉，无法处理此次通话。再见。",
    },
}


def phrase(language: str | None, key: str, **values: str) -> str:
    """The phrase `key` in `language` (e.g. 'zh-CN' uses 'zh'), English when we lack it."""
    base = (language or "en").split("-")[0].lower()
    text = PHRASES.get(base, PHRASES["en"]).get(key) or PHRASES["en"][key]
    return text.format(**values)


def spoken_digits(number: str) -> str:
    """'+14155550100' -> '1 4 1 5 5 5 5 0 1 0 0' so Twilio reads digits, not a large number."""
    return " ".join(ch for ch in number if ch.isdigit())


@dataclass(frozen=True)
class Voice:
    """How Twilio should speak: <Say voice=… language=…>."""

    language: str
    voice: str

    def say(self, response: TwiML, key: str, **values: str) -> None:
        response.say(phrase(self.language, key, **values), voice=self.voice, language=self.language)
