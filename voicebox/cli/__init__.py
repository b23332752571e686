"""Setup and try-out commands: `flask twilio configure`, `flask doctor`, `flask simulate call|sms`, and the
two `scripts/run` uses: `flask first-admin`, `flask embedded-redis`."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the commands."""
    from .doctor import doctor
    from .first_run import embedded_redis, first_admin
    from .simulate import simulate_cli
    from .twilio_setup import twilio_cli

    app.cli.add_command(doctor)
    app.cli.add_command(first_admin)
    app.cli.add_command(embedded_redis)
    app.cli.add_command(simulate_cli)
    app.cli.add_command(twilio_cli)
