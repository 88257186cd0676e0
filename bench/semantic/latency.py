#!/usr/bin/env python3
"""Latency of the semantic layer against the exact path, in one run, one Strata, one connection.

Kinds, interleaved request by request so all see the same machine:
  miss-exact     unique question with X-Cache-Semantic: off   (the exact path's miss)
  miss-semantic  unique question, semantic on: embedding + candidate search, then the provider
  hit-exact      a stored question again                      (HIT-L1)
  hit-semantic   a paraphrase of a stored question            (HIT-SEMANTIC)
The candidate set is first filled with PRELOAD questions (one context: the worst case for the
search, every miss compares against all of them and the guard refuses the near ones).
Prints one JSON object: per round and kind p50/p99/mean (ms) and the statuses seen.
"""
import http.client
import json
import statistics
import sys
import time

port = int(sys.argv[1])
rounds = int(sys.argv[2])
per_round = int(sys.argv[3])
preload = int(sys.argv[4])
warmup = int(sys.argv[5])
namespace = sys.argv[6]
semantic = sys.argv[7] == "on"

conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)


def ask(text, off=False, store=True):
    body = json.dumps({"model": "gpt-4o-mini", "temperature": 0, "messages": [
        {"role": "system", "content": "You are the help desk of an online shop."},
        {"role": "user", "content": text}]})
    headers = {"Content-Type": "application/json", "Authorization": "Bearer sk-bench", "X-Cache-Namespace": namespace}
    if off:
        headers["X-Cache-Semantic"] = "off"
    if not store:
        headers["X-Cache-TTL"] = "0"  # a miss that stores nothing: the candidate set stays PRELOAD entries
    start = time.perf_counter()
    conn.request("POST", "/v1/chat/completions", body, headers)
    response = conn.getresponse()
    response.read()
    elapsed = (time.perf_counter() - start) * 1000
    if response.status != 200:
        raise SystemExit("HTTP %d for %r" % (response.status, text))
    return elapsed, response.getheader("X-Cache-Status")


def base(n):
    return "How do I reset my password for workspace %d?" % n


def paraphrase(n):
    return "How can I reset my password for workspace %d?" % n


unique = [0]


def fresh():
    unique[0] += 1
    return "Where is the invoice for order %d of my account?" % (900000 + unique[0])


for n in range(preload):
    ask(base(n))
time.sleep(2)  # write-backs (and their vectors) land

kinds = ["miss-exact", "hit-exact"] + (["miss-semantic", "hit-semantic"] if semantic else [])


def one(kind, i):
    n = i % preload
    if kind == "miss-exact":
        return ask(fresh(), off=True, store=False)
    if kind == "miss-semantic":
        return ask(fresh(), store=False)
    if kind == "hit-exact":
        return ask(base(n))
    return ask(paraphrase(n))


def run(count):
    times = {k: [] for k in kinds}
    statuses = {k: {} for k in kinds}
    for i in range(count):
        for kind in kinds:
            ms, status = one(kind, i)
            times[kind].append(ms)
            statuses[kind][status] = statuses[kind].get(status, 0) + 1
    out = {}
    for kind in kinds:
        t = sorted(times[kind])
        out[kind] = {"p50": round(t[len(t) // 2], 3), "p99": round(t[max(0, int(len(t) * 0.99) - 1)], 3),
                     "mean": round(statistics.mean(t), 3), "n": len(t), "statuses": statuses[kind]}
    return out


result = {"cold": run(min(per_round, 50))}
run(warmup)
result["rounds"] = [run(per_round) for _ in range(rounds)]
print(json.dumps(result))
