"""``wegweiser feedback``: import feedback files, classify texts, and the feedback analyses.

``summary``, ``topics``, ``verbatims`` and ``changes`` are the registered analyses
``feedback_scores``, ``feedback_voice``, ``verbatims`` and ``feedback_changes`` under short
names (the same options); ``sentiment FILE`` needs no project.
"""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Annotated

import typer

from wegweiser._output import Format, print_frame, print_mapping
from wegweiser.commands._common import FormatOpt, ProjectOpt, out
from wegweiser.commands.analyses import add_lazy_analysis, summaries
from wegweiser.errors import InvalidInput

app = typer.Typer(
    help="Feedback: surveys, reviews and comments, understood offline (de/en).",
    no_args_is_help=True,
)


class SentimentModel(enum.StrEnum):
    auto = "auto"
    embedding = "embedding"
    lexicon = "lexicon"


@app.command("import")
def import_command(
    files: Annotated[list[str], typer.Argument(help="CSV or JSON Lines files, folders, globs.")],
    project: ProjectOpt = Path("."),
    mapping: Annotated[
        str | None,
        typer.Option(
            "--map",
            "-m",
            help="Your columns as feedback fields: user_id=respondent,text=comment,"
            "kind='nps' (fields: id, user_id, anonymous_id, person, timestamp, kind, score, "
            "rating, text, question, source, touchpoint, channel).",
        ),
    ] = None,
    input_format: Annotated[
        str | None,
        typer.Option("--input-format", help="csv or jsonl (default: from the file name)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help='Print {"imported", "quarantined", ...} as JSON.')
    ] = False,
) -> None:
    """Import survey answers and reviews (survey-tool or review-site exports).

    Each row becomes a feedback event of its person (any id: stitching links it), about the
    touchpoint it names or, without one, the person's last touchpoint before it. Rows
    without an id or kind, with neither score nor text, or with a score outside its scale
    (NPS 0-10, CSAT 1-5, CES 1-7, review 1-5) go to the quarantine with line and reason.
    """
    from wegweiser.project import open_project

    with open_project(project) as proj:
        summary = proj.import_feedback(files, mapping=mapping, format=input_format)
    if as_json:
        print_mapping(summary.as_dict(), Format.json, console=out)
        return
    out.print(
        f"[green]Imported[/green] {summary.imported:,} answers, quarantined "
        f"{summary.quarantined:,}, duplicates {summary.duplicates:,}"
    )
    for e in summary.errors:
        out.print(f"  {e['source']}:{e['line']} {e['reason']}")


@app.command("sentiment")
def sentiment_command(
    file: Annotated[Path, typer.Argument(help="A CSV file with a text column.", dir_okay=False)],
    column: Annotated[
        str, typer.Option("--column", "-c", help="The column holding the texts.")
    ] = "text",
    model: Annotated[
        SentimentModel,
        typer.Option("--model", help="embedding (needs wegweiser[listen]) or lexicon."),
    ] = SentimentModel.embedding,
    fmt: FormatOpt = Format.table,
) -> None:
    """Classify the texts of a CSV file: one row per input row, its columns kept, with
    sentiment (positive, neutral, negative) and score (-1..1). Offline, German and English."""
    import pandas as pd

    from wegweiser.feedback import understand

    if not file.is_file():
        raise InvalidInput(f"{file}: no such file")
    try:
        frame = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{file}: cannot read it as CSV: {exc}") from None
    if column not in frame.columns:
        raise InvalidInput(
            f"{file} has no column {column!r} (it has {', '.join(frame.columns)});"
            " name the text column with --column"
        )
    read = understand(frame[column].tolist(), model=model.value)
    frame["sentiment"] = read["sentiment"].to_numpy()
    frame["score"] = read["score"].to_numpy()
    if fmt is Format.json:
        out.file.write(json.dumps(frame.to_dict(orient="records"), ensure_ascii=False) + "\n")
    else:
        print_frame(frame, fmt, console=out)


_SUMMARIES = summaries()
for _name, _analysis in (  # built when they run, as the other analysis commands
    ("summary", "feedback_scores"),
    ("topics", "feedback_voice"),
    ("verbatims", "verbatims"),
    ("changes", "feedback_changes"),
):
    add_lazy_analysis(app, _name, _analysis, _SUMMARIES[_analysis])


def register(main: typer.Typer) -> None:
    main.add_typer(app, name="feedback")
