"""``certnet intake``: run intake channels."""

from __future__ import annotations

import typer

app = typer.Typer(help="Incident intake channels (e-mail).", no_args_is_help=True)
