"""The import-linter contracts in pyproject.toml keep the layers pointing down."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from motpub.config import PROJECT_ROOT


def test_layers_and_forbidden_imports_hold():
    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run([lint], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
