"""The lint gate runs inside the suite, so `make test` fails on lint or a missing migration."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

VENV_BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        [str(VENV_BIN / "ruff"), "check", "."],
        [str(VENV_BIN / "ruff"), "format", "--check", "."],
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
    ],
    ids=["ruff-check", "ruff-format", "makemigrations-check"],
)
def test_lint_gate_passes(command):
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{' '.join(command[1:])} failed:\n{result.stdout}\n{result.stderr}"
