"""Cube build from Python: one process against vigil.dask on a LocalCluster of 1 and 2 worker
processes, and the cost of merging partial cubes on its own.

Usage: python_dask_bench.py EVENTS.jsonl [--parts 8] [--repeat 3] [--json OUT]
                            [--dimensions platform,locale,... --granularity 1h]

The events file is first cut into --parts files of consecutive lines (not timed: a cluster
reads many files, not one), next to it. Figures are the best of --repeat runs, wall time, with
the cluster already started (its start-up is printed apart). Every merged cube is checked to be
equivalent to the single-process one (Cube.equivalent); whether its bytes are identical too is
printed (a measure's sum may differ in its last bit, see docs/python.md).

The cube is the speech example config's; --dimensions and --granularity make a coarser one
(only those dimensions, no monitors), to see how the cost of merging follows the number of
cells rather than the number of events.
"""

import argparse
import json
import os
import pathlib
import re
import time

from distributed import Client, LocalCluster

import vigil
import vigil.dask

CONFIG = pathlib.Path(__file__).resolve().parents[1] / "examples" / "speech" / "vigil.yaml"


def split(path, parts):
    """Cuts the file at line boundaries into `parts` files of about equal size."""
    out_dir = path.parent / f"{path.stem}.parts{parts}"
    out_dir.mkdir(exist_ok=True)
    names = [out_dir / f"part{i}.jsonl" for i in range(parts)]
    size = path.stat().st_size
    if all(n.exists() for n in names) and sum(n.stat().st_size for n in names) == size:
        return [str(n) for n in names]
    with open(path, "rb") as f:
        for i, name in enumerate(names):
            end = size * (i + 1) // parts
            chunk = f.read(max(0, end - f.tell()))
            chunk += f.readline()  # finish the line
            name.write_bytes(chunk)
    return [str(n) for n in names]


def coarse_config(dimensions, granularity):
    """The speech config with only `dimensions`, cube granularity `granularity` and no monitors."""
    text = CONFIG.read_text()
    text, n = re.subn(r"  dimensions: \[.*?\]\n", f"  dimensions: [{dimensions}]\n", text, flags=re.S)
    text, m = re.subn(r"granularity: 5m\n", f"granularity: {granularity}\n", text, count=1)
    if n != 1 or m != 1 or "monitors:" not in text or "detect:" not in text:
        raise SystemExit("cannot rewrite the speech config; it changed shape")
    text = text[:text.index("monitors:")] + text[text.index("detect:"):]
    return vigil.Config.parse(text, "coarse config", str(CONFIG.parent))


def best(fn, repeat):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("events")
    ap.add_argument("--parts", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", help="write the figures to this file")
    ap.add_argument("--dimensions", help="a coarser cube: only these dimensions (comma-separated; "
                    "keep conversation_mode, a rate's denominator reads it)")
    ap.add_argument("--granularity", default="5m", help="with --dimensions: the cube's buckets")
    args = ap.parse_args()
    path = pathlib.Path(args.events).resolve()
    if args.dimensions:
        config = coarse_config(args.dimensions.replace(",", ", "), args.granularity)
    else:
        config = vigil.Config.load(str(CONFIG))
    parts = split(path, args.parts)
    results = {"events_file": path.name, "bytes": path.stat().st_size, "parts": args.parts,
               "cores": os.cpu_count(), "dimensions": config.dimensions,
               "granularity": config.granularity, "runs": []}

    def record(name, seconds, events, **extra):
        row = {"name": name, "seconds": round(seconds, 3), "events_per_s": round(events / seconds),
               **extra}
        results["runs"].append(row)
        more = "".join(f"  {k} {v}" for k, v in extra.items())
        print(f"{name:<34} {seconds:7.2f} s  {events / seconds / 1e6:6.2f} M events/s{more}",
              flush=True)

    def single(threads):
        cube = vigil.Cube(config)
        cube.ingest_files([str(path)], threads=threads)
        return cube

    seconds, reference = best(lambda: single(1), args.repeat)
    events = reference.event_count
    results["events"] = events
    results["cells"] = reference.cell_count
    print(f"input: {path.name}, {events:,} events, {path.stat().st_size / 1e6:.0f} MB, "
          f"{args.parts} parts; cube: {len(config.dimensions)} dimensions, {config.granularity} "
          f"buckets, {reference.cell_count:,} cells; {os.cpu_count()} cores", flush=True)
    record("one process, 1 thread", seconds, events)
    seconds, _ = best(lambda: single(2), args.repeat)
    record("one process, 2 threads", seconds, events)
    reference_bytes = reference.to_bytes()
    results["cube_bytes"] = len(reference_bytes)

    # Merge cost alone: the partial cubes built beforehand, then merged as the Dask tree does
    # (bytes in, bytes out) and as in-memory cubes.
    partial = []
    for p in parts:
        cube = vigil.Cube(config)
        cube.ingest_files([p], threads=1)
        partial.append(cube.to_bytes())

    def merge_bytes():
        merged = vigil.Cube.from_bytes(config, partial[0])
        for b in partial[1:]:
            merged.merge(vigil.Cube.from_bytes(config, b))
        return merged.to_bytes()

    seconds, merged = best(merge_bytes, args.repeat)
    assert vigil.Cube.from_bytes(config, merged).equivalent(reference), "merge differs"
    record(f"merge {args.parts} partial cubes (bytes)", seconds, events,
           partial_mb=round(sum(map(len, partial)) / 1e6, 1),
           same_bytes=merged == reference_bytes)
    cubes = [vigil.Cube.from_bytes(config, b) for b in partial]

    def merge_cubes():
        merged = vigil.Cube(config)
        for c in cubes:
            merged.merge(c)
        return merged

    seconds, merged = best(merge_cubes, args.repeat)
    assert merged.equivalent(reference), "merge differs"
    record(f"merge {args.parts} partial cubes (memory)", seconds, events)
    del merged
    seconds, _ = best(lambda: vigil.Cube.from_bytes(config, reference_bytes), args.repeat)
    record("from_bytes of the whole cube", seconds, events, mb=round(len(reference_bytes) / 1e6, 1))
    seconds, _ = best(reference.to_bytes, args.repeat)
    record("to_bytes of the whole cube", seconds, events)
    cubes.clear()  # free the partial cubes before the clusters start

    for workers in (1, 2):
        start = time.perf_counter()
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            startup = time.perf_counter() - start
            # The parallel part alone: every partial cube built and its bytes on the client.
            n = len(parts)
            seconds, _ = best(lambda: client.gather(client.map(
                vigil.dask._part_from_files, [config] * n, [[p] for p in parts], [1] * n,
                pure=False)), args.repeat)
            record(f"dask, {workers} worker{'s' if workers > 1 else ''}: partial cubes only",
                   seconds, events)
            seconds, built = best(lambda: vigil.dask.build_cube(config, parts, client), args.repeat)
            assert built.equivalent(reference), "the Dask cube differs from the reference"
            record(f"dask, {workers} worker{'s' if workers > 1 else ''}", seconds, events,
                   cluster_startup_s=round(startup, 2),
                   same_bytes=built.to_bytes() == reference_bytes)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
