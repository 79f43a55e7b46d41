"""`hhl detect` end to end on the R fixtures, and its error messages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from hanoi_health_lake.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "surveillance"


def _r_case(series: str, case_id: str) -> pl.DataFrame:
    results = pl.read_csv(FIXTURES / f"results_{series}.csv", infer_schema_length=None)
    return results.filter(pl.col("case_id") == case_id).sort("position")


@pytest.mark.parametrize(
    ("method", "case_id", "extra"),
    [
        ("ears-c3-r", "weekly_c3r", []),
        ("farrington", "weekly_farrington", []),
        ("cusum", "weekly_cusum", ["--baseline", "52"]),
    ],
)
def test_detect_weekly_matches_r(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], method: str, case_id: str, extra: list[str]
) -> None:
    out = tmp_path / "out.csv"
    args = ["detect", "--method", method, "--input", str(FIXTURES / "series_weekly.csv")]
    assert main([*args, "--output", str(out), *extra]) == 0
    ours = pl.read_csv(out, try_parse_dates=True)
    r = _r_case("weekly", case_id)
    dates = pl.read_csv(FIXTURES / "series_weekly.csv", try_parse_dates=True)["date"]
    assert ours.columns == ["date", "observed", "expected", "upperbound", "alarm", "status"]
    assert ours["date"].to_list() == dates.gather(r["position"]).to_list()
    r_bound = r["upperbound_unsuppressed" if method == "farrington" else "upperbound"]
    np.testing.assert_allclose(ours["upperbound"].to_numpy(), r_bound.to_numpy(), atol=1e-6)
    assert ours["alarm"].to_list() == r["alarm"].to_list()
    message = capsys.readouterr().err
    assert f"{method}: {ours.height} points evaluated, {int(r['alarm'].sum())} alarms" in message
    assert "left out for lack of history" in message


def test_detect_undated_with_options(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    code = main([
        "detect", "--method", "noufaily", "--input", str(FIXTURES / "series_undated.csv"),
        "--output", str(out), "--frequency", "52", "--b", "3", "--from", "200",
    ])  # fmt: skip
    assert code == 0
    ours = pl.read_csv(out)
    r = _r_case("undated", "undated_noufaily").filter(pl.col("position") >= 200)
    assert ours["index"].to_list() == r["position"].to_list()
    np.testing.assert_allclose(ours["upperbound"], r["upperbound_unsuppressed"], atol=1e-6)
    assert ours["alarm"].to_list() == r["alarm"].to_list()


def _run_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], csv: str, *extra: str) -> str:
    path = tmp_path / "in.csv"
    path.write_text(csv)
    code = main([
        "detect", "--method", "ears-c1", "--input", str(path),
        "--output", str(tmp_path / "out.csv"), *extra,
    ])  # fmt: skip
    assert code == 2
    assert not (tmp_path / "out.csv").exists()
    return capsys.readouterr().err


@pytest.mark.parametrize(
    ("csv", "extra", "message"),
    [
        ("date,cases\n2024-01-01,1\n", [], "has no column 'observed'; columns: date, cases"),
        ("day,observed\n2024-01-01,1\n", ["--date-column", "date"], "has no column 'date'"),
        ("date,observed\n2024-01-02,1\n2024-01-01,2\n", [], "dates are not sorted"),
        ("date,observed\n2024-01-01,1\n2024-01-01,2\n", [], "duplicate date 2024-01-01"),
        ("date,observed\n2024-01-01,1\n2024-01-02,-3\n", [], "point 2: count '-3' is negative"),
        ("observed\n1\n", ["--k", "2"], "--k does not apply to ears-c1 (it takes --baseline"),
        ("observed\n1\n", ["--min-sigma", "-1"], "min_sigma must be >= 0"),
    ],
)
def test_detect_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], csv: str, extra: list[str], message: str
) -> None:
    err = _run_error(tmp_path, capsys, csv, *extra)
    assert err.startswith("hhl detect: error: ")
    assert message in err
