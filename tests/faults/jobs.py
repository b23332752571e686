"""Job functions for the worker tests: they only touch files, so they need neither database nor SMTP."""

from __future__ import annotations

import time
from pathlib import Path


def touch(path: str) -> str:
    Path(path).touch()
    return "touched"


def sleep_then_touch(seconds: float, path: str) -> str:
    time.sleep(seconds)
    Path(path).touch()
    return "touched"
