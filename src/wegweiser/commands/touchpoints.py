"""``wegweiser import-benchmarks``: competitor scores of the touchpoints from a CSV file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wegweiser.commands._common import ProjectOpt, out


def register(app: typer.Typer) -> None:
    @app.command("import-benchmarks")
    def import_benchmarks_command(
        file: Annotated[Path, typer.Argument(help="CSV: touchpoint, benchmark[, importance].",
                                             dir_okay=False)],
        project: ProjectOpt = Path("."),
    ) -> None:
        """Set the competitor benchmark (0..1 or a percentage) and optionally the stated
        importance (1..5) of [[touchpoints]] in wegweiser.toml from a CSV file (e.g. a market
        study). A bad line is an error with its line number; nothing is changed then.
        """
        from wegweiser.config_edit import set_touchpoint_scores
        from wegweiser.events.benchmarks import read_benchmarks

        scores = read_benchmarks(file)
        set_touchpoint_scores(project, scores)
        out.print(f"[green]Set[/green] benchmarks of {len(scores):,} touchpoints in "
                  f"{project / 'wegweiser.toml'}")
