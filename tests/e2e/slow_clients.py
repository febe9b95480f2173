#!/usr/bin/python3
"""Abusive clients of `vigil serve`, for tests/e2e/abuse_test.sh and the load benchmarks.

For --seconds, on 127.0.0.1:PORT at once:
  * --slow N clients that each send a request head one line per second and never finish it
    (slowloris); a client the server cuts off reconnects, so N stay connected;
  * --flood K clients that each send, over and over, a head of many 8 KB headers;
  * one prober that asks GET /healthz every 50 ms on a new connection and times the answer.
Prints one JSON line: the prober's latencies (max, p50, p99, count, failures) and what the slow
and flooding clients were answered (status counts). Standard library only.
"""
import argparse
import http.client
import json
import selectors
import socket
import threading
import time


def slowloris(port, n, stop, stats):
    sel = selectors.DefaultSelector()
    conns = {}

    def connect():
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
            s.setblocking(False)
            s.send(b"GET /api/incidents HTTP/1.1\r\nHost: slow\r\n")
            conns[s] = 0
            sel.register(s, selectors.EVENT_READ)
            stats["slow_connects"] += 1
        except OSError:
            stats["slow_connect_errors"] += 1

    for _ in range(n):
        connect()
    next_line = time.time() + 1
    while not stop.is_set():
        for key, _ in sel.select(timeout=0.1):
            s = key.fileobj
            try:
                answer = s.recv(4096)
            except OSError:
                answer = b""
            if answer.startswith(b"HTTP/1.1 "):
                code = answer[9:12].decode(errors="replace")
                stats["slow_answers"][code] = stats["slow_answers"].get(code, 0) + 1
            sel.unregister(s)
            s.close()
            del conns[s]
            connect()
        if time.time() >= next_line:
            next_line += 1
            for s in list(conns):
                try:
                    s.send(b"X-Slow-%d: 1\r\n" % conns[s])
                    conns[s] += 1
                except OSError:
                    pass
            while len(conns) < n and not stop.is_set():
                connect()
    for s in conns:
        s.close()


def flood(port, stop, stats):
    head = (b"GET /api/incidents HTTP/1.1\r\nHost: flood\r\n" +
            b"".join(b"X-Big-%d: %s\r\n" % (i, b"x" * 8000) for i in range(40)) + b"\r\n")
    while not stop.is_set():
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            try:
                s.sendall(head)
            except OSError:
                pass  # the server stopped reading once the head passed its limit
            answer = s.recv(4096)
            code = answer[9:12].decode(errors="replace") if answer.startswith(b"HTTP/1.1 ") else "none"
            stats["flood_answers"][code] = stats["flood_answers"].get(code, 0) + 1
            s.close()
        except OSError:
            stats["flood_errors"] += 1
            time.sleep(0.05)


def probe(port, stop, stats):
    latencies = stats["probe_latencies"]
    while not stop.is_set():
        start = time.time()
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/healthz")
            r = c.getresponse()
            r.read()
            c.close()
            if r.status != 200:
                stats["probe_failures"] += 1
        except OSError:
            stats["probe_failures"] += 1
        latencies.append(time.time() - start)
        time.sleep(0.05)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--slow", type=int, default=64)
    p.add_argument("--flood", type=int, default=2)
    p.add_argument("--seconds", type=float, default=20)
    a = p.parse_args()
    stats = {"slow_connects": 0, "slow_connect_errors": 0, "slow_answers": {}, "flood_answers": {},
             "flood_errors": 0, "probe_latencies": [], "probe_failures": 0}
    stop = threading.Event()
    threads = [threading.Thread(target=slowloris, args=(a.port, a.slow, stop, stats))]
    threads += [threading.Thread(target=flood, args=(a.port, stop, stats)) for _ in range(a.flood)]
    threads += [threading.Thread(target=probe, args=(a.port, stop, stats))]
    for t in threads:
        t.start()
    time.sleep(a.seconds)
    stop.set()
    for t in threads:
        t.join()
    lat = sorted(stats.pop("probe_latencies"))
    pick = lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))] * 1000, 1) if lat else None
    stats["probe"] = {"count": len(lat), "max_ms": pick(1.0), "p50_ms": pick(0.5), "p99_ms": pick(0.99)}
    print(json.dumps(stats, sort_keys=True))


if __name__ == "__main__":
    main()
