"""Bad input gives a clear vigil.Error with the CLI's message, never a crash."""

import pickle
import random
import subprocess

import numpy as np
import pandas as pd
import pytest

import vigil


def cli_message(cli, *args, cwd=None):
    done = subprocess.run([cli, *args], capture_output=True, text=True, cwd=cwd)
    assert done.returncode != 0
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("vigil: ")
    return line[len("vigil: "):]


def test_config_errors_carry_the_cli_message(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("input:\n  time: ts\n  dimensionz: [platform]\n")
    with pytest.raises(vigil.ConfigError) as e:
        vigil.Config.load(str(bad))
    assert str(e.value) == cli_message(cli, "ingest", "--config", str(bad), "x.jsonl")
    assert "dimensionz" in str(e.value) and e.value.code == "config"
    assert isinstance(e.value, vigil.Error) and isinstance(e.value, ValueError)

    missing = str(tmp_path / "nope.yaml")
    with pytest.raises(vigil.NotFoundError) as e:
        vigil.Config.load(missing)
    assert str(e.value) == cli_message(cli, "ingest", "--config", missing, "x.jsonl")


def test_ingest_errors_carry_the_cli_message(cli, workdir, config, tmp_path):
    cfg = str(workdir / "vigil.yaml")
    missing = str(tmp_path / "missing.jsonl")
    with pytest.raises(vigil.NotFoundError) as e:
        vigil.Cube(config).ingest_files([missing])
    assert str(e.value) == cli_message(cli, "ingest", "--config", cfg, missing)

    junk = tmp_path / "junk.jsonl"
    junk.write_text('{"ts": "yesterday"}\n{"platform": "iOS"}\n')
    cube = vigil.Cube(config)
    with pytest.raises(vigil.DataError) as e:
        cube.ingest_files([str(junk)])
    assert str(e.value) == cli_message(cli, "ingest", "--config", cfg, str(junk))
    assert cube.event_count == 0


def test_query_errors(cube):
    with pytest.raises(vigil.NotFoundError, match="did you mean 'e2e_p95'"):
        cube.series("e2e_p9")
    with pytest.raises(vigil.NotFoundError, match="platfrom"):
        cube.series("volume", {"platfrom": "iOS"})
    with pytest.raises(vigil.InvalidArgumentError, match="granularity"):
        cube.series("volume", granularity="7m")
    with pytest.raises(vigil.InvalidArgumentError, match="start"):
        cube.series("volume", start="not a time")
    with pytest.raises(vigil.InvalidArgumentError, match="slice"):
        cube.series("volume", slice=42)
    with pytest.raises(vigil.InvalidArgumentError, match="missing key 'metric'"):
        vigil.explain(cube, {"slice": {}, "start": "2026-03-03T00:00:00Z"})


def small_frame(n=200):
    rng = np.random.default_rng(1)
    return pd.DataFrame({
        "ts": pd.date_range("2026-03-02", periods=n, freq="37s", tz="UTC"),
        "platform": rng.choice(["iOS", "watchOS"], n),
        "locale": rng.choice(["en-US", "de-DE"], n),
        "latency_ms.e2e": rng.gamma(4, 200, n),
        "rephrased": rng.random(n) < 0.1,
        "outcome": rng.choice(["ok", "error"], n, p=[0.97, 0.03]),
    })


def test_missing_column(config, frame):
    df = frame.head(100).drop(columns=["platform"]).assign(error_code=None, error_message=None)
    with pytest.raises(vigil.DataError, match=r"the frame has no column 'platform' \(dimension "
                                              r"platform\); columns are named by"):
        vigil.Cube(config).ingest_frame(df)
    with pytest.raises(vigil.DataError, match="no column 'ts' .the time field."):
        vigil.Cube(config).ingest_frame(df.drop(columns=["ts"]), allow_missing=True)
    cube = vigil.Cube(config)
    assert cube.ingest_frame(df, allow_missing=True)["events"] == len(df)
    assert cube.dimension_values("platform") == [""]


@pytest.mark.parametrize("column, values, message", [
    ("platform", 1.5, r"column 'platform' \(dimension platform\) holds floating-point"),
    ("latency_ms.e2e", "fast", r"column 'latency_ms.e2e' \(measure e2e\) holds string values "
                               r"such as 'fast'; expected numbers"),
    ("latency_ms.e2e", True, "holds booleans; expected numbers"),
    ("rephrased", "yes", r"column 'rephrased' \(flag rephrased\) holds string"),
    ("rephrased", 2, "holds 2.0; expected booleans or 0/1"),
    ("ts", True, "holds booleans; expected times"),
    ("ts", 1.5j, "holds complex values"),
    ("outcome", pd.Timestamp("2026-03-02"), "holds times; expected text"),
])
def test_wrong_dtypes(config, column, values, message):
    df = small_frame()
    df[column] = values
    cube = vigil.Cube(config)
    with pytest.raises(vigil.DataError, match=message):
        cube.ingest_frame(df, allow_missing=True)
    assert cube.event_count == 0


def test_not_a_frame(config):
    with pytest.raises(vigil.DataError, match="expected a pandas DataFrame"):
        vigil.Cube(config).ingest_frame({"ts": [1]})


def test_bad_rows_are_counted_and_skipped(config):
    df = small_frame(10)
    df["ts"] = df["ts"].astype(object)
    df.loc[3, "ts"] = None
    df["ts"] = [str(t) if i != 5 else "soon" for i, t in enumerate(df["ts"])]
    df.loc[3, "ts"] = None
    df.loc[7, "latency_ms.e2e"] = np.inf
    stats = vigil.Cube(config).ingest_frame(df, allow_missing=True)
    assert stats["rows"] == 10 and stats["events"] == 7 and stats["bad_rows"] == 3
    reasons = {b["row"]: b["reason"] for b in stats["first_bad_rows"]}
    assert reasons[3] == "field 'ts': missing timestamp"
    assert reasons[5].startswith("field 'ts': ")
    assert reasons[7] == "field 'latency_ms.e2e': number out of range"
    df["ts"] = None
    with pytest.raises(vigil.DataError, match="every one of the 10 rows was bad"):
        vigil.Cube(config).ingest_frame(df, allow_missing=True)


def test_corrupted_bytes(config, workdir):
    cube = vigil.Cube(config)
    cube.ingest_frame(small_frame(), allow_missing=True)
    data = cube.to_bytes()
    with pytest.raises(vigil.CorruptionError, match="not a vigil cube"):
        vigil.Cube.from_bytes(config, b"PK\x03\x04" + data[4:])
    with pytest.raises(vigil.CorruptionError):
        vigil.Cube.from_bytes(config, b"")
    # Every truncation is detected.
    for end in range(len(data)):
        with pytest.raises(vigil.CorruptionError):
            vigil.Cube.from_bytes(config, data[:end])
    # Damaged bytes never crash: an error, or a cube that still answers queries.
    rng = random.Random(3)
    for _ in range(300):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        try:
            back = vigil.Cube.from_bytes(config, bytes(damaged))
        except vigil.Error:
            continue
        back.series("e2e_p95")
    # A cube of another configuration is refused.
    other = vigil.Config.parse(config.text.replace("granularity: 5m", "granularity: 1m"))
    with pytest.raises(vigil.InvalidArgumentError, match="different configuration"):
        vigil.Cube.from_bytes(other, data)
    with pytest.raises(vigil.InvalidArgumentError, match="different configurations"):
        vigil.Cube(other).merge(cube)


def test_errors_pickle():
    for err in (vigil.DataError("x"), vigil.CorruptionError("y"), vigil.ConfigError("z")):
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is type(err) and str(back) == str(err)
    assert issubclass(vigil.CorruptionError, vigil.DataError)
