"""Operator commands (dead letters, consistency check) — see issue 5."""

from __future__ import annotations

import argparse


def add_ops_commands(sub: argparse._SubParsersAction) -> None:  # noqa: SLF001
    return None
