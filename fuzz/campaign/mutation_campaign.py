#!/usr/bin/env python3
"""Mutation campaign: runs the built `vigil` CLI and `vigil serve` as an attacker and a careless
user would, and asserts no crash (a signal or a sanitizer report), no hang (a timeout) and no
poisoned store (after every bad input, `vigil query` and an ingest of a good file into the same
store still succeed).

Three families, each bounded in count and time:
  files     mutated event files given to `vigil ingest` (bit flips, truncation, splices, huge
            values, odd timestamps, NULs, BOMs, control bytes, damaged gzip and zstd, CSV)
  configs   broken variants of examples/speech/vigil.yaml given to `vigil config check` and
            `vigil query` (wrong types, huge numbers, deep nesting, alias bombs, unknown keys)
  requests  malformed HTTP requests on raw sockets to `vigil serve` on 127.0.0.1 (bad request
            lines, odd query parameters, bad percent-encoding, wrong methods, bad bodies, with
            and without the token)

  mutation_campaign.py VIGIL SOURCE_DIR [--size tiny|short|full] [--seed N] [--work DIR]
      [--files N] [--configs N] [--requests N] [--skip FAMILY,...] [--keep]

Exit 0 when every input passed; 1 with one line per finding (its input is kept under
WORK/findings/). Standard library only (Debian's /usr/bin/python3); loopback only.
"""
import argparse
import gzip
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SIZES = {  # files, configs, requests
    "tiny": (60, 12, 40),      # under a sanitizer, where every run is several times slower
    "short": (300, 40, 100),
    "full": (10000, 300, 1500),
}
TIMEOUT_S = 10          # a run longer than this is a hang
TOKEN = "campaign-token-3b9"
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "ThreadSanitizer", "terminate called", "internal error")


def last_line(text):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return lines[-1][:300] if lines else ""


