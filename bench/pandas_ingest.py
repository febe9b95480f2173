"""The aggregation a user would otherwise write in pandas, on the same file as vigil's benchmark.

Reads the JSON Lines, buckets the time to 5 minutes, groups by all eleven dimensions and counts,
computes the failure / timeout / rephrase / false-barge-in / good-turn rates and p50/p95/p99 of
e2e. Prints one JSON line with the seconds taken and events per second.
"""
import json
import sys
import time

import pandas as pd

DIMS = ["platform", "os_version", "device_model", "locale", "app_build", "asr_model",
        "tts_voice", "asr_mode", "conversation_mode", "network", "region"]


def main(path):
    start = time.perf_counter()
    df = pd.read_json(path, lines=True, dtype=False)
    lat = pd.json_normalize(df["latency_ms"]).add_prefix("latency_ms.")
    df = pd.concat([df.drop(columns=["latency_ms"]), lat], axis=1)
    df["bucket"] = pd.to_datetime(df["ts"], utc=True).dt.floor("5min")
    e2e = df["latency_ms.e2e"]
    df["failed"] = df["outcome"].isin(["error", "timeout"])
    df["timeout"] = df["outcome"] == "timeout"
    df["full_duplex"] = df["conversation_mode"] == "full_duplex"
    df["fbi"] = df["false_barge_in"].fillna(False).astype(bool) & df["full_duplex"]
    df["good"] = (df["outcome"] == "ok") & (e2e < 1500) & ~df["rephrased"].fillna(False).astype(bool)
    g = df.groupby(["bucket"] + DIMS, observed=True, dropna=False)
    out = g.agg(volume=("ts", "size"), failed=("failed", "sum"), timeouts=("timeout", "sum"),
                rephrased=("rephrased", "sum"), fbi=("fbi", "sum"), fd=("full_duplex", "sum"),
                good=("good", "sum"))
    q = g["latency_ms.e2e"].quantile([0.5, 0.95, 0.99]).unstack()
    out = out.join(q)
    out["failure_rate"] = out["failed"] / out["volume"]
    out["timeout_rate"] = out["timeouts"] / out["volume"]
    out["good_turn_rate"] = out["good"] / out["volume"]
    seconds = time.perf_counter() - start
    print(json.dumps({"tool": "pandas", "version": pd.__version__, "events": len(df),
                      "groups": len(out), "seconds": seconds, "events_per_s": len(df) / seconds}))


if __name__ == "__main__":
    main(sys.argv[1])
