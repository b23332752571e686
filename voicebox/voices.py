"""Which <Say> voices Twilio accepts for each mailbox language, and the language code to speak them in.

Twilio warns that an invalid voice/language pair can make <Say> fail, and since its 2024 TwiML
changes an invalid voice in a <Say> inside <Gather> (our screening prompt) goes to the fallback URL.
So a mailbox's voice is checked against this table when it is set, and resolved against it again
when spoken (a row saved before the table existed, e.g. with `alice`, gets its language's default).

Only languages we have prompts for (voicebox.phrases) are offered: a Chinese voice must never read
English words. Voice names are Twilio's (Polly.<Name>[-Neural], Google.<code>-<Type>-<Letter>, and the
basic `man`/`woman`). Mandarin voices are listed by Twilio's voice tables (Amazon Polly's and
Google's) under `cmn-CN`, so a `zh-CN` mailbox speaks with language="cmn-CN".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    """A mailbox language: its prompts' language, the <Say language> code, and its voices."""

    code: str  # what the mailbox stores, e.g. "zh-CN"
    say_language: str  # what <Say language=…> gets: the code Twilio's voice table lists, e.g. "cmn-CN"
    default_voice: str  # a neural voice
    voices: tuple[str, ...]


def _polly(*names: str, neural: tuple[str, ...] = ()) -> tuple[str, ...]:
    return tuple(f"Polly.{n}-Neural" for n in neural) + tuple(f"Polly.{n}" for n in names)


def _google(code: str, *kinds: str) -> tuple[str, ...]:
    """Google voices as Twilio names them, e.g. Google.en-US-Neural2-F."""
    return tuple(f"Google.{code}-{kind}" for kind in kinds)


_BASIC = ("man", "woman")  # Twilio's basic voices: English, Spanish, French, German only

LANGUAGES: dict[str, Language] = {
    lang.code.lower(): lang
    for lang in (
        Language(
            "en-US",
            "en-US",
            "Polly.Joanna-Neural",
            _polly(
                "Joanna",
                "Matthew",
                "Ivy",
                "Kendra",
                "Kimberly",
                "Salli",
                "Joey",
                "Justin",
                neural=(
                    "Joanna",
                    "Matthew",
                    "Ivy",
                    "Kendra",
                    "Kimberly",
                    "Salli",
                    "Joey",
                    "Justin",
                    "Kevin",
                    "Ruth",
                    "Stephen",
                    "Danielle",
                    "Gregory",
                ),
            )
            + _google(
                "en-US",
                "Neural2-A",
                "Neural2-C",
                "Neural2-D",
                "Neural2-F",
                "Wavenet-A",
                "Wavenet-C",
                "Standard-A",
                "Standard-C",
            )
            + _BASIC,
        ),
        Language(
            "en-GB",
            "en-GB",
            "Polly.Amy-Neural",
            _polly("Amy", "Emma", "Brian", neural=("Amy", "Emma", "Brian", "Arthur"))
            + _google("en-GB", "Neural2-A", "Neural2-B", "Wavenet-A", "Wavenet-B", "Standard-A", "Standard-B")
            + _BASIC,
        ),
        Language(
            "en-AU",
            "en-AU",
            "Polly.Olivia-Neural",
            _polly("Nicole", "Russell", neural=("Olivia",))
            + _google("en-AU", "Neural2-A", "Neural2-B", "Wavenet-A", "Standard-A"),
        ),
        Language(
            "en-IN",
            "en-IN",
            "Polly.Kajal-Neural",
            _polly("Aditi", "Raveena", neural=("Kajal",)) + _google("en-IN", "Wavenet-A", "Standard-A"),
        ),
        Language(
            "es-ES",
            "es-ES",
            "Polly.Lucia-Neural",
            _polly("Conchita", "Enrique", "Lucia", neural=("Lucia", "Sergio"))
            + _google("es-ES", "Neural2-A", "Neural2-B", "Wavenet-B", "Standard-A")
            + _BASIC,
        ),
        Language(
            "es-MX",
            "es-MX",
            "Polly.Mia-Neural",
            _polly("Mia", neural=("Mia", "Andres")),
        ),
        Language(
            "es-US",
            "es-US",
            "Polly.Lupe-Neural",
            _polly("Lupe", "Penelope", "Miguel", neural=("Lupe", "Pedro"))
            + _google("es-US", "Neural2-A", "Neural2-B", "Wavenet-A", "Standard-A"),
        ),
        Language(
            "zh-CN",
            "cmn-CN",
            "Polly.Zhiyu-Neural",
            _polly("Zhiyu", neural=("Zhiyu",))
            + _google(
                "cmn-CN",
                "Wavenet-A",
                "Wavenet-B",
                "Wavenet-C",
                "Wavenet-D",
                "Standard-A",
                "Standard-B",
                "Standard-C",
                "Standard-D",
            ),
        ),
    )
}


def find(code: str | None) -> Language | None:
    """The supported language for a code (any case; `cmn-CN` is Mandarin too), or None."""
    key = (code or "").strip().lower()
    if key == "cmn-cn":
        key = "zh-cn"
    return LANGUAGES.get(key)


def supported_codes() -> list[str]:
    """The language codes a mailbox may use, for error messages and the docs."""
    return [lang.code for lang in LANGUAGES.values()]


def voice_error(code: str, voice: str) -> str | None:
    """Why `voice` cannot speak `code`, or None when the pair is one Twilio accepts."""
    language = find(code)
    if language is None:
        return f"{code!r} is not a supported language; use one of {', '.join(supported_codes())}"
    if voice not in language.voices:
        return (
            f"{voice!r} is not a Twilio voice for {language.code}; use e.g. {language.default_voice} "
            f"(the voices for {language.code} are listed in voicebox/voices.py)"
        )
    return None


def resolve(code: str | None, voice: str | None, fallback: str = "en-US") -> tuple[str, str]:
    """(<Say language>, voice) that Twilio will accept for a stored language and voice.

    An unknown language speaks `fallback`; a voice that does not fit gets the language's default.
    """
    language = find(code) or find(fallback) or LANGUAGES["en-us"]
    return language.say_language, voice if voice in language.voices else language.default_voice
