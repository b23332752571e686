"""Languages: which message catalog and which locale formats a mailbox's language tag gets.

Mailboxes store BCP 47 tags as Twilio takes them ("en-US", "zh-CN", "es-MX"). Babel resolves a tag
to a full locale with its likely script ("zh-CN" -> zh_Hans_CN), so the Simplified Chinese catalog
is found as `zh_Hans` and a Traditional one (zh-TW -> zh_Hant_TW) never picks it by accident. A
language without a catalog reads English; dates always follow the locale's own format.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, get_timezone_name
from flask_babel import force_locale

TRANSLATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "translations")
DEFAULT_CATALOG = "en"


class UnknownLanguage(ValueError):
    """A language tag that Babel (CLDR) does not know."""


def parse_language(tag: str) -> Locale:
    """The Babel locale for a BCP 47 tag ("zh-CN" -> zh_Hans_CN). Raises UnknownLanguage."""
    try:
        return Locale.parse((tag or "").replace("_", "-"), sep="-")
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise UnknownLanguage(f"unknown language {tag!r}: use a tag such as en-US, es-MX or zh-CN") from exc


def locale_for(tag: str | None) -> Locale:
    """The locale for a stored tag; English for a tag that no longer parses (rows predate validation)."""
    try:
        return parse_language(tag or "en-US")
    except UnknownLanguage:
        return Locale.parse("en_US")


def available_catalogs() -> set[str]:
    """The catalogs shipped in voicebox/translations (one folder each)."""
    return {name for name in os.listdir(TRANSLATIONS_DIR) if os.path.isdir(os.path.join(TRANSLATIONS_DIR, name))}


@cache
def catalog_for(tag: str | None) -> str:
    """The catalog name for a tag: the most specific of lang_Script_TERRITORY, lang_Script,
    lang_TERRITORY, lang that ships, else English."""
    locale = locale_for(tag)
    parts = [locale.language, locale.script, locale.territory]
    candidates = [
        "_".join(p for p in parts if p),
        "_".join(p for p in (locale.language, locale.script) if p),
        "_".join(p for p in (locale.language, locale.territory) if p),
        locale.language,
    ]
    shipped = available_catalogs()
    return next((name for name in candidates if name in shipped), DEFAULT_CATALOG)


@contextmanager
def in_language(tag: str | None) -> Iterator[Locale]:
    """Translate gettext calls and templates into the tag's catalog for the block; yields its locale."""
    with force_locale(catalog_for(tag)):
        yield locale_for(tag)


def local_time(when: datetime, timezone: str | None, tag: str | None) -> str:
    """`when` in the zone, in the locale's own words and order: its full date, its short time (12 or
    24 hours) and the zone's name, e.g. "Tuesday, March 3, 2026, 2:05 PM Pacific Standard Time" or
    "2026年3月3日星期二 14:05 北美太平洋标准时间". Seconds are left out: nobody needs them in an email."""
    try:
        zone = ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    locale, local = locale_for(tag), when.astimezone(zone)
    date = format_date(local, "full", locale=locale)
    time = format_time(local, "short", tzinfo=zone, locale=locale)
    both = str(locale.datetime_formats["full"]).replace("'", "").replace("{1}", date).replace("{0}", time)
    return f"{both} {get_timezone_name(local, 'long', locale=locale)}"
