"""What voicebox says to callers, per language.

Every language a mailbox may choose (voicebox.voices) has every phrase here, so a Chinese voice
never reads English words. Only a language outside that table (which validation refuses) falls
back to English, and it is then spoken in an English voice too (voices.resolve).
"""

from __future__ import annotations

from dataclasses import dataclass

from twilio.twiml import TwiML

from . import voices

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
        "taken": "This call has already been answered, or the caller has left. Goodbye.",
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
        "taken": "Esta llamada ya fue atendida, o la persona que llamaba colgó. Adiós.",
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
        "taken": "此来电已被接听，或来电者已挂断。再见。",
    },
}


def phrase(language: str | None, key: str, **values: str) -> str:
    """The phrase `key` in `language` ('zh-CN' and 'cmn-CN' use 'zh'); English for an unknown language."""
    known = voices.find(language)
    base = known.code.split("-")[0].lower() if known else "en"
    return PHRASES[base][key].format(**values)


def spoken_digits(number: str) -> str:
    """'+14155550100' -> '1 4 1 5 5 5 5 0 1 0 0' so Twilio reads digits, not a large number."""
    return " ".join(ch for ch in number if ch.isdigit())


@dataclass(frozen=True)
class Voice:
    """How Twilio should speak: <Say voice=… language=…>."""

    language: str  # the mailbox's language: which phrases, and (through voices.LANGUAGES) which <Say language>
    voice: str  # the stored voice; one that does not fit the language is replaced when spoken

    def say(self, response: TwiML, key: str, **values: str) -> None:
        """<Say> the phrase `key` in this language."""
        self.say_text(response, phrase(self.language, key, **values))

    def say_text(self, response: TwiML, text: str) -> None:
        """<Say> `text` (e.g. the mailbox's own greeting) with a voice Twilio accepts for the language."""
        say_language, voice = voices.resolve(self.language, self.voice)
        response.say(text, voice=voice, language=say_language)
