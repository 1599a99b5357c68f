"""``certnet assets``, ``certnet vulns`` and ``certnet risk``."""

from __future__ import annotations

import typer

assets = typer.Typer(help="What each organisation runs (assets, SBOMs).", no_args_is_help=True)
vulns = typer.Typer(help="Vulnerability intelligence: CVE, KEV, EPSS, CSAF.", no_args_is_help=True)
app = typer.Typer(help="Exposures, measures and the risk register.", no_args_is_help=True)
