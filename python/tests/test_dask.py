"""vigil.dask on a LocalCluster of two worker processes: the same cube and incidents as one
process, and bad input that fails its task without harming the workers."""

import dask.dataframe as dd
import pytest
from distributed import Client, LocalCluster

import vigil
import vigil.dask


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                      dashboard_address=None) as cluster, Client(cluster) as c:
        yield c


def workers(client):
    return set(client.scheduler_info()["workers"])


def test_files_give_the_single_process_cube(client, config, parts, cube, same_queries):
    assert len(workers(client)) == 2
    built, stats = vigil.dask.build_cube(config, parts, client, return_stats=True)
    assert stats["parts"] == 8 and stats["events"] == cube.event_count
    # The same cells with the same counts, bins and sketches, so every query answers the same.
    # (Not compared as bytes: a measure's compensated sum may differ in its last bit once partial
    # cubes went through bytes; see docs/python.md.)
    assert built.equivalent(cube)
    same_queries(built, cube, config)
    # Another tree shape, the same cube.
    assert vigil.dask.build_cube(config, parts, client, split_every=2).equivalent(cube)


def test_dataframe_partitions(client, config, frame, same_queries):
    ddf = dd.from_pandas(frame, npartitions=8)
    built = vigil.dask.build_cube(config, ddf, client, allow_missing=True)
    local = vigil.Cube(config)
    local.ingest_frame(frame, allow_missing=True)
    assert built.equivalent(local)
    same_queries(built, local, config)


def test_run_gives_the_single_process_incidents(client, workdir, parts, scenario):
    cfg = str(workdir / "vigil.yaml")
    expected = vigil.run(cfg, [str(scenario)])
    assert len(expected) >= 3
    assert vigil.dask.run(cfg, parts, client) == expected
    # From a start: the same incidents as the whole run from there (none split at the start),
    # linked among themselves, as vigil.run with that start gives them.
    start = expected[1]["start"]
    later = vigil.dask.run(cfg, parts, client, start=start)
    assert later == vigil.run(cfg, [str(scenario)], start=start)
    assert [i["id"] for i in later] == [i["id"] for i in expected if i["start"] >= start]


def test_bad_input_fails_the_task_not_the_worker(client, config, frame, tmp_path):
    before = workers(client)
    ddf = dd.from_pandas(frame.drop(columns=["platform"]), npartitions=4)
    with pytest.raises(vigil.DataError, match="no column 'platform'"):
        vigil.dask.build_cube(config, ddf, client, allow_missing=False)
    wrong = frame.assign(**{"latency_ms.e2e": "slow"})
    with pytest.raises(vigil.DataError, match="expected numbers"):
        vigil.dask.build_cube(config, dd.from_pandas(wrong, npartitions=2), client,
                              allow_missing=True)
    with pytest.raises(vigil.NotFoundError, match="missing.jsonl"):
        vigil.dask.build_cube(config, [str(tmp_path / "missing.jsonl")], client)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(vigil.DataError, match="no events ingested"):
        vigil.dask.build_cube(config, [str(empty)], client)
    data = vigil.Cube(config).to_bytes()
    # (A lambda: cloudpickle sends it by value; the test module is not importable on workers.)
    future = client.submit(lambda c, b: vigil.Cube.from_bytes(c, b).event_count, config,
                           data[:-1] + b"\xff" + data[:3])
    with pytest.raises(vigil.CorruptionError):
        future.result()
    assert workers(client) == before
    # The same workers still work.
    small = dd.from_pandas(frame.head(1000), npartitions=2)
    assert vigil.dask.build_cube(config, small, client, allow_missing=True).event_count == 1000
    assert workers(client) == before
