"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import sys

from dotenv import load_dotenv

from voicebox import create_app
from voicebox.config import ConfigError

# Settings come from the environment, then `.env` in the working directory (it never overrides).
# Only entry points read `.env`, so tests building apps with create_app() see none of a developer's.
load_dotenv(".env")

try:
    app = create_app()
except ConfigError as exc:
    # A clear one-line message at start-up beats a traceback on the first webhook.
    sys.exit(f"voicebox cannot start: {exc}")
