#!/usr/bin/env python3
"""Figures of bench/quality.sh: the targets of detection quality over random worlds, per half
(seeds below 100 choose, 100 and above report), with their spread across worlds.

    quality_report.py OUT_DIR SEED...

Reads OUT_DIR/world-N/{sim/truth.json, sim/world.yaml, bt.json, incidents.json} (standard
library only). Every world holds one joint regression (asr_final latency, failures and rephrases
up together, each below its own threshold): the figures of the other kinds leave it out, so that
they compare with those recorded before worlds had one, and it gets lines of its own: how often
it is found, and how often the incident found on its slice names the metrics it moved first in
its attributions (the multivariate detector's Shapley values; absent before that detector).
"""
import datetime
import json
import os
import re
import statistics
import sys

FLOOR = 5.0  # detectability (z-score of the change in its first hour) above which recall counts
STEP_KINDS = {"latency_step", "rollout_regression", "failure_spike", "timeout_storm"}
JOINT = "joint"
SLACK_DAYS = 30 / 1440  # an incident may start this long before its truth (as the backtest has it)


def load_world(out, seed):
    d = os.path.join(out, f"world-{seed}")
    try:
        truth = json.load(open(os.path.join(d, "sim", "truth.json")))
        bt = json.load(open(os.path.join(d, "bt.json")))
        world = open(os.path.join(d, "sim", "world.yaml")).read()
    except (OSError, ValueError) as e:
        print(f"world {seed}: missing or unreadable ({e})", file=sys.stderr)
        return None
    try:
        incidents = json.load(open(os.path.join(d, "incidents.json")))
        incidents = incidents.get("incidents", []) if isinstance(incidents, dict) else incidents
    except (OSError, ValueError):
        incidents = None  # only the joint attribution lines need it
    sizes = {m.group(1): float(m.group(2))
             for m in re.finditer(r"id: (t\d+), kind: \w+, .*?size: ([0-9.]+)", world)}
    found = {t["id"]: t for t in bt["truth"]}
    days = (parse_day(truth["end"]) - parse_day(truth["start"]))
    rows, joints = [], []
    for inc in truth["incidents"]:
        r = dict(found.get(inc["id"], {}))
        r.update(kind=inc["kind"], detectability=inc.get("detectability", 0.0),
                 outage=inc["kind"] == "volume_drop" and sizes.get(inc["id"], 0) >= 1.0,
                 staged=inc.get("stage") is not None)
        if inc["kind"] == JOINT:
            r.update(truth=inc, attributions=joint_attributions(inc, incidents))
            joints.append(r)
        else:
            rows.append(r)
    return {"seed": seed, "rows": rows, "joints": joints, "bt": bt, "days": days,
            "joint_incidents": joint_incidents(truth, bt)}


def slice_of(text):
    """A slice as bt.json formats it ("all", "platform=iOS,locale=en-US") as a dict."""
    return {} if text in ("", "all") else dict(kv.split("=", 1) for kv in text.split(","))


def related(a, b):
    """One slice holds the other: an ancestor, a descendant or the same slice."""
    return a.items() <= b.items() or b.items() <= a.items()


def joint_incidents(truth, bt):
    """How many of the world's true or collateral incidents only its joint regression explains:
    matched to it, or collateral to it and to no other regression (they are left out of the
    incidents per found regression, with the joint regression itself)."""
    joint_ids = {t["id"] for t in truth["incidents"] if t["kind"] == JOINT}
    others = [(t["slice"], parse_day(t["start"]), parse_day(t["end"]))
              for t in truth["incidents"] if t["kind"] != JOINT]
    n = 0
    for inc in bt.get("incident_list", []):
        if inc.get("verdict") == "true":
            n += inc.get("truth") in joint_ids
        elif inc.get("verdict") == "collateral":
            sl, start = slice_of(inc.get("slice", "")), parse_day(inc["start"])
            n += not any(a - SLACK_DAYS <= start <= b and related(sl, ts) for ts, a, b in others)
    return n


def joint_attributions(truth_inc, incidents):
    """The attributions of the incident of incidents.json found on the joint regression: same
    slice as the truth, overlapping its window (any metric); of several, one that carries
    attributions. None when incidents.json is missing or no such incident carries them."""
    if incidents is None:
        return None
    a, b = parse_day(truth_inc["start"]) - SLACK_DAYS, parse_day(truth_inc["end"])
    for inc in incidents:
        end = parse_day(inc["end"]) if inc.get("end") else float("inf")
        if (inc.get("slice") or {}) != truth_inc["slice"] or not (parse_day(inc["start"]) <= b
                                                                  and end >= a):
            continue
        if isinstance(inc.get("attributions"), dict):
            return inc["attributions"]
    return None


def parse_day(ts):
    """Days since the proleptic origin of an RFC 3339 UTC time, with the hour as a fraction."""
    day = datetime.date(int(ts[0:4]), int(ts[5:7]), int(ts[8:10])).toordinal()
    return day + (int(ts[11:13]) + int(ts[14:16]) / 60) / 24


