"""Setup and try-out commands: `flask twilio configure`, `flask doctor`, `flask simulate call|sms`."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the commands."""
    from .doctor import doctor
    from .simulate import simulate_cli
    from .twilio_setup import twilio_cli

    app.cli.add_command(doctor)
    app.cli.add_command(simulate_cli)
    app.cli.add_command(twilio_cli)
