from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from tests.conftest import write

if TYPE_CHECKING:
    from pathlib import Path


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wegweiser.cli", *args],
        capture_output=True, text=True, cwd=cwd, timeout=120,
    )


@pytest.fixture(scope="module")
def cli_project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli") / "shop"
    assert run("init", str(folder)).returncode == 0
    return folder


def test_init_import_stats_quarantine_roundtrip(cli_project, tmp_path):
    data = write(tmp_path / "e.csv", "client,action,ts\nc1,product_view,2026-01-01T00:00:00Z\n"
                                     "c2,order_completed,1767225600\n,product_view,2026-01-01\n")
    res = run("import", str(data), "-p", str(cli_project), "--json",
              "--map", "user_id=client,event=action,timestamp=ts")
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    assert {k: got[k] for k in ("imported", "duplicates", "quarantined", "rows")} == {
        "imported": 2, "duplicates": 0, "quarantined": 1, "rows": 3}

    assert got["warnings"] == []  # order_completed is a conversion event

    res = run("stats", "-p", str(cli_project), "--format", "json")
    stats = json.loads(res.stdout)
    assert (stats["events"], stats["persons"], stats["quarantined"]) == (2, 2, 1)
    assert res.stderr == ""

    res = run("quarantine", "list", "-p", str(cli_project), "--format", "json")
    rows = json.loads(res.stdout)
    assert rows[0]["line"] == 4
    assert rows[0]["reason"].startswith("missing ids")

    res = run("quarantine", "list", "-p", str(cli_project), "--format", "csv")
    assert res.stdout.splitlines()[0].startswith("quarantine_id,source,line,reason")

    res = run("identities", "merges", "-p", str(cli_project), "--format", "json")
    assert json.loads(res.stdout) == []


def test_human_output_names_file_line_and_next_step(cli_project, tmp_path):
    data = write(tmp_path / "bad.csv", "anonymous_id,event,timestamp\na,x,not-a-date\n")
    res = run("import", str(data), "-p", str(cli_project))
    assert res.returncode == 1  # every row quarantined: a pipeline must notice
    assert "1 of 1 rows were quarantined (all rows)" in res.stderr
    assert f"{data}:2 unparseable timestamp 'not-a-date'" in res.stdout
    assert "wegweiser quarantine replay" in res.stdout


def test_replay_takes_the_reading_options_of_the_import(tmp_path):
    from wegweiser import Project

    Project.init(tmp_path / "p").close()
    data = write(tmp_path / "de.csv", "user_id,event,timestamp\nk1,buy,24.12.2026\n")
    assert run("import", str(data), "-p", str(tmp_path / "p")).returncode == 1
    res = run("quarantine", "replay", "-p", str(tmp_path / "p"), "--json",
              "--timestamp-format", "%d.%m.%Y", "--epoch-unit", "s", "--decimal", ",")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["imported"] == 1


def test_quarantine_and_imports_tables_keep_reason_and_counts_at_80_columns(tmp_path):
    import os

    from wegweiser import Project

    folder = tmp_path / "exports" / "2026" / "december-from-the-shop-system"
    folder.mkdir(parents=True)
    data = write(folder / "events-2026-12-export-final.csv",
                 "anonymous_id,event,timestamp\na,view,not-a-date\nb,view,2026-12-01\n")
    with Project.init(tmp_path / "p") as project:
        project.import_events(data)
    for command, names in ((["quarantine", "list"], ("line", "reason", "source")),
                           (["imports", "list"], ("rows", "imported", "dups", "quarantined"))):
        res = subprocess.run([sys.executable, "-m", "wegweiser.cli", *command, "-p",
                              str(tmp_path / "p")], capture_output=True, text=True, timeout=120,
                             env={**os.environ, "COLUMNS": "80"})
        assert res.returncode == 0, res.stderr
        lines = res.stdout.splitlines()
        assert max(map(len, lines)) <= 80
        header = " ".join(line for line in lines if line.startswith("┃"))
        assert all(name in header for name in names), res.stdout


def test_missing_file_is_one_red_line_and_exit_1(cli_project):
    res = run("import", "nope.csv", "-p", str(cli_project))
    assert res.returncode == 1
    assert "Error: nope.csv: no such file or folder" in res.stderr
    assert "Traceback" not in res.stderr


def test_not_a_project(tmp_path):
    res = run("stats", "-p", str(tmp_path))
    assert res.returncode == 1
    assert "is not a Wegweiser project" in res.stderr
    assert "wegweiser init" in res.stderr


def test_usage_errors_exit_2(cli_project):
    assert run("stats", "-p", str(cli_project), "--format", "xml").returncode == 2
    assert run("import").returncode == 2
    res = run("import", "x.csv", "-p", str(cli_project), "--map", "user_id")
    assert res.returncode == 2
    assert "event_field=your_column" in res.stderr


