"""``certnet incidents``."""

from __future__ import annotations

import typer

app = typer.Typer(help="Incident reports and case handling.", no_args_is_help=True)
