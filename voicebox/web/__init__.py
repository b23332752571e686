"""The web inbox: server-rendered pages for people (sessions, CSRF on every form), in templates/web/.

Views are thin: they load rows through the services the JSON API uses, check what the signed-in user
may see, and render. Every route except login and the stylesheet needs a signed-in user, and every
POST a CSRF token (checked here, not app-wide: Twilio's webhooks and the bearer-token API send none).
"""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from flask import Blueprint, Flask, abort, request
from flask_login import current_user
from pydantic import BaseModel, ValidationError

from ..errors import from_validation_error
from ..extensions import csrf, login_manager
from ..services import users
from . import filters

bp = Blueprint("web", __name__, static_folder="static", static_url_path="/static")
M = TypeVar("M", bound=BaseModel)
PUBLIC_ENDPOINTS = {"web.login", "web.static"}
ZONES = sorted(available_timezones())  # the time zone pickers list every IANA zone


def init_app(app: Flask) -> None:
    """Sessions, CSRF and the pages."""
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # checked in `guard` for web routes only
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid for the session, so a tab left open still works
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    login_manager.init_app(app)
    login_manager.login_view = "web.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    filters.register(app)
    app.register_blueprint(bp)


@login_manager.user_loader
def _load_user(user_id: str):
    return users.get_user(int(user_id)) if user_id.isdigit() else None


@bp.before_request
def guard():
    if request.endpoint not in PUBLIC_ENDPOINTS and not current_user.is_authenticated:
        return login_manager.unauthorized()
    if request.method == "POST":
        csrf.protect()  # a missing or wrong token is a CSRFError: a 400 page
    return None


@bp.context_processor  # web pages only: emails are rendered by workers, with no signed-in user
def _navigation() -> dict[str, Any]:
    if not current_user.is_authenticated:
        return {}
    return {"my_mailboxes": users.visible_mailboxes(current_user)}


def require_mailbox(mailbox_id: int | None) -> None:
    """404 unless the signed-in user reads mailbox `mailbox_id`: another mailbox's row does not exist for them."""
    if not users.can_read(current_user, mailbox_id):
        abort(404)


def visible_ids() -> list[int] | None:
    return users.visible_mailbox_ids(current_user)


def parse_form(model: type[M], data: dict[str, Any]) -> tuple[M | None, dict[str, str] | None]:
    """Validate form fields with the API's pydantic model: (model, None), or (None, {field, message})."""
    try:
        return model.model_validate(data), None
    except ValidationError as exc:
        error = from_validation_error(exc)
        return None, {"field": (error.field or "").split(".")[0], "message": error.message}


def safe_next(target: str | None) -> str | None:
    """A same-site path to go back to after signing in, or None (never an open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.netloc and parts.netloc != request.host:
        return None
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    return path + (f"?{parts.query}" if parts.query else "")


from . import auth, inbox, mailboxes, optouts, sequences, texts  # noqa: E402,F401  (register their routes)
