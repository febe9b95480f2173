"""The module's API: configs, cubes, queries, serialization and merges."""

import pickle
import random
import threading

import numpy as np
import pandas as pd
import pytest

import vigil


def test_config(config):
    assert config.granularity == "5m" and config.granularity_ms == 300_000
    assert config.dimensions[0] == "platform" and "e2e_p95" in config.metrics
    assert {"role": "measure", "index": 5, "name": "e2e", "path": "latency_ms.e2e"} in config.fields
    again = pickle.loads(pickle.dumps(config))
    assert again.fingerprint == config.fingerprint and again.path == config.path
    parsed = vigil.Config.parse(config.text)
    assert parsed.fingerprint == config.fingerprint


def test_paths_as_text_or_pathlib(workdir, scenario):
    cube = vigil.Cube(str(workdir / "vigil.yaml"))
    assert cube.event_count == 0 and cube.start is None
    cube = vigil.Cube(workdir / "vigil.yaml")
    assert cube.ingest_files(scenario)["files"] == 1
    assert vigil.Config.load(workdir / "vigil.yaml").fingerprint == cube.config.fingerprint


def test_ingest_files_stats(config, scenario):
    cube = vigil.Cube(config)
    stats = cube.ingest_files([str(scenario)])
    assert stats["events"] == stats["lines"] == cube.event_count > 90_000
    assert stats["bad_lines"] == 0 and stats["files"] == 1
    assert cube.start == pd.Timestamp("2026-03-02", tz="UTC")


def test_series(cube):
    df = cube.series("e2e_p95", {"platform": "watchOS"}, start="2026-03-03",
                     end="2026-03-04", granularity="1h")
    assert list(df.columns) == ["value", "events", "support", "sampling_error"]
    assert len(df) == 24 and df.index.name == "time" and str(df.index.tz) == "UTC"
    assert (df["support"] <= df["events"]).all() and df["value"].notna().all()
    # Slices as text or dicts, times as text, ms or datetimes: one meaning.
    same = cube.series("e2e_p95", "platform=watchOS", start=pd.Timestamp("2026-03-03"),
                       end=1772582400000, granularity=pd.Timedelta(hours=1))
    pd.testing.assert_frame_equal(df, same)
    # A day's volume is the sum of its hours.
    day = cube.series("volume", None, "2026-03-03", "2026-03-04", "1d")
    hours = cube.series("volume", None, "2026-03-03", "2026-03-04", "1h")
    assert day["value"].iloc[0] == hours["value"].sum() == hours["events"].sum()


def test_cells_and_totals(cube, config):
    cells = cube.cells({"platform": "watchOS"}, "2026-03-03", "2026-03-04")
    assert list(cells.columns[:len(config.dimensions)]) == config.dimensions
    assert (cells["platform"] == "watchOS").all()
    totals = cube.totals({"platform": "watchOS"}, "2026-03-03", "2026-03-04")
    assert cells["events"].sum() == totals["volume"]
    assert set(totals) == set(config.metrics)


def test_bytes_round_trip(cube, config, same_queries):
    data = cube.to_bytes()
    back = vigil.Cube.from_bytes(config, data)
    assert back.equivalent(cube) and back.to_bytes() == data
    assert pickle.loads(pickle.dumps(cube)).equivalent(cube)
    assert vigil.Cube.from_bytes(config, bytearray(data)).equivalent(cube)
    assert vigil.Cube.from_bytes(config, memoryview(data)).equivalent(cube)


def test_merge_in_any_order_is_exact(config, frame, same_queries):
    whole = vigil.Cube(config)
    whole.ingest_frame(frame, allow_missing=True)
    parts = []
    for rows in np.array_split(np.arange(len(frame)), 6):
        part = vigil.Cube(config)
        part.ingest_frame(frame.iloc[rows], allow_missing=True)
        parts.append(part)
    random.Random(7).shuffle(parts)
    merged = vigil.Cube(config)
    for part in parts:
        merged.merge(part)
    assert merged.event_count == whole.event_count
    # Out of order, dictionary codes and cell order differ, so the bytes do; the contents not.
    assert merged.equivalent(whole)
    same_queries(merged, whole, config)


def test_merge_into_itself_is_refused(config):
    cube = vigil.Cube(config)
    with pytest.raises(vigil.InvalidArgumentError, match="into itself"):
        cube.merge(cube)


def test_threads_share_cubes(config, frame):
    # Ingest and merge release the GIL: cubes built on threads and merged across them.
    parts = [vigil.Cube(config) for _ in range(4)]
    chunks = np.array_split(np.arange(len(frame)), 4)
    threads = [threading.Thread(target=p.ingest_frame, args=(frame.iloc[c],),
                                kwargs={"allow_missing": True}) for p, c in zip(parts, chunks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = vigil.Cube(config)
    mergers = [threading.Thread(target=total.merge, args=(p,)) for p in parts]
    for t in mergers:
        t.start()
    for t in mergers:
        t.join()
    assert total.event_count == len(frame)


def test_anomaly_dicts_round_trip(cube):
    anomalies = vigil.detect(cube)
    assert anomalies and all(a["id"].startswith("inc-") for a in anomalies)
    first = anomalies[0]
    assert set(first) >= {"metric", "slice", "direction", "start", "end", "baseline", "observed",
                          "confidence", "granularity"}
    late = vigil.detect(cube, start=first["start"])
    assert late == [a for a in anomalies if a["start"] >= first["start"]]
    assert vigil.detect(cube, end="2026-03-02") == []


def test_docstrings():
    for name in vigil.__all__:
        obj = getattr(vigil, name)
        if callable(obj):
            assert obj.__doc__, name
    for method in ("ingest_files", "ingest_frame", "merge", "to_bytes", "from_bytes", "series",
                   "cells", "equivalent"):
        assert getattr(vigil.Cube, method).__doc__, method
