"""Opt-outs: who must not be texted, with history; opt a number out or back in by hand."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from ..jobs.optouts import queue_cancel
from ..schemas.common import normalise_e164
from ..schemas.optouts import OptOutIn
from ..services import optouts as service
from . import bp, parse_form


def _page(form: dict, error: dict | None, status: int = 200):
    show_all = request.args.get("all") == "1"
    rows = service.list_optouts(only_current=not show_all)
    history = {row.number: service.history(row.number) for row in rows}
    page = render_template("web/optouts.html", rows=rows, history=history, show_all=show_all, form=form, error=error)
    return page, status


@bp.get("/optouts")
def optouts():
    return _page({}, None)


@bp.post("/optouts")
def optout_add():
    form = request.form.to_dict()
    data, error = parse_form(OptOutIn, {"number": form.get("number", ""), "note": form.get("note") or None})
    if data is None:
        return _page(form, error, 400)
    if service.set_opted_out(data.number, True, "api", data.note):
        queue_cancel(data.number)  # cancel what is still scheduled for them
    flash(f"{data.number} will receive no more texts.", "info")
    return redirect(url_for("web.optouts"))


@bp.post("/optouts/<number>/optin")
def optout_remove(number: str):
    try:
        number = normalise_e164(number)
    except ValueError:
        abort(404)
    if service.get(number) is None:
        abort(404)
    service.set_opted_out(number, False, "api", request.form.get("note") or "opted back in on the web")
    flash(f"{number} may be texted again.", "info")
    return redirect(url_for("web.optouts"))
