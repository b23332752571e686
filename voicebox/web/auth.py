"""Sign in, sign out, and `/`."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from .. import throttle
from ..services import users
from . import bp, safe_next


@bp.get("/")
def index():
    return redirect(url_for("web.inbox"))  # the guard sends a signed-out visitor to login first


@bp.route("/login", methods=["GET", "POST"])
def login():
    target = safe_next(request.values.get("next")) or url_for("web.inbox")
    if current_user.is_authenticated:
        return redirect(target)
    if request.method == "GET":
        return render_template("web/login.html", next=target, email="")
    email = request.form.get("email", "")
    key = users.normalise_email(email)
    if not throttle.sign_in_allowed(key):
        minutes = throttle.SIGN_IN_WINDOW_MINUTES
        flash(f"Too many wrong passwords for this email. Please wait up to {minutes} minutes and try again.", "error")
        return render_template("web/login.html", next=target, email=email), 429
    user = users.authenticate(email, request.form.get("password", ""))
    if user is None:
        throttle.sign_in_failed(key)
        flash("That email and password do not match.", "error")
        return render_template("web/login.html", next=target, email=email), 401
    login_user(user)
    return redirect(target)


@bp.post("/logout")
def logout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("web.login"))
