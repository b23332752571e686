"""`flask user create EMAIL [--admin] [--mailbox ID]`: people who sign in to the web inbox."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from .services import Conflict, users

user_cli = AppGroup("user", help="Manage web inbox users.")


@user_cli.command("create")
@click.argument("email")
@click.option("--admin", is_flag=True, help="See and manage every mailbox.")
@click.option("--mailbox", "mailbox_ids", type=int, multiple=True, help="A mailbox id the user reads (repeatable).")
@click.option("--generate", is_flag=True, help="Generate the password even on a terminal.")
def create(email: str, admin: bool, mailbox_ids: tuple[int, ...], generate: bool) -> None:
    """Create a user. On a terminal the password is asked for (empty: generate one); otherwise it is
    generated. A generated password is shown once and never stored in clear."""
    password = None
    if sys.stdin.isatty() and not generate:
        password = click.prompt(
            "Password (empty: generate one)", default="", hide_input=True, confirmation_prompt=True,
            show_default=False,
        ) or None  # fmt: skip
    try:
        user, generated = users.create_user(email, password, admin=admin, mailbox_ids=mailbox_ids)
    except (Conflict, users.WeakPassword) as exc:
        raise click.UsageError(str(exc)) from exc
    role = "admin" if user.is_admin else f"mailboxes {', '.join(str(m.id) for m in user.mailboxes) or '(none)'}"
    click.echo(f"created user {user.email} ({role})")
    if generated:
        click.echo(f"password (shown once): {generated}")


@user_cli.command("list")
def list_users() -> None:
    """List users and their mailboxes."""
    for user in users.list_users():
        mailboxes = "all mailboxes" if user.is_admin else ", ".join(m.name for m in user.mailboxes) or "(none)"
        click.echo(f"{user.id}\t{user.email}\t{'admin' if user.is_admin else 'user'}\t{mailboxes}")
