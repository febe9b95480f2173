"""The CLI and the Python module give the same answers on the same data."""

import json
import shutil
import subprocess

import pandas as pd
import pytest

import vigil
from conftest import SOURCE_DIR


@pytest.fixture(scope="module")
def cli_incidents(cli, workdir, scenario):
    """`vigil ingest` and `vigil detect --json` on the scenario (the store is the config's)."""
    cfg = str(workdir / "vigil.yaml")
    subprocess.run([cli, "ingest", "--config", cfg, "--quiet", str(scenario)], check=True)
    out = workdir / "cli_incidents.json"
    subprocess.run([cli, "detect", "--config", cfg, "--quiet", "--json", str(out)], check=True,
                   capture_output=True)
    return json.loads(out.read_text())["incidents"]


def test_find_incidents_gives_the_cli_detect_incidents(cli_incidents, cube):
    from_cli = cli_incidents
    from_python = vigil.find_incidents(cube)
    assert len(from_cli) >= 3
    key = lambda i: (i["id"], i["metric"], i["slice"], i["start"])  # noqa: E731
    assert [key(i) for i in from_python] == [key(i) for i in from_cli]
    # The whole documents too: the same engine code writes both.
    assert from_python == from_cli


def test_run_gives_the_cli_run_incidents(cli, scenario, tmp_path):
    # `vigil run` with its own store; its documents add the lifecycle (status, routed owner).
    shutil.copy(SOURCE_DIR / "examples" / "speech" / "vigil.yaml", tmp_path / "vigil.yaml")
    cfg = str(tmp_path / "vigil.yaml")
    out = tmp_path / "run.json"
    subprocess.run([cli, "run", "--config", cfg, "--quiet", "--json", str(out), str(scenario)],
                   check=True, capture_output=True)
    lifecycle = ("status", "owner")
    from_cli = [{k: v for k, v in i.items() if k not in lifecycle}
                for i in json.loads(out.read_text())["incidents"]]
    from_python = [{k: v for k, v in i.items() if k not in lifecycle}
                   for i in vigil.run(cfg, [str(scenario)])]
    assert len(from_cli) >= 3 and any(i["examples"] for i in from_python)
    assert from_python == from_cli


def test_detect_group_explain_is_find_incidents(cube, scenario):
    anomalies = vigil.detect(cube)
    groups = vigil.group(anomalies)
    # Explained one by one, incidents cannot name each other; as one list they are linked.
    assert vigil.link_related([vigil.explain(cube, g) for g in groups]) == vigil.find_incidents(cube)
    assert vigil.explain(cube, groups) == vigil.find_incidents(cube)
    assert sum(1 + len(g["related"]) for g in groups) == len(anomalies)
    # With the events, examples and error templates too, in one pass for the list.
    files = [str(scenario)]
    assert vigil.explain(cube, groups, files=files) == vigil.find_incidents(cube, files=files)


def test_backtest_gives_the_cli_backtest_report(cli, cli_incidents, workdir, scenario, cube):
    cfg = str(workdir / "vigil.yaml")
    truth = scenario.parent / "truth.json"
    out = workdir / "backtest.json"
    subprocess.run([cli, "backtest", "--config", cfg, "--truth", str(truth), "--json", str(out),
                    str(scenario)], check=True, capture_output=True)
    from_cli = json.loads(out.read_text())
    from_python = vigil.backtest(cube, truth, files=[str(scenario)])
    assert from_cli["truth"] and from_cli["recall"] > 0
    assert from_python == from_cli


def test_explain_one_anomaly(cube):
    anomaly = vigil.detect(cube)[0]
    doc = vigil.explain(cube, anomaly)
    assert doc["id"] == anomaly["id"]
    assert doc["metric"] == anomaly["metric"] and doc["slice"] == anomaly["slice"]
    assert doc["root_causes"] and doc["severity"] in ("minor", "major", "critical")
    assert doc["anomalies"][0]["start"] == anomaly["start"]


def test_series_matches_cli_query(cli, cli_incidents, workdir, cube):
    cfg = str(workdir / "vigil.yaml")
    done = subprocess.run([cli, "query", "--config", cfg, "--metric", "e2e_p95", "--slice",
                           "platform=watchOS", "--granularity", "1h", "--csv"],
                          capture_output=True, text=True, check=True)
    rows = done.stdout.strip().splitlines()[1:]
    df = cube.series("e2e_p95", "platform=watchOS", granularity="1h")
    assert len(rows) == len(df)
    for row, (t, value) in zip(rows, df["value"].items()):
        when, text = row.split(",")
        assert pd.Timestamp(when) == t
        assert (text == "" and pd.isna(value)) or float(text) == float(f"{value:.10g}")


def test_frame_gives_the_file_cube(config, scenario, frame, tmp_path, same_queries):
    # The same events through the file reader and as a DataFrame.
    head = tmp_path / "head.jsonl"
    with open(scenario) as f:
        head.write_text("".join(next(f) for _ in range(len(frame))))
    from_file = vigil.Cube(config)
    from_file.ingest_files([str(head)], threads=1)
    from_frame = vigil.Cube(config)
    stats = from_frame.ingest_frame(frame, allow_missing=True)
    assert stats["events"] == len(frame) and stats["bad_rows"] == 0
    assert from_frame.equivalent(from_file)
    assert from_frame.to_bytes() == from_file.to_bytes()
    same_queries(from_frame, from_file, config)


def test_frame_dtypes_spelled_as_the_json_reader(config, tmp_path):
    # Datetimes, integer labels and boolean labels mean what the JSON text would.
    rows = [{"ts": "2026-03-02T00:00:01Z", "platform": "iOS", "os_version": "17",
             "latency_ms.e2e": 100.0, "rephrased": True, "outcome": "ok"},
            {"ts": "2026-03-02T00:00:02Z", "platform": "iOS", "os_version": "17",
             "latency_ms.e2e": 200.0, "rephrased": False, "outcome": "ok"}]
    text = "\n".join(json.dumps({"ts": r["ts"], "platform": r["platform"], "os_version": 17,
                                 "latency_ms": {"e2e": r["latency_ms.e2e"]},
                                 "rephrased": r["rephrased"], "outcome": r["outcome"]})
                     for r in rows)
    a = vigil.Cube(config)
    df = pd.DataFrame(rows)
    df["ts"] = pd.to_datetime(df["ts"])
    df["os_version"] = [17, 17]
    a.ingest_frame(df, allow_missing=True)
    path = tmp_path / "two.jsonl"
    path.write_text(text)
    b = vigil.Cube(config)
    b.ingest_files([str(path)])
    assert a.equivalent(b)
    assert a.dimension_values("os_version") == ["17"]