def ratio(num, den):
    return f"{num / den:.2f} ({num}/{den})" if den else "- (0/0)"


def report(name, worlds):
    rows = [r for w in worlds for r in w["rows"]]
    above = [r for r in rows if r["detectability"] >= FLOOR]
    found = [r for r in rows if r.get("found")]
    found_above = [r for r in above if r.get("found")]
    outages = [r for r in rows if r["outage"]]
    staged = [r for r in found if r["staged"]]
    # The joint regressions' incidents are left out, as the regressions themselves are.
    incidents = sum(w["bt"]["incidents"] - w["joint_incidents"] for w in worlds)
    false_inc = sum(w["bt"]["false_incidents"] for w in worlds)
    quiet = sum(w["bt"].get("quiet_incidents", 0) for w in worlds)
    days = sum(w["days"] for w in worlds)
    decoy_free = sum(1 for w in worlds if w["bt"]["decoy_incidents"] == 0)
    step_delays = [r["delay_minutes"] for r in found if r["kind"] in STEP_KINDS or r["outage"]]
    drift_delays = [r["delay_minutes"] / 60 for r in found if r["kind"] == "latency_drift"]
    per_world = []
    for w in worlds:
        a = [r for r in w["rows"] if r["detectability"] >= FLOOR]
        if a:
            per_world.append(sum(1 for r in a if r.get("found")) / len(a))
    print(f"== {name}: {len(worlds)} worlds, {len(rows)} regressions "
          f"({len(above)} above detectability {FLOOR:g}), {days:.0f} days")
    print(f"recall above the floor        {ratio(len(found_above), len(above))}   (target >= 0.90)")
    print(f"recall, all regressions       {ratio(len(found), len(rows))}")
    print(f"recall of outages to zero     {ratio(sum(1 for r in outages if r.get('found')), len(outages))}"
          "   (target >= 0.95)")
    print(f"exact root-cause slice first  {ratio(sum(1 for r in found if r.get('root_cause_exact')), len(found))}"
          "   (target >= 0.80)")
    print(f"carrying stage first          {ratio(sum(1 for r in staged if r.get('stage_first')), len(staged))}"
          "   (target >= 0.85)")
    per_regression = (incidents - false_inc - quiet) / len(found) if found else float("nan")
    print(f"incidents per found regression {per_regression:.2f}   (target <= 1.1)")
    print(f"false incidents per day       {false_inc / days:.2f} ({false_inc} in {days:.0f} days)"
          "   (target <= 0.5)")
    print(f"worlds without a decoy incident {ratio(decoy_free, len(worlds))}   (target >= 0.95)")
    if step_delays:
        print(f"onset delay, steps and outages  median {statistics.median(step_delays):.0f} min"
              "   (target <= 15)")
    if drift_delays:
        print(f"drift found after               median {statistics.median(drift_delays):.1f} h")
    if per_world:
        q = statistics.quantiles(per_world, n=4) if len(per_world) > 1 else per_world * 3
        print(f"per-world recall above the floor: min {min(per_world):.2f}  quartiles "
              f"{q[0]:.2f} / {q[1]:.2f} / {q[2]:.2f}  max {max(per_world):.2f}")
    kinds = sorted({r["kind"] for r in above})
    print("recall above the floor by kind: " + "  ".join(
        f"{k} {sum(1 for r in above if r['kind'] == k and r.get('found'))}/"
        f"{sum(1 for r in above if r['kind'] == k)}" for k in kinds))
    report_joint(worlds)
    print()


def report_joint(worlds):
    joints = [r for w in worlds for r in w["joints"]]
    if not joints:
        return
    found = [r for r in joints if r.get("found")]
    above = [r for r in joints if r["detectability"] >= FLOOR]
    print(f"joint regression found        {ratio(len(found), len(joints))}"
          f"   (above the floor {ratio(sum(1 for r in above if r.get('found')), len(above))})")
    top_moved = top_all = carrying = 0
    for r in found:
        att = r.get("attributions")
        if not att or not isinstance(att.get("features"), list):
            continue
        carrying += 1
        feats = sorted(att["features"], key=lambda f: -float(f.get("value", 0)))
        top = [f.get("metric") for f in feats[:3]]
        top_moved += bool(top) and all(m in set(r["truth"].get("moved", r["truth"]["metrics"]))
                                       for m in top)
        top_all += set(r["truth"]["metrics"]) <= set(top)
    print(f"joint, found with attributions {ratio(carrying, len(found))}")
    print(f"joint, top 3 attributions moved {ratio(top_moved, len(found))}")
    print(f"joint, top 3 hold its 3 metrics {ratio(top_all, len(found))}")


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    worlds = [w for w in (load_world(out, int(s)) for s in sys.argv[2:]) if w]
    choose = [w for w in worlds if w["seed"] < 100]
    held = [w for w in worlds if w["seed"] >= 100]
    if choose:
        report("choosing half (seeds < 100: settings were judged here)", choose)
    if held:
        report("reported half (seeds >= 100: nothing was chosen here)", held)
    return 0 if worlds else 1


if __name__ == "__main__":
    sys.exit(main())