class Campaign:
    def __init__(self, args):
        self.vigil = os.path.abspath(args.vigil)
        self.source = os.path.abspath(args.source)
        self.rng = random.Random(args.seed)
        self.work = args.work
        self.findings = []
        self.notes = {}
        self.known = [re.compile(k, re.S) for k in args.known]
        self.known_hits = []
        self.answers = {}
        self.counts = {}
        self.env = dict(os.environ)
        # Leaks at exit of a short-lived CLI are not what this campaign looks for.
        self.env.setdefault("ASAN_OPTIONS", "detect_leaks=0")
        self.env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        self.findings_dir = os.path.join(self.work, "findings")
        os.makedirs(self.findings_dir, exist_ok=True)
        self.have_zstd = shutil.which("zstd") is not None
        with open(os.path.join(self.source, "examples/speech/events.jsonl"), "rb") as f:
            lines = [next(f) for _ in range(1200)]
        self.base_lines = lines[:300]
        self.good_lines = lines[1100:1105]
        with open(os.path.join(self.source, "examples/speech/vigil.yaml"), "r") as f:
            self.base_yaml = f.read()

    # -- running the CLI -------------------------------------------------------------------
    def run(self, argv, stdin=None, timeout=TIMEOUT_S):
        """Runs vigil; returns (verdict, returncode, stderr) where verdict is None when fine."""
        try:
            p = subprocess.run([self.vigil] + argv, cwd=self.store_dir, env=self.env, input=stdin,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        except subprocess.TimeoutExpired:
            return "hang (over %d s)" % timeout, None, ""
        err = p.stderr.decode("utf-8", "replace")
        if p.returncode < 0:
            return "crash (signal %d)" % -p.returncode, p.returncode, err
        for marker in SANITIZER_MARKERS:
            if marker in err:
                return "crash (%s)" % marker, p.returncode, err
        if p.returncode not in (0, 1, 2):
            return "exit code %d" % p.returncode, p.returncode, err
        return None, p.returncode, err

    def note(self, text):
        """Something short of a finding (e.g. a message without the file's name), counted once per text."""
        text = re.sub(r"\d+", "N", text)[:200]
        self.notes[text] = self.notes.get(text, 0) + 1

    def finding(self, family, what, input_path, detail=""):
        kept = ""
        if input_path and os.path.exists(input_path):
            kept = os.path.join(self.findings_dir, "%s-%d-%s" % (family, len(self.findings),
                                                                 os.path.basename(input_path)))
            shutil.copy(input_path, kept)
        line = "%s: %s; input %s" % (family, what, kept or input_path)
        if detail and detail.strip():
            line += "; " + last_line(detail)
        head = ""
        if input_path and os.path.isfile(input_path):
            with open(input_path, "rb") as f:
                head = f.read(65536).decode("latin-1")
        for pattern in self.known:
            if pattern.search(line + "\n" + detail + "\n" + head):
                self.known_hits.append(line)
                print("KNOWN " + line, flush=True)
                return
        self.findings.append(line)
        print("FINDING " + line, flush=True)

    # -- the store -------------------------------------------------------------------------
    def fresh_store(self):
        """A store holding the base events, config at store_dir/vigil.yaml (with a token)."""
        self.store_dir = tempfile.mkdtemp(prefix="store-", dir=self.work)
        self.config = os.path.join(self.store_dir, "vigil.yaml")
        with open(self.config, "w") as f:
            f.write(self.base_yaml + "\nserver:\n  token: %s\n" % TOKEN)
        base = os.path.join(self.store_dir, "base.jsonl")
        with open(base, "wb") as f:
            f.writelines(self.base_lines)
        self.good = os.path.join(self.store_dir, "good.jsonl")
        with open(self.good, "wb") as f:
            f.writelines(self.good_lines)
        verdict, rc, err = self.run(["ingest", "--config", self.config, "--quiet", base])
        if verdict or rc != 0:
            sys.exit("cannot build the base store: %s %s" % (verdict, err))

    def healthy(self, family, input_path):
        """The store still answers a query and takes a good file; else a finding (and a new store)."""
        for argv in (["query", "--config", self.config, "--metric", "volume", "--from", "2026-03-02",
                      "--to", "2026-03-03", "--granularity", "1h"],
                     ["ingest", "--config", self.config, "--quiet", self.good]):
            verdict, rc, err = self.run(argv)
            if verdict or rc != 0:
                self.finding(family, "poisoned store: `vigil %s` %s" % (argv[0], verdict or "exit %d" % rc),
                             input_path, err)
                shutil.rmtree(self.store_dir, ignore_errors=True)
                self.fresh_store()
                return False
        return True

    # -- family 1: mutated files -----------------------------------------------------------
    def sample(self, n=None):
        n = n or self.rng.randint(1, 40)
        start = self.rng.randrange(0, len(self.base_lines) - n)
        return b"".join(self.base_lines[start:start + n])

    def as_csv(self, data):
        header = ("ts,request_id,device_id,platform,locale,asr_model,latency_ms.e2e,"
                  "latency_ms.asr_final,outcome,rephrased,error_message\n")
        rows = []
        for line in data.splitlines():
            try:
                e = json.loads(line)
            except ValueError:
                continue
            lat = e.get("latency_ms") or {}
            msg = (e.get("error_message") or "").replace('"', '""')
            rows.append('%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,"%s"' % (
                e.get("ts"), e.get("request_id"), e.get("device_id"), e.get("platform"), e.get("locale"),
                e.get("asr_model"), lat.get("e2e", ""), lat.get("asr_final", ""), e.get("outcome"),
                str(e.get("rephrased", "")).lower(), msg))
        return (header + "\n".join(rows) + "\n").encode()

    def flip_bits(self, data, n=None):
        b = bytearray(data)
        for _ in range(n or self.rng.randint(1, 12)):
            if b:
                i = self.rng.randrange(len(b))
                b[i] ^= 1 << self.rng.randrange(8)
        return bytes(b)

    def insert_at_random(self, data, piece, n=1):
        b = bytearray(data)
        for _ in range(n):
            i = self.rng.randrange(len(b) + 1)
            b[i:i] = piece
        return bytes(b)

    ODD_TIMES = [b"-9223372036854775808", b"9223372036854775807", b"8.9e15", b"-8.9e15", b"1e300",
                 b"-1", b"0", b"\"0000-01-01T00:00:00Z\"", b"\"9999-12-31T23:59:59Z\"",
                 b"\"1969-12-31T23:59:59.999Z\"", b"\"2026-02-30T00:00:00Z\"", b"\"2026-03-02T24:00:00Z\"",
                 b"\"2026-03-02T23:59:60Z\"", b"\"2026-03-02T00:00:00+99:99\"", b"\"2026-03-02T00:00:00.1234567890123Z\"",
                 b"\"+002026-03-02\"", b"\"2026-03-02T00:00:00\"", b"\"\"", b"null", b"true", b"[]", b"{}",
                 b"\"NaN\"", b"1.5", b"\"1772409600000\"", b"\"2200-01-01T00:00:00Z\"", b"\"2201-01-01\"",
                 b"\"1970-01-01\"", b"18446744073709551615", b"-0", b"1e-300", b"\"99999-01-01\""]
    HUGE = [b"1e308", b"-1e308", b"1e309", b"NaN", b"Infinity", b"9223372036854775807",
            b"18446744073709551616", b"-0.0", b"4.9e-324", b"123456789012345678901234567890",
            b"\"" + b"x" * 70000 + b"\"", b"\"" + b"\\u0000" * 50 + b"\"", b"[" * 5000 + b"]" * 5000,
            b"{\"a\":" * 2000 + b"1" + b"}" * 2000, b"\"\\ud800\"", b"\"\xff\xfe\xc0\x80\""]

    def mutate_file(self, i):
        """One mutated input: (family, bytes, file name)."""
        kind = i % 14
        data = self.sample()
        name = "in-%d.jsonl" % i
        if kind == 0:
            return "bitflip", self.flip_bits(data), name
        if kind == 1:
            return "truncate", data[:self.rng.randrange(len(data) + 1)], name
        if kind == 2:
            other = self.sample()
            a, b = self.rng.randrange(len(data) + 1), self.rng.randrange(len(other) + 1)
            spliced = data[:a] + other[b:]
            if self.rng.random() < 0.3:
                spliced = self.as_csv(other)[:b] + data[a:]
            return "splice", spliced, name
        if kind == 3:
            field = self.rng.choice([b"latency_ms", b"e2e", b"asr_final", b"platform", b"ts", b"outcome",
                                     b"rephrased", b"device_id", b"request_id", b"locale"])
            value = self.rng.choice(self.HUGE)
            pattern = re.compile(b'"' + field + b'":("[^"]*"|[^,}]*|\\{[^}]*\\})')
            lines = data.splitlines(keepends=True)
            j = self.rng.randrange(len(lines))
            lines[j] = pattern.sub(lambda m: b'"' + field + b'":' + value, lines[j], count=1)
            return "huge", b"".join(lines), name
        if kind == 4:
            value = self.rng.choice(self.ODD_TIMES)
            lines = data.splitlines(keepends=True)
            for j in self.rng.sample(range(len(lines)), self.rng.randint(1, len(lines))):
                lines[j] = re.sub(b'"ts":"[^"]*"', b'"ts":' + value, lines[j], count=1)
            return "timestamp", b"".join(lines), name
        if kind == 5:
            piece = self.rng.choice([b"\x00", b"\\u0000", b"\x00" * 100])
            return "nul", self.insert_at_random(data, piece, self.rng.randint(1, 5)), name
        if kind == 6:
            bom = self.rng.choice([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff"])
            if self.rng.random() < 0.5:
                return "bom", bom + data, name
            return "bom", data.replace(b"\n{", b"\n" + bom + b"{", self.rng.randint(1, 3)), name
        if kind == 7:
            pieces = [bytes([self.rng.choice(list(range(1, 32)) + [127])]) for _ in range(self.rng.randint(1, 8))]
            for p in pieces:
                data = self.insert_at_random(data, p)
            return "control", data, name
        if kind == 8:
            packed = gzip.compress(data)
            how = self.rng.random()
            if how < 0.4:
                packed = packed[:self.rng.randrange(1, len(packed))]
            elif how < 0.8:
                packed = packed[:10] + self.flip_bits(packed[10:], self.rng.randint(1, 4))
            else:
                packed = packed + self.flip_bits(gzip.compress(self.sample()))  # a damaged second member
            return "gzip", packed, name + ".gz"
        if kind == 9:
            packed = self.zstd(data)
            how = self.rng.random()
            if how < 0.4:
                packed = packed[:self.rng.randrange(1, len(packed))]
            else:
                packed = packed[:4] + self.flip_bits(packed[4:], self.rng.randint(1, 4))
            return "zstd", packed, name + ".zst"
        if kind == 10:
            csv = self.as_csv(data)
            how = self.rng.random()
            if how < 0.3:
                csv = self.flip_bits(csv)
            elif how < 0.5:
                csv = csv.replace(b",", b",,", self.rng.randint(1, 3))
            elif how < 0.7:
                csv = self.insert_at_random(csv, b'"', self.rng.randint(1, 3))
            elif how < 0.85:
                csv = csv.replace(b"\n", b"\r\n")
                csv = self.insert_at_random(csv, bytes([self.rng.randrange(1, 32)]))
            else:
                csv = csv.split(b"\n", 1)[1] if b"\n" in csv else csv  # no header
            return "csv", csv, "in-%d.csv" % i
        if kind == 11:
            # The first line damaged: the rest must still be read as JSON Lines.
            lines = data.splitlines(keepends=True)
            lines[0] = self.rng.choice([b"garbage\n", b"\xff\xfe\n", b"ts,platform\n", b"{\"ts\":\n", b"\n\n",
                                        b"[1,2,3]\n", b"\x00\n", lines[0][:self.rng.randrange(len(lines[0]))] + b"\n"])
            return "first_line", b"".join(lines), name
        if kind == 12:
            choice = self.rng.randrange(6)
            if choice == 0:
                return "special", b"", name
            if choice == 1:
                return "special", b" \n\t\r\n" * self.rng.randint(1, 100), name
            if choice == 2:
                return "special", b"{" + b"\"a\":1," * 200000 + b"\"ts\":1772409600000}\n", name  # ~1.2 MB line
            if choice == 3:
                return "special", bytes(self.rng.randrange(256) for _ in range(self.rng.randint(1, 4096))), name
            if choice == 4:
                return "special", data.replace(b"\n", b"\r"), name
            return "special", data * self.rng.randint(2, 20), name
        # Random bytes of a good line rewritten: keys renamed, types swapped.
        swapped = data.replace(b'":"', b'":', self.rng.randint(1, 6))
        swapped = swapped.replace(b'","', b',"', self.rng.randint(0, 4))
        return "types", self.flip_bits(swapped, self.rng.randint(0, 2)), name

    def zstd(self, data):
        if self.have_zstd:
            p = subprocess.run(["zstd", "-q", "-c"], input=data, stdout=subprocess.PIPE)
            if p.returncode == 0:
                return p.stdout
        # A raw zstd frame header and raw bytes when the tool is missing.
        return b"\x28\xb5\x2f\xfd\x00\x58" + data

    def files(self, n):
        deadline_note = time.time()
        for i in range(n):
            family, data, name = self.mutate_file(i)
            path = os.path.join(self.store_dir, name)
            with open(path, "wb") as f:
                f.write(data)
            self.counts["files"] = self.counts.get("files", 0) + 1
            self.counts["files." + family] = self.counts.get("files." + family, 0) + 1
            verdict, rc, err = self.run(["ingest", "--config", self.config, "--quiet", path])
            if verdict:
                self.finding("files." + family, verdict, path, err)
            elif rc != 0 and name not in err:
                self.note("files: a refusal that does not name the file: " + last_line(err))
            self.healthy("files." + family, path)
            if os.path.exists(path):
                os.remove(path)
            if (i + 1) % 1000 == 0:
                print("  %d files, %d findings, %.0f s" % (i + 1, len(self.findings), time.time() - deadline_note),
                      flush=True)

    # -- family 2: broken configs ------------------------------------------------------------
    def mutate_config(self, i):
        y = self.base_yaml
        kind = i % 10
        lines = y.splitlines(keepends=True)
        if kind == 0:  # wrong types
            key, value = self.rng.choice([
                ("granularity: 5m", "granularity: [5m]"), ("granularity: 5m", "granularity: {a: 1}"),
                ("fdr: 0.01", "fdr: abc"), ("fdr: 0.01", "fdr: -1"), ("fdr: 0.01", "fdr: .nan"),
                ("max_dimension_values: 10000", "max_dimension_values: ten"),
                ("max_bad_lines_shown: 10", "max_bad_lines_shown: -5"), ("timezone: UTC", "timezone: [UTC]"),
                ("timezone: UTC", "timezone: Mars/Olympus_Mons"), ("resolve_after: 30m", "resolve_after: 30"),
                ("path: vigil.db", "path: [a, b]"), ("q: 0.95", "q: 1.5"), ("q: 0.95", "q: '0.95'"),
                ("type: count", "type: [count]"), ("type: rate", "type: ratio"), ("direction: up", "direction: 1"),
                ("dimensions: [platform", "dimensions: {platform: 1}, x: [platform"),
                ("measure: e2e", "measure: nothing"), ("min_duration: 30m", "min_duration: -30m"),
                ("{metric: volume", "{metric: [volume]")])
            return "types", y.replace(key, value, 1)
        if kind == 1:  # huge numbers
            key, value = self.rng.choice([
                ("granularity: 5m", "granularity: 18014398509481984w"), ("granularity: 5m", "granularity: 9223372036854775807ms"),
                ("granularity: 15m", "granularity: 99999999999999999999m"), ("fdr: 0.01", "fdr: 1e400"),
                ("max_dimension_values: 10000", "max_dimension_values: 99999999999999999999"),
                ("max_bad_lines_shown: 10", "max_bad_lines_shown: 9223372036854775807"),
                ("resolve_after: 30m", "resolve_after: 2562047788015215w"), ("min_duration: 1h", "min_duration: 9223372036854775807h"),
                ("start: 2026-04-03", "start: 99999-04-03"), ("end: 2026-12-26", "end: 0000-01-01"),
                ("granularity: 5m", "granularity: 0m"), ("granularity: 5m", "granularity: -5m"),
                ("granularity: 5m", "granularity: 1ms"), ("q: 0.50", "q: 1e-320")])
            return "huge", y.replace(key, value, 1)
        if kind == 2:  # deep nesting
            depth = self.rng.choice([100, 1000, 10000, 100000])
            how = self.rng.randrange(3)
            if how == 0:
                return "deep", y.replace('where: "rephrased"', 'where: "' + "(" * depth + "rephrased" + ")" * depth + '"', 1)
            if how == 1:
                return "deep", y.replace('expr: ', 'expr: ', 1) + "\n" + "x: " + "[" * depth + "]" * depth + "\n"
            return "deep", y.replace('where: "rephrased"', 'where: "' + "not " * depth + "rephrased" + '"', 1)
        if kind == 3:  # alias bombs
            levels = self.rng.randint(3, 9)
            bomb = "bomb:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
            for k in range(1, levels):
                bomb += "  a%d: &a%d [%s]\n" % (k, k, ", ".join(["*a%d" % (k - 1)] * 10))
            where = self.rng.randrange(2)
            if where == 0:
                return "alias", bomb + y
            return "alias", y.replace("    routes:\n", "    routes: &r\n", 1) + "\n" + bomb.replace("bomb:", "alert2:")
        if kind == 4:  # unknown keys
            j = self.rng.randrange(len(lines))
            indent = re.match(r"\s*", lines[j]).group(0)
            lines.insert(j, indent + self.rng.choice(["bogus: 1", "granulartiy: 5m", "metrics2: {}", "? [a, b]\n" + indent + ": c",
                                                      "<<: {x: 1}", "'': 1", "\"\\0\": 1"]) + "\n")
            return "unknown", "".join(lines)
        if kind == 5:  # line deleted / duplicated / re-indented
            j = self.rng.randrange(len(lines))
            how = self.rng.randrange(3)
            if how == 0:
                del lines[j]
            elif how == 1:
                lines.insert(j, lines[j])
            else:
                lines[j] = (" " * self.rng.randint(1, 3)) + lines[j]
            return "lines", "".join(lines)
        if kind == 6:  # bytes damaged
            b = bytearray(y.encode())
            for _ in range(self.rng.randint(1, 10)):
                b[self.rng.randrange(len(b))] = self.rng.randrange(256)
            return "bytes", b.decode("latin-1")
        if kind == 7:  # truncated
            return "truncate", y[:self.rng.randrange(len(y))]
        if kind == 8:  # odd documents
            return "odd", self.rng.choice(["", "---\n", "[]", "null", "~", "!!binary AAAA", "a: b: c", "\t- x",
                                           y + "\n---\n" + y, y.replace("\n", "\r\n"), y.replace("  ", "\t", 3),
                                           "\xef\xbb\xbf" + y, y + "\x00", "%YAML 9.9\n---\n" + y,
                                           "metrics: !!map {a: !!seq [1]}\n", "input: &a {dimensions: *a}\n"])
        # Predicates and expressions damaged.
        key = self.rng.choice(["outcome == 'ok'", "rephrased", "1 - ", "outcome in ['error', 'timeout']", "e2e < 1500"])
        bad = self.rng.choice(["outcome ==", "outcome == 'ok", "(", ")", "e2e < 'x'", "nothing", "1 / 0", "'\\0'",
                               "outcome in [", "not not not", "e2e < 1e999", "&&", "\u00e9 == 1"])
        return "predicate", y.replace(key, bad, 1)

    def configs(self, n):
        for i in range(n):
            family, text = self.mutate_config(i)
            path = os.path.join(self.store_dir, "broken-%d.yaml" % i)
            with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write(text)
            self.counts["configs"] = self.counts.get("configs", 0) + 1
            self.counts["configs." + family] = self.counts.get("configs." + family, 0) + 1
            for argv in (["config", "check", path], ["query", "--config", path]):
                verdict, rc, err = self.run(argv)
                if verdict:
                    self.finding("configs." + family, "`vigil %s` %s" % (argv[0], verdict), path, err)
                    break
                if rc == 2 and "broken-%d.yaml" % i not in err:
                    self.note("configs: a refusal that does not name the file: " + last_line(err))
            self.healthy("configs." + family, path)
            if os.path.exists(path):
                os.remove(path)

    # -- family 3: malformed HTTP requests ---------------------------------------------------
    def start_server(self):
        log = open(os.path.join(self.store_dir, "serve.log"), "wb")
        self.server = subprocess.Popen([self.vigil, "serve", "--config", self.config, "--listen", "127.0.0.1:0"],
                                       cwd=self.store_dir, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.server_log = log.name
        for _ in range(300):
            with open(self.server_log, "rb") as f:
                m = re.search(rb"http://127\.0\.0\.1:(\d+)", f.read())
            if m:
                self.port = int(m.group(1))
                return
            if self.server.poll() is not None:
                sys.exit("vigil serve did not start: " + open(self.server_log).read())
            time.sleep(0.1)
        sys.exit("vigil serve did not print its address")

    def send(self, raw, read_timeout=1.0):
        """Sends raw bytes; returns (status, seconds): the HTTP status, None when the server
        closed without an answer, "waiting" when it still waits for bytes the request promised
        (not a fault: /healthz is checked after every request)."""
        start = time.time()
        s = socket.create_connection(("127.0.0.1", self.port), timeout=read_timeout)
        data = b""
        try:
            try:
                s.sendall(raw)
            except OSError:
                pass  # the server may close early on a bad request
            while True:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    if not data:
                        return "waiting", time.time() - start
                    break
                except OSError:
                    break
                if not chunk:
                    break
                data += chunk
        finally:
            s.close()
        m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
        return (int(m.group(1)) if m else None), time.time() - start

    def request(self, i):
        """One malformed (or odd) request: (family, bytes)."""
        rng = self.rng
        auth = rng.choice(["", "Authorization: Bearer %s\r\n" % TOKEN, "Authorization: Bearer wrong\r\n",
                           "Authorization: Basic Zm9vOmJhcg==\r\n", "Authorization: Bearer \r\n",
                           "Authorization: Bearer %s\x00\r\n" % TOKEN])
        host = "Host: 127.0.0.1\r\n"
        kind = i % 8

        def get(target, extra=""):
            return ("GET %s HTTP/1.1\r\n%s%s%sConnection: close\r\n\r\n" % (target, host, auth, extra)).encode("latin-1")

        if kind == 0:  # bad request lines
            return "request_line", rng.choice([
                b"GET\r\n\r\n", b"\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"G\x00T / HTTP/1.1\r\n\r\n",
                b"GET /healthz\r\n\r\n", b"GET  /healthz  HTTP/1.1\r\n\r\n", b"GET /healthz HTTP/1.1\n\n",
                b"GET " + b"/a" * rng.randint(1000, 60000) + b" HTTP/1.1\r\n\r\n", b"\xff\xfe\xfd\r\n\r\n",
                b"GET http://127.0.0.1/healthz HTTP/1.1\r\n\r\n", b"GET * HTTP/1.1\r\n\r\n",
                b"GET /api/../../etc/passwd HTTP/1.1\r\n\r\n", b"GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\n\r\n",
                b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", b"GET /healthz HTTP/1.1\r\nbad header\r\n\r\n",
                b"GET /healthz HTTP/1.1\r\n: empty\r\n\r\n", b"GET /healthz HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n",
                bytes(rng.randrange(256) for _ in range(rng.randint(1, 300)))])
        if kind == 1:  # odd query parameters on the series and plot routes
            route = rng.choice(["/api/series", "/ui/plot"])
            metric = rng.choice(["volume", "e2e_p95", "failure_rate", "good_turn_rate", "affected_devices", "nope", ""])
            param = rng.choice([
                "granularity=9223372036854775807w", "granularity=2305843009213693952s", "granularity=-5m",
                "granularity=0", "granularity=1ms", "granularity=7m", "granularity=1w", "granularity=abc",
                "from=0000-01-01&to=9999-12-31", "from=-9223372036854775808", "to=9223372036854775807",
                "from=2026-03-03&to=2026-03-02", "from=1970-01-01&to=2200-01-01&granularity=5m",
                "slice=" + ",".join("platform=x%d" % k for k in range(rng.randint(1, 2000))),
                "slice=platform", "slice==", "slice=,,,", "slice=platform=iOS,platform=watchOS",
                "slice=nope=1", "slice=platform=%00", "onset=2026-03-02", "onset=garbage",
                "&".join("metric=m%d" % k for k in range(rng.randint(1, 1000)))])
            return "query", get("%s?metric=%s&%s" % (route, metric, param))
        if kind == 2:  # bad percent-encoding
            value = rng.choice(["%", "%G1", "%00", "%FF%FE", "%%", "%2", "%e2%82", "%C0%AF", "+%2B+", "%u0041",
                                "%0d%0aX-Injected:%20yes", "%25%32%35"])
            route = rng.choice(["/api/series?metric=", "/api/incidents?status=", "/api/incidents/", "/ui/incidents/",
                                "/assets/", "/api/series?slice=platform="])
            return "percent", get(route + value)
        if kind == 3:  # wrong methods
            method = rng.choice(["DELETE", "PUT", "PATCH", "OPTIONS", "TRACE", "CONNECT", "FOO", "get", "POST", "HEAD"])
            route = rng.choice(["/healthz", "/api/series", "/api/incidents", "/api/ingest", "/metrics", "/",
                                "/api/incidents/x/feedback", "/assets/app.js"])
            return "method", ("%s %s HTTP/1.1\r\n%s%sContent-Length: 0\r\nConnection: close\r\n\r\n" %
                              (method, route, host, auth)).encode()
        if kind == 4:  # ingest bodies with bad lines
            lines = [l for l in self.sample(rng.randint(1, 10)).splitlines()]
            family, damaged, _ = self.mutate_file(rng.randrange(14) if rng.random() < 0.5 else 0)
            body = b"\n".join(lines[:rng.randint(0, len(lines))]) + b"\n" + damaged[:20000]
            ctype = rng.choice(["application/x-ndjson", "application/x-www-form-urlencoded", "text/csv", "",
                                "multipart/form-data; boundary=x"])
            head = "POST /api/ingest HTTP/1.1\r\n%s%s" % (host, auth)
            if ctype:
                head += "Content-Type: %s\r\n" % ctype
            length = rng.choice([len(body), len(body), len(body) + 100, max(0, len(body) - 5), 0])
            head += "Content-Length: %d\r\nConnection: close\r\n\r\n" % length
            return "ingest_body", head.encode() + body
        if kind == 5:  # odd bodies and framing
            return "framing", rng.choice([
                ("POST /api/ingest HTTP/1.1\r\n%s%sContent-Length: -1\r\n\r\n{}" % (host, auth)).encode(),
                ("POST /api/ingest HTTP/1.1\r\n%s%sContent-Length: 99999999999999999999\r\n\r\n{}" % (host, auth)).encode(),
                ("POST /api/ingest HTTP/1.1\r\n%s%sContent-Length: abc\r\n\r\n{}" % (host, auth)).encode(),
                ("POST /api/ingest HTTP/1.1\r\n%s%sTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n" % (host, auth)).encode(),
                ("POST /api/ingest HTTP/1.1\r\n%s%sTransfer-Encoding: chunked\r\n\r\n5\r\n{\"ts\"\r\nffffffffffffffff\r\n" % (host, auth)).encode(),
                ("POST /api/ingest HTTP/1.1\r\n%s%sContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" % (host, auth)).encode(),
                ("POST /api/incidents/inc-x/feedback HTTP/1.1\r\n%s%sContent-Length: 9\r\n\r\n{\"verdict" % (host, auth)).encode(),
                ("POST /api/incidents/%%27%%3B%%20DROP%%20TABLE%%20incidents/feedback HTTP/1.1\r\n%s%sContent-Length: 27\r\n\r\n{\"verdict\":\"true_positive\"}" % (host, auth)).encode(),
                ("POST /api/ingest HTTP/1.1\r\n%s%sContent-Type: application/x-ndjson\r\nContent-Length: 2\r\n\r\n\x00\n" % (host, auth)).encode(),
                ("POST /api/ingest HTTP/1.1\r\n%s%sContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\n\x1f\x8b\x08\x00" % (host, auth)).encode(),
                ("POST /api/ingest HTTP/1.1\r\n%s%sExpect: 100-continue\r\nContent-Length: 3\r\n\r\n{}\n" % (host, auth)).encode()])
        if kind == 6:  # incident routes and filters
            return "incidents", get(rng.choice([
                "/api/incidents?status=bogus", "/api/incidents?limit=-1", "/api/incidents?limit=99999999999999999999",
                "/api/incidents?from=9999-12-31", "/api/incidents?from=garbage&to=0",
                "/api/incidents/" + "x" * rng.randint(1, 5000), "/api/incidents/'%20OR%201=1--",
                "/ui/incidents/%22%3E%3Cscript%3E", "/api/incidents?" + "&".join("owner=o%d" % k for k in range(500)),
                "/api/incidents?severity=&status=&owner=&metric=", "/assets/../../../etc/passwd", "/assets/%2e%2e%2fx",
                "/api/incidents/inc-x/feedback"]))
        # random mutations of a good request
        good = get("/api/series?metric=e2e_p95&slice=platform=iOS&from=2026-03-02&to=2026-03-03&granularity=1h")
        b = bytearray(good)
        for _ in range(rng.randint(1, 6)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        return "mutated", bytes(b)

    def requests(self, n):
        self.start_server()
        try:
            for i in range(n):
                family, raw = self.request(i)
                self.counts["requests"] = self.counts.get("requests", 0) + 1
                self.counts["requests." + family] = self.counts.get("requests." + family, 0) + 1
                path = os.path.join(self.store_dir, "request-%d.bin" % i)
                with open(path, "wb") as f:
                    f.write(raw)
                try:
                    status, seconds = self.send(raw)
                except OSError as e:
                    status, seconds = "refused (%s)" % e, 0
                health = None
                if status is None or isinstance(status, int) and status < 500 or status == "waiting":
                    self.answers[status] = self.answers.get(status, 0) + 1
                    # /healthz answers promptly after every request.
                    try:
                        health, seconds = self.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    except OSError as e:
                        health, seconds = "refused (%s)" % e, 0
                if self.server.poll() is None:
                    time.sleep(0.01 if health == 200 else 0.5)  # a crash may take a moment to show
                if self.server.poll() is not None:
                    self.finding("requests." + family, "the server died (exit %s)" % self.server.returncode, path,
                                 open(self.server_log, errors="replace").read())
                    self.start_server()
                elif isinstance(status, int) and status >= 500 and status != 503:
                    self.finding("requests." + family, "answered %d" % status, path)
                elif isinstance(status, str) and status != "waiting":
                    self.finding("requests." + family, "no answer: %s" % status, path)
                elif health != 200 or seconds > 1.0:
                    self.finding("requests." + family, "/healthz %s in %.2f s after it" % (health, seconds), path)
                if os.path.exists(path):
                    os.remove(path)
        finally:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
                self.finding("requests", "the server did not stop within 20 s of SIGTERM", None)
        with open(self.server_log, "rb") as f:
            log = f.read().decode("utf-8", "replace")
        for marker in SANITIZER_MARKERS[:4]:
            if marker in log:
                self.finding("requests", "sanitizer report in the server log", self.server_log, log)
                break
        if self.server.returncode not in (0, -signal.SIGTERM, 143):
            self.finding("requests", "the server exited with %s" % self.server.returncode, self.server_log, log)
        self.healthy("requests", None)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("vigil")
    ap.add_argument("source")
    ap.add_argument("--size", choices=sorted(SIZES), default="short")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--work")
    ap.add_argument("--files", type=int)
    ap.add_argument("--configs", type=int)
    ap.add_argument("--requests", type=int)
    ap.add_argument("--skip", default="", help="families to leave out: files,configs,requests")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--known", action="append", default=[],
                    help="a regex over a finding, its output and its input: a fault being fixed elsewhere, "
                         "listed but not failing the campaign")
    args = ap.parse_args()
    files, configs, requests = SIZES[args.size]
    files = files if args.files is None else args.files
    configs = configs if args.configs is None else args.configs
    requests = requests if args.requests is None else args.requests
    own_work = args.work is None
    args.work = args.work or tempfile.mkdtemp(prefix="vigil-campaign-")
    os.makedirs(args.work, exist_ok=True)
    c = Campaign(args)
    skip = set(filter(None, args.skip.split(",")))
    start = time.time()
    c.fresh_store()
    timings = {}
    for family, n, run in (("files", files, c.files), ("configs", configs, c.configs), ("requests", requests, c.requests)):
        if family in skip or n == 0:
            continue
        t = time.time()
        run(n)
        timings[family] = time.time() - t
        print("%s: %d in %.0f s, %d findings so far" % (family, n, timings[family], len(c.findings)), flush=True)
    print("campaign (seed %d): %s; %d findings, %d known; %.0f s" % (
        args.seed, ", ".join("%s %d" % (k, v) for k, v in sorted(c.counts.items()) if "." not in k),
        len(c.findings), len(c.known_hits), time.time() - start))
    if c.answers:
        print("answers: " + ", ".join("%s %d" % (k, v) for k, v in sorted(c.answers.items(), key=lambda kv: str(kv[0]))))
    print("by kind: " + ", ".join("%s %d" % (k, v) for k, v in sorted(c.counts.items()) if "." in k))
    for line in c.findings:
        print("  " + line)
    for line in c.known_hits:
        print("  known: " + line)
    for text, count in sorted(c.notes.items(), key=lambda kv: -kv[1]):
        print("  note (%d): %s" % (count, text))
    if own_work and not c.findings and not args.keep:
        shutil.rmtree(args.work, ignore_errors=True)
    elif c.findings:
        print("inputs kept in " + c.findings_dir)
    return 1 if c.findings else 0


if __name__ == "__main__":
    sys.exit(main())
