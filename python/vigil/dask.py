"""vigil on a Dask cluster: partial cubes built on the workers, merged in a tree.

The cube is exact and mergeable, so the work splits the way a word count does::

    files / partitions ──► one partial cube per part (on the workers, as bytes)
                       ──► merged k at a time, in a tree (the last merge on the client
                           for build_cube, on a worker for run)
                       ──► detect (one task) ──► group (here) ──► explain (spread over workers)

Only plain values cross process boundaries: the Config (it pickles as its YAML text) and cubes
as Cube.to_bytes(). The result equals what one process computes: build_cube gives a cube
equivalent to ingesting every part into one cube, and run gives the incidents vigil.run gives.

Files must be readable by the workers under the same paths (a shared file system or object
store mount). The same pattern runs on other engines: see docs/python.md for Spark.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import dask
import dask.dataframe as dd
from distributed import Client, get_client

from vigil._vigil import Config, Cube, DataError, detect, explain, group, link_related

__all__ = ["build_cube", "run"]

_KEEP_BAD_LINES = 10  # first bad lines kept in the summed stats


def _config(config):
    return config if isinstance(config, Config) else Config.load(config)


def _paths(data):
    return [os.fspath(p) for p in ([data] if isinstance(data, (str, os.PathLike)) else data)]


def _empty_stats():
    return {"parts": 0, "lines": 0, "events": 0, "bad_lines": 0, "first_bad_lines": [],
            "warnings": [], "no_events": []}


def _part_from_files(config, paths, threads):
    """A partial cube of some files: {"cube": bytes or None, "stats": dict}."""
    stats = _empty_stats()
    stats["parts"] = 1
    cube = Cube(config)
    try:
        s = cube.ingest_files(paths, threads=threads)
    except DataError as e:
        # A part without events is not an error while another part has some (as one
        # `vigil ingest` of several files); the driver decides once every part is in.
        if not str(e).startswith("no events ingested"):
            raise
        stats["no_events"].append(str(e))
        return {"cube": None, "stats": stats}
    for key in ("lines", "events", "bad_lines", "first_bad_lines", "warnings"):
        stats[key] = s[key]
    return {"cube": cube.to_bytes(), "stats": stats}


def _part_from_frame(config, frame, allow_missing):
    """A partial cube of one pandas partition."""
    stats = _empty_stats()
    stats["parts"] = 1
    cube = Cube(config)
    s = cube.ingest_frame(frame, allow_missing=allow_missing)
    stats["lines"], stats["events"], stats["bad_lines"] = s["rows"], s["events"], s["bad_rows"]
    stats["first_bad_lines"] = [{"row": b["row"], "reason": b["reason"]} for b in s["first_bad_rows"]]
    return {"cube": cube.to_bytes() if s["events"] else None, "stats": stats}


def _merge_in_memory(config, parts, threads=1):
    """Merges partial results, in the given order: (a Cube or None when no part has events,
    the summed stats). Deserializes on `threads` threads (from_bytes releases the GIL)."""
    stats = _empty_stats()
    for part in parts:
        for key in ("parts", "lines", "events", "bad_lines"):
            stats[key] += part["stats"][key]
        for key in ("first_bad_lines", "warnings", "no_events"):
            stats[key] += part["stats"][key]
    stats["first_bad_lines"] = stats["first_bad_lines"][:_KEEP_BAD_LINES]
    data = [part["cube"] for part in parts if part["cube"] is not None]
    with ThreadPoolExecutor(max(1, min(threads, len(data)))) as pool:
        cubes = list(pool.map(lambda b: Cube.from_bytes(config, b), data))
    if not cubes:
        return None, stats
    merged = cubes[0]
    for cube in cubes[1:]:
        merged.merge(cube)
    return merged, stats


def _merge_parts(config, *parts):
    """A merge task: partial results in, one partial result out."""
    merged, stats = _merge_in_memory(config, parts)
    return {"cube": merged.to_bytes() if merged is not None else None, "stats": stats}


def _levels(config, data, split_every, threads, allow_missing):
    """The delayed graph: one task per part, then tasks merging `split_every` results at a time
    until at most `split_every` are left (the caller does the last merge)."""
    if split_every < 2:
        raise ValueError("split_every must be at least 2")
    merge = dask.delayed(_merge_parts, pure=True)
    if isinstance(data, dd.DataFrame):
        part = dask.delayed(_part_from_frame, pure=True)
        level = [part(config, p, allow_missing) for p in data.to_delayed()]
    else:
        paths = _paths(data)
        if not paths:
            raise DataError("build_cube: no input files")
        part = dask.delayed(_part_from_files, pure=True)
        level = [part(config, [p], threads) for p in paths]
    while len(level) > split_every:
        level = [merge(config, *level[i:i + split_every]) for i in range(0, len(level), split_every)]
    return level


def _check(stats, has_cube):
    """Raises DataError when no part held any event; else the stats without bookkeeping."""
    if not has_cube:
        why = stats["no_events"][0] if stats["no_events"] else "no events ingested: the input is empty"
        raise DataError(why)
    stats = dict(stats)
    del stats["no_events"]
    return stats


def _check_part(result):
    return _check(result["stats"], result["cube"] is not None)


def build_cube(config, data, client: Client | None = None, *, split_every: int = 8,
               threads: int = 1, allow_missing: bool = False, return_stats: bool = False):
    """Builds the cube of `data` on a Dask cluster and returns it (a vigil.Cube, here).

    `config`: a vigil.Config or the path of a config file. `data`: event files (a path or a
    list of paths, JSON Lines or CSV, plain, .gz or .zst; one task per file) or a
    dask.dataframe.DataFrame with the columns Cube.ingest_frame reads (one task per partition).
    Partial cubes travel as bytes and are merged `split_every` at a time, in input order, on
    the workers until at most `split_every` are left; those are merged here, in memory.
    `client`: the distributed Client (default: the current one). `threads`: parser threads per
    file task (1 suits one task per worker thread). With `return_stats`, returns (cube, stats):
    parts, lines, events, bad_lines, first_bad_lines (file and line, or partition row) and
    warnings summed over the parts.

    Raises what the parts raise (NotFoundError, DataError for a missing column or a wrong
    dtype, ...) and DataError when no part holds any event; workers are not harmed by either.
    """
    config = _config(config)
    client = client or get_client()
    top = client.gather(client.compute(_levels(config, data, split_every, threads, allow_missing)))
    # The last merge happens here, in memory: the caller wants a Cube, and merging the last
    # few parts here costs less than merging them on a worker and reading its bytes back.
    cube, stats = _merge_in_memory(config, top, threads=len(top))
    stats = _check(stats, cube is not None)
    return (cube, stats) if return_stats else cube


def _detect_part(config, merged, start, end):
    return detect(Cube.from_bytes(config, merged["cube"]), start=start, end=end)


def _explain_part(config, merged, groups, files):
    return explain(Cube.from_bytes(config, merged["cube"]), groups, files=files)


def run(config, data, client: Client | None = None, *, start=None, end=None,
        split_every: int = 8, threads: int = 1, allow_missing: bool = False,
        explain_tasks: int | None = None):
    """Ingest → detect → explain on a Dask cluster: the incidents of `data` as DESIGN §5 dicts,
    equal to vigil.run(config, paths) in one process.

    The cube is built as in build_cube and stays on the cluster. Detection runs as one task on
    the merged cube: its false-discovery control ranks every monitored series of a round
    together, so splitting the series over tasks would change its answer. Anomalies are grouped
    here and the incidents explained in `explain_tasks` tasks (default: one per worker), each
    reading the merged cube once and, for files, the files once (examples and error templates).
    `start`/`end` select incidents by onset as vigil.run does.
    """
    config = _config(config)
    client = client or get_client()
    level = _levels(config, data, split_every, threads, allow_missing)
    merged = client.compute(dask.delayed(_merge_parts, pure=True)(config, *level))
    # Surface ingest errors (and "no events") before detection starts.
    client.submit(_check_part, merged, pure=False).result()
    # All history is grouped, then incidents are selected by onset, as vigil.run does.
    anomalies = client.submit(_detect_part, config, merged, None, None, pure=False).result()
    groups = group(anomalies, start=start, end=end)
    if not groups:
        return []
    tasks = explain_tasks or max(1, len(client.scheduler_info()["workers"]))
    tasks = min(tasks, len(groups))
    chunks = [groups[i::tasks] for i in range(tasks)]
    # With files, each task also reads them once for its incidents' examples and error
    # templates (as `vigil run` does); a DataFrame has no files to read them from.
    files = None if isinstance(data, dd.DataFrame) else _paths(data)
    explained = client.gather(client.map(_explain_part, [config] * tasks, [merged] * tasks, chunks,
                                         [files] * tasks, pure=False))
    # Back into the order of the groups (by start, then id), as vigil.run returns them.
    out = [None] * len(groups)
    for i, docs in enumerate(explained):
        out[i::tasks] = docs
    # Incidents in different tasks may look like one cause: link them over the whole list.
    return link_related(out)
