"""One careful parser for whole numbers from the outside world (query strings, webhooks, URLs).

`str.isdigit()` says yes to "²" and "١٢", which `int()` then refuses or reads as another number,
and `int()` takes "+5", " 5" and "1_000". Only ASCII digits within bounds get through here.
"""

from __future__ import annotations

import re

from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

# PostgreSQL's INTEGER: the largest primary key (and count) any of our columns can hold.
MAX_ID = 2**31 - 1
_DIGITS = re.compile(r"[0-9]{1,18}")


def parse_int(raw: str, lo: int = 0, hi: int = MAX_ID) -> int:
    """`raw` as an int from `lo` to `hi`; ValueError for anything else."""
    if not _DIGITS.fullmatch(raw) or not lo <= (value := int(raw)) <= hi:
        raise ValueError(f"must be a whole number from {lo} to {hi}")
    return value


class IdConverter(IntegerConverter):
    """`<int:...>` in routes: an id beyond what the database holds is not found (404).

    Ten ASCII digits at most match; a larger value is refused with NotFound rather than werkzeug's
    ValidationError, which would make it answer 405 when the path has a rule for another method.
    """

    regex = r"[0-9]{1,10}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise NotFound()
        return number
