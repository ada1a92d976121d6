"""The deployment files, read the way a Procfile platform reads them."""

from __future__ import annotations

import shlex
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]


def procfile() -> dict[str, list[str]]:
    """Each process of the Procfile and its command, split into words."""
    lines = (BASE_DIR / "Procfile").read_text().splitlines()
    return {name: shlex.split(command) for name, command in (line.split(":", 1) for line in lines if line.strip())}