def test_bad_config_is_reported_with_the_field(tmp_path):
    folder = tmp_path / "p"
    assert run("init", str(folder)).returncode == 0
    cfg = folder / "wegweiser.toml"
    cfg.write_text(cfg.read_text().replace("session_gap_minutes = 30", "session_gap_minutes = -5"))
    res = run("stats", "-p", str(folder))
    assert res.returncode == 1
    assert "windows.session_gap_minutes" in res.stderr


def test_debug_shows_traceback(tmp_path):
    res = run("--debug", "stats", "-p", str(tmp_path))
    assert "Traceback" in res.stderr


def test_version_and_help():
    assert run("--version").stdout.startswith("wegweiser ")
    assert "quarantine" in run("--help").stdout


def test_init_with_the_spark_engine_writes_the_config_without_starting_spark(tmp_path):
    from wegweiser.config import load_config

    folder = tmp_path / "big"
    res = run("init", str(folder), "--engine", "spark", "--spark-master", "spark://h:7077")
    assert res.returncode == 0, res.stderr
    engine = load_config(folder).engine
    assert (engine.kind, engine.spark_master, engine.spark_remote) == ("spark", "spark://h:7077",
                                                                      None)
    assert "# spark_remote" in (folder / "wegweiser.toml").read_text()  # comments kept
    res = run("init", str(tmp_path / "x"), "--spark-remote", "sc://h:15002")
    assert res.returncode == 2
    assert "--engine spark" in res.stderr


def test_init_names_the_project_after_its_folder(tmp_path):
    from wegweiser import Project
    from wegweiser.config import load_config

    folder = tmp_path / 'Acme "Shop" Nord'
    folder.mkdir()
    res = run("init", cwd=folder)  # the current folder, as a new user types it
    assert res.returncode == 0, res.stderr
    assert load_config(folder).name == 'Acme "Shop" Nord'
    with Project.init(tmp_path / "other", name='Given \\ "name"\x01') as project:
        assert project.config.name == 'Given \\ "name"\x01'  # escaped in the TOML


def test_imports_list_undo_and_replace(tmp_path):
    folder = tmp_path / "shop"
    assert run("init", str(folder)).returncode == 0
    data = write(tmp_path / "orders.txt",
                 " 00001 19970101  1   11.77\n 00002 19970112  1   12.00\n"
                 " 00002 19970112  5   77.00\n")
    header = write(tmp_path / "orders.csv", "customer_id;date;cds;dollars\n" + "".join(
        ";".join(line.split()) + "\n" for line in data.read_text().splitlines()))
    res = run("import", str(header), "-p", str(folder), "--json",
              "--map", "user_id=customer_id,timestamp=date,revenue=dollars")
    assert res.returncode == 1, res.stdout  # no event name: everything quarantined
    assert "3 of 3 rows were quarantined" in res.stderr
    res = run("import", str(header), "-p", str(folder), "--json", "--replace",
              "--map", "user_id=customer_id,timestamp=date,revenue=dollars,event='purchase'")
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    assert (got["imported"], got["duplicates"], got["rows"]) == (3, 0, 3)
    assert len(got["replaced"]) == 1
    # 'purchase' is no conversion event of the default wegweiser.toml: every conversion
    # figure would be 0 without a word; the import says so and names the setting
    assert got["warnings"] == [
        "none of the conversion events (order_completed, store_purchase) occurs in the data, "
        "so conversions, revenue and attribution are 0: set conversion_events in "
        'wegweiser.toml, e.g. conversion_events = ["purchase"]']
    assert res.stderr == ""  # no progress bars in a pipe
    res = run("stats", "-p", str(folder), "--format", "json")
    assert json.loads(res.stdout)["events"] == 3  # stdout stays JSON, the warning is on stderr
    assert 'warning: none of the conversion events' in res.stderr
    assert 'conversion_events = ["purchase"]' in res.stderr

    res = run("imports", "list", "-p", str(folder), "--format", "json")
    rows = json.loads(res.stdout)
    assert [r["kind"] for r in rows] == ["file", "file"]
    assert rows[1]["undone_at"] is not None
    assert rows[0]["undone_at"] is None
    res = run("imports", "undo", rows[0]["import_id"][:10], "-p", str(folder))
    assert res.returncode == 0, res.stderr
    assert "removed 3 events" in res.stdout
    res = run("stats", "-p", str(folder), "--format", "json")
    assert json.loads(res.stdout)["events"] == 0


def test_max_quarantine_share(tmp_path):
    folder = tmp_path / "shop"
    assert run("init", str(folder)).returncode == 0
    data = write(tmp_path / "e.csv", "user_id,event,timestamp\nu1,x,2026-01-01\nu2,x,never\n")
    res = run("import", str(data), "-p", str(folder), "--max-quarantine-share", "0.25")
    assert res.returncode == 1
    assert "50.0% of the rows, more than 0.25" in res.stderr
    assert "imported 1" in res.stdout


