"""Field types shared by every schema."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import AfterValidator, BeforeValidator, Field

from ..ints import MAX_ID, parse_int


def normalise_e164(value: str) -> str:
    """Parse a phone number (E.164, or with spaces/dashes) and return it as E.164."""
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("must be a phone number in international format, e.g. +14155550100") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def check_timezone(value: str) -> str:
    """An IANA time zone name such as America/New_York."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: e.g. a name too long for a file
        raise ValueError(f"unknown IANA time zone {value!r}") from exc
    return value


E164 = Annotated[
    str,
    Field(examples=["+14155550100"], description="Phone number, E.164"),
    AfterValidator(normalise_e164),
]
TimeZone = Annotated[str, Field(max_length=64, examples=["America/New_York"]), AfterValidator(check_timezone)]


def _ascii_int(value: object) -> object:
    """Query strings: ASCII digits only (no sign, spaces or Unicode digits such as '²')."""
    return parse_int(value, 0, 2**63) if isinstance(value, str) else value


# Whole numbers from a query string, read as strictly as the webhooks read theirs (voicebox/ints.py).
QueryInt = Annotated[int, BeforeValidator(_ascii_int)]
QueryId = Annotated[int, BeforeValidator(_ascii_int), Field(ge=1, le=MAX_ID)]
