"""``certnet advisories``."""

from __future__ import annotations

import typer

app = typer.Typer(help="Security advisories (CSAF 2.0).", no_args_is_help=True)
