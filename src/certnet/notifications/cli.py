"""``certnet notifications``."""

from __future__ import annotations

import typer

app = typer.Typer(help="Outgoing notifications (the outbox).", no_args_is_help=True)