def test_import_options_on_the_command_line(tmp_path):
    folder = tmp_path / "shop"
    assert run("init", str(folder)).returncode == 0
    data = write(tmp_path / "kasse.csv", "Kunde;Zeit;Betrag\nk1;01.03.2026 10:30;1.234,50\n"
                                         "k2;02.03.2026 11:00;-5,00\n")
    res = run("import", str(data), "-p", str(folder), "--json", "--delimiter", ";",
              "--decimal", ",", "--timestamp-format", "%d.%m.%Y %H:%M",
              "--map", "user_id=Kunde,timestamp=Zeit,revenue=Betrag,event='kauf'")
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    assert (got["imported"], got["negative_revenue"]) == (2, 1)
    assert any("negative revenue" in w for w in got["warnings"])
    res = run("import", str(data), "-p", str(folder), "--epoch-unit", "minutes")
    assert res.returncode == 2
    res = run("import", str(data), "-p", str(folder), "--encoding", "nope")
    assert res.returncode == 2
    assert "not a known encoding" in res.stderr


def test_analysis_commands_come_from_the_registry(tmp_path):
    """Every registered analysis is a command with its model's options; options that decide
    what to show take effect (issue 12: --breakdown once printed the plain steps)."""
    from typer.testing import CliRunner

    from wegweiser import Project
    from wegweiser.analysis.registry import analyses
    from wegweiser.cli import app

    data = write(tmp_path / "e.csv", "user_id,event,timestamp,device\n"
                 "a,view,2026-01-01T00:00:00Z,mobile\na,buy,2026-01-01T00:05:00Z,mobile\n"
                 "b,view,2026-01-01T01:00:00Z,desktop\n")
    with Project.init(tmp_path / "p") as project:
        project.import_events(data)
    runner = CliRunner()
    names = runner.invoke(app, ["--help"]).stdout
    for name, spec in analyses().items():
        if spec.group:  # a command of its group: wegweiser predict clv
            assert spec.group in names
            listed = runner.invoke(app, [spec.group, "--help"]).stdout
            assert name.replace("_", "-") in listed
        else:
            assert name.replace("_", "-") in names
    res = runner.invoke(app, ["funnel", "-p", str(tmp_path / "p"), "--steps", "view,buy",
                              "--breakdown", "device", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert {(r["value"], r["step"], r["units"]) for r in rows} == {
        ("mobile", 1, 1), ("mobile", 2, 1), ("desktop", 1, 1), ("desktop", 2, 0)}
    res = run("funnel", "-p", str(tmp_path / "p"), "--steps", "view,buy", "--window", "90")
    assert res.returncode == 2
    assert "--window: cannot read duration '90'" in res.stderr
    assert "Unexpected" not in res.stderr


def test_no_two_commands_share_a_name():
    """Typer keeps one of two commands or groups of the same name without a word: a
    privacy group once hid the cohort analysis ``wegweiser retention``."""
    from collections import Counter

    from wegweiser.cli import app

    def names(typer_app) -> list[str]:
        found = [c.name or (c.callback.__name__ if c.callback else "")
                 for c in typer_app.registered_commands]
        found += [g.name or "" for g in typer_app.registered_groups]
        return [n.replace("_", "-") for n in found]

    top = Counter(names(app))
    assert [n for n, k in top.items() if k > 1] == []
    assert "retention" in top
    assert "privacy" in top
    for group in app.registered_groups:
        inner = Counter(names(group.typer_instance))
        assert [n for n, k in inner.items() if k > 1] == [], group.name


@pytest.mark.parametrize(
    ("command", "text"),
    [
        (["import-benchmarks"], "[[touchpoints]] in"),
        (["feedback", "sentiment"], "wegweiser[listen]"),
    ],
)
def test_help_keeps_square_brackets_that_are_no_markup(command, text):
    # Rich reads [name] as a style tag and drops it unless escaped
    from typer.testing import CliRunner

    from wegweiser.cli import app

    res = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "300"})
    assert res.exit_code == 0, res.output
    assert text in res.stdout


def test_bracketed_values_in_reasons_tables_and_errors_are_shown(cli_project, tmp_path):
    # Rich markup would swallow "[yesterday]": the reason must show the value it names
    data = write(tmp_path / "br.csv", "user_id,event,timestamp\nu1,a,[yesterday]\n"
                                      "u2,b,2026-01-01T00:00:00Z\n")
    res = run("import", str(data), "-p", str(cli_project))
    assert res.returncode == 0, res.stderr
    assert "unparseable timestamp '[yesterday]'" in res.stdout
    assert "import the file again with it and --replace" in res.stdout
    res = run("import", str(tmp_path / "[nothing].csv"), "-p", str(cli_project))
    assert res.returncode == 1
    assert "[nothing].csv: no files match" in res.stderr
