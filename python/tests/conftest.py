"""Shared fixtures: the CLI built next to the module, a copy of the speech config, and a small
simulated scenario.

CTest sets VIGIL_CLI (the built `vigil`) and PYTHONPATH (the built package); run by hand as
`PYTHONPATH=build/python VIGIL_CLI=build/vigil /usr/bin/python3 -m pytest python/tests`.
"""

import json
import os
import pathlib
import shutil
import subprocess

import pandas as pd
import pytest

import vigil

SOURCE_DIR = pathlib.Path(os.environ.get("VIGIL_SOURCE_DIR", pathlib.Path(__file__).parents[2]))


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("VIGIL_CLI") or shutil.which("vigil")
    if not path:
        pytest.skip("set VIGIL_CLI to the built vigil binary")
    return path


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    """A folder holding a copy of examples/speech/vigil.yaml (its store path is relative)."""
    d = tmp_path_factory.mktemp("vigil")
    shutil.copy(SOURCE_DIR / "examples" / "speech" / "vigil.yaml", d / "vigil.yaml")
    return d


@pytest.fixture(scope="session")
def config(workdir):
    return vigil.Config.load(str(workdir / "vigil.yaml"))


@pytest.fixture(scope="session")
def scenario(cli, workdir):
    """The first five days of the demo scenario at 20 000 turns a day (100 k events, a few
    seconds of work), which page four incidents with the speech config. (The `smoke` scenario's
    two days are too short for the detectors' warm-up and seasonal baseline to page anything.)"""
    out = workdir / "sim"
    subprocess.run([cli, "simulate", "--scenario", "demo", "--days", "5", "--events-per-day",
                    "20000", "--seed", "1", "--out", str(out)], check=True, capture_output=True)
    return out / "events.jsonl"


@pytest.fixture(scope="session")
def parts(scenario):
    """The scenario's events split into 8 files of consecutive lines."""
    lines = scenario.read_text().splitlines(keepends=True)
    paths = []
    for i in range(8):
        p = scenario.parent / f"part{i}.jsonl"
        p.write_text("".join(lines[i * len(lines) // 8:(i + 1) * len(lines) // 8]))
        paths.append(str(p))
    return paths


@pytest.fixture(scope="session")
def frame(scenario):
    """The first 20 000 events as a pandas DataFrame, columns named by input path."""
    with open(scenario) as f:
        rows = [json.loads(next(f)) for _ in range(20000)]
    return pd.json_normalize(rows)


@pytest.fixture(scope="session")
def cube(config, scenario):
    c = vigil.Cube(config)
    c.ingest_files([str(scenario)], threads=1)
    return c


@pytest.fixture(scope="session")
def same_queries():
    return _assert_same_queries


def _assert_same_queries(a, b, config):
    """The same answers from two cubes, exactly: every metric's series on all traffic, a count,
    a rate and a quantile on each value of each dimension, and the table of leaf cells."""
    queries = [(m, None) for m in config.metrics]
    queries += [(m, {d: v}) for d in config.dimensions for v in a.dimension_values(d)
                for m in ("volume", "failure_rate", "e2e_p95")]
    for metric, s in queries:
        pd.testing.assert_frame_equal(a.series(metric, s), b.series(metric, s), check_exact=True,
                                      obj=f"{metric} on {s}")
    key = list(config.dimensions)
    cells = [c.cells().sort_values(key).reset_index(drop=True) for c in (a, b)]
    pd.testing.assert_frame_equal(cells[0], cells[1], check_exact=True)
