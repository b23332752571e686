"""An installed voicebox (a wheel, no checkout around it) finds its templates and migrations."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.support import ACCOUNT_SID, REPO

from .test_cli_and_config import clean_env

BUILD = "import sys; from setuptools import build_meta; print(build_meta.build_wheel(sys.argv[1]))"

# Run beside the unpacked wheel: the files the app's templates and migrations come from.
PROBE = """
import os, sys
from voicebox import create_app
app = create_app({
    "SECRET_KEY": "s3cret-key-0123456789abcdefghijkl", "TWILIO_ACCOUNT_SID": sys.argv[1], "TWILIO_AUTH_TOKEN": "t",
    "VOICEBOX_API_TOKEN": "api-token-0123456789abcdefghijklm",
    "REDIS_URL": "redis://127.0.0.1:1/0", "INSTANCE_PATH": os.path.abspath("instance"),
})
print(app.jinja_env.get_template("email/voicemail.html").filename)
print(app.jinja_env.get_template("email/inbound.txt").filename)
print(os.path.join(app.extensions["migrate"].directory, "alembic.ini"))
"""


def test_wheel_carries_templates_and_migrations(tmp_path):
    source = _mkdir(tmp_path / "src")  # only what the build reads, not the whole checkout
    for name in ("pyproject.toml", "README.md", "requirements.in"):
        shutil.copy(REPO / name, source / name)
    # symlinks=True: the checkout's voicebox/templates -> ../templates link is copied as a link.
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO / "voicebox", source / "voicebox", symlinks=True, ignore=ignore)
    shutil.copytree(REPO / "templates", source / "templates", ignore=ignore)

    # With this virtualenv's pinned setuptools, so the build needs no network.
    dist = tmp_path / "dist"
    built = _python(BUILD, str(dist), cwd=source)
    site = tmp_path / "site"
    with zipfile.ZipFile(dist / built.stdout.strip().splitlines()[-1]) as wheel:
        wheel.extractall(site)

    # From a directory that is neither the checkout nor the unpacked wheel.
    probe = _python(PROBE, ACCOUNT_SID, cwd=_mkdir(tmp_path / "run"), PYTHONPATH=str(site))
    for path in map(Path, probe.stdout.strip().splitlines()[-3:]):
        assert path.is_relative_to(site / "voicebox") and path.is_file(), path
    assert list((site / "voicebox" / "migrations" / "versions").glob("*.py")), "no migrations in the wheel"


def _python(code: str, arg: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-c", code, arg], cwd=cwd, env=clean_env(**env), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
