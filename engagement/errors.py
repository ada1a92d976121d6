"""The program's one domain error: a change its rules refuse."""

from __future__ import annotations


class ProgramError(Exception):
    """A change the program's rules refuse; its message is shown to the user."""
