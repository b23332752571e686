"""`flask translate ...`: the message catalogs (voicebox/translations), wrapping pybabel.

Add a language:   flask translate extract && flask translate init es && (translate the .po) && flask translate compile
After editing text in code or templates:   flask translate extract && flask translate update, fill in, compile.
The compiled .mo files are committed beside their .po, so a deploy needs no build step;
tests/transcripts checks each .mo matches its .po and that every catalog is complete.
"""

from __future__ import annotations

import os

import click
from babel.messages.frontend import CommandLineInterface
from flask.cli import AppGroup

from .i18n import TRANSLATIONS_DIR

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATE = os.path.join(TRANSLATIONS_DIR, "messages.pot")
MAPPING = os.path.join(TRANSLATIONS_DIR, "babel.cfg")

translate_cli = AppGroup("translate", help="Extract, add, update and compile the message catalogs.")


def pybabel(*args: str) -> None:
    """Run one pybabel command in the checkout's root (paths in babel.cfg are relative to it)."""
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        CommandLineInterface().run(["pybabel", "-q", *args])
    finally:
        os.chdir(cwd)


@translate_cli.command("extract")
def extract() -> None:
    """Collect every message from voicebox/ and templates/ into messages.pot."""
    pybabel("extract", "-F", MAPPING, "--no-location", "--sort-output", "-o", TEMPLATE, ".")


@translate_cli.command("init")
@click.argument("language")
def init(language: str) -> None:
    """Start a catalog for LANGUAGE (a Babel locale name such as es, zh_Hans, pt_BR)."""
    pybabel("init", "-i", TEMPLATE, "-d", TRANSLATIONS_DIR, "-l", language)


@translate_cli.command("update")
def update() -> None:
    """Merge messages.pot into every catalog (new messages appear untranslated)."""
    pybabel("update", "-i", TEMPLATE, "-d", TRANSLATIONS_DIR, "--no-fuzzy-matching")


@translate_cli.command("compile")
def compile_catalogs() -> None:
    """Compile every .po into the .mo the app reads."""
    pybabel("compile", "-d", TRANSLATIONS_DIR, "--use-fuzzy")
