"""``certnet findings``."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Findings and the notifications that tell constituents about them.", no_args_is_help=True
)
