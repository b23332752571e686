"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import sys

from voicebox import create_app
from voicebox.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    # A clear one-line message at start-up beats a traceback on the first webhook.
    sys.exit(f"voicebox cannot start: {exc}")
