#!/usr/bin/env python3
"""Summarise an async-profiler "collapsed" profile (one `frame;frame;...;top count` line per stack).

    python3 bench/profile-summary.py PROFILE.collapsed [--top 15] [--json OUT.json] [--title T]

Prints the share of samples (1) by top frame (self time), (2) by selected inclusive groups (a sample
counts for a group when any frame of its stack matches, so the groups overlap), (3) by Strata
package and (4) the Strata methods (io/strata) with the largest inclusive share. Two columns: the
share of all samples, and of the "app" samples, i.e. without those of the JIT compiler and GC
threads (which matter while the JVM is still warming up, not on the request path).
Python 3 standard library only.
"""
import argparse
import json
import re
import sys
from collections import Counter

# (label, regex matched against each frame name, after the async-profiler suffixes are cut off)
GROUPS = [
    ("Strata code (io/strata)", r"^io[/.]strata[/.]"),
    ("  history writer (HistoryWriter)", r"^io[/.]strata[/.]history[/.]HistoryWriter"),
    ("  history recorder (HistoryRecorder)", r"^io[/.]strata[/.]history[/.]HistoryRecorder"),
    ("Jackson", r"^com[/.]fasterxml[/.]jackson[/.]"),
    ("Redis client (io/vertx/redis)", r"^io[/.]vertx[/.]redis[/.]"),
    ("  RESP parsing (RESPParser, ReadableBuffer)", r"^io[/.]vertx[/.]redis[/.]client[/.]impl[/.](RESPParser|ReadableBuffer)"),
    ("Postgres client (io/vertx/pgclient, sqlclient)", r"^io[/.]vertx[/.](pgclient|sqlclient)[/.]"),
    ("  Postgres encoder (PgEncoder)", r"^io[/.]vertx[/.]pgclient[/.]impl[/.]codec[/.]PgEncoder"),
    ("  Postgres decoder (PgDecoder)", r"^io[/.]vertx[/.]pgclient[/.]impl[/.]codec[/.]PgDecoder"),
    ("HTTP server (Vert.x Http1xServer*, Netty HTTP codec)",
     r"^io[/.]vertx[/.]core[/.]http[/.]impl[/.]Http1xServer|^io[/.]netty[/.]handler[/.]codec[/.]http[/.]"
     r"|^io[/.]vertx[/.]core[/.]http[/.]impl[/.]ServerHandler"),
    ("HTTP client (Vert.x HttpClient*, to the upstream)", r"^io[/.]vertx[/.]core[/.]http[/.]impl[/.](Http1xClient|HttpClient|ClientHttp)"),
    ("RESTEasy Reactive / Quarkus HTTP", r"^org[/.]jboss[/.]resteasy[/.]reactive[/.]|^io[/.]quarkus[/.](vertx[/.]http|resteasy)"),
    ("Mutiny", r"^io[/.]smallrye[/.]mutiny[/.]"),
    ("Micrometer", r"^io[/.]micrometer[/.]"),
    ("Netty (all)", r"^io[/.]netty[/.]"),
    ("socket writes (write/writev/send syscalls)",
     r"^(__)?(libc_)?(writev|write|send|sendto|sendmsg)(64)?$|FileDescriptor[/.]write|SocketDispatcher[/.]write"
     r"|IOUtil[/.]write|writevAddresses|writeAddress|sendAddress|__x64_sys_(write|writev|sendto|sendmsg)"),
    ("socket reads (read/readv/recv syscalls)",
     r"^(__)?(libc_)?(read|readv|recv|recvfrom|recvmsg)(64)?$|FileDescriptor[/.]read|SocketDispatcher[/.]read"
     r"|IOUtil[/.]read|readAddress|recvAddress|__x64_sys_(read|readv|recvfrom|recvmsg)"),
    ("epoll (wait/ctl)", r"epoll_wait|epoll_ctl|epollWait|epoll_pwait|EPoll[/.]wait|Native[/.]epoll"),
    ("GC", r"GenCollectedHeap|SerialHeap|DefNewGeneration|TenuredGeneration|G1[A-Z]|ParallelScavenge|PSScavenge"
           r"|PSParallelCompact|GCTaskThread|VM_GenCollect|VM_ParallelGC|CollectedHeap::|MarkSweep|ScavengeRoots"),
    ("JIT compiler", r"CompileBroker|C2Compiler|Compile::|Compilation::|C1_|PhaseIdealLoop|PhaseChaitin|ciEnv"),
    ("JDK logging / JBoss LogManager", r"^org[/.]jboss[/.]logmanager[/.]|^org[/.]jboss[/.]logging[/.]"),
]

SUFFIX = re.compile(r"_\[[a-z0-9]\]$")
LAMBDA = re.compile(r"\$\$Lambda(\$\d+)?(/0x[0-9a-f]+|\.0x[0-9a-f]+)?")
JIT_GC = ("JIT compiler", "GC")


def frame_name(frame):
    return SUFFIX.sub("", frame)


def read(path):
    stacks = []
    total = 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            stack, _, count = line.rpartition(" ")
            try:
                n = int(count)
            except ValueError:
                continue
            frames = [frame_name(x) for x in stack.split(";")]
            stacks.append((frames, n))
            total += n
    return stacks, total


def fold_lambda(frame):
    """Foo$$Lambda$934.0x00007fd299527000.handle -> Foo$$Lambda.handle (the same in every run)."""
    return LAMBDA.sub("$$Lambda", frame)


def summarise(stacks, total, top):
    self_counts = Counter()
    self_app = Counter()
    groups = Counter()
    groups_app = Counter()
    packages = Counter()
    packages_app = Counter()
    methods = Counter()
    methods_app = Counter()
    compiled = [(label, re.compile(rx)) for label, rx in GROUPS]
    app_total = 0
    strata = re.compile(r"^io[/.]strata[/.]")
    for frames, n in stacks:
        hit = {label for label, rx in compiled if any(rx.search(fr) for fr in frames)}
        app = not any(g in hit for g in JIT_GC)
        top_frame = fold_lambda(frames[-1])
        self_counts[top_frame] += n
        for label in hit:
            groups[label] += n
        pkgs = set()
        ms = set()
        for fr in frames:
            if strata.match(fr):
                pkgs.add("/".join(fr.replace(".", "/", 2).split("/")[:3]))
                if "$$Lambda" not in fr:  # the lambda's own frame repeats the lambda$...$N method below it
                    ms.add(fold_lambda(fr))
        for pkg in pkgs:
            packages[pkg] += n
        for m in ms:
            methods[m] += n
        if app:
            app_total += n
            self_app[top_frame] += n
            for label in hit:
                groups_app[label] += n
            for pkg in pkgs:
                packages_app[pkg] += n
            for m in ms:
                methods_app[m] += n

    def share(n, of):
        return round(100.0 * n / of, 2) if of else 0.0

    def entry(key, name, counts, app_counts):
        return {key: name, "samples": counts[name], "percent": share(counts[name], total),
                "percent_of_app": share(app_counts[name], app_total)}

    return {
        "samples": total,
        "app_samples": app_total,
        "top_self": [entry("frame", f, self_counts, self_app) for f, _ in self_counts.most_common(top)],
        "inclusive": [entry("group", label, groups, groups_app) for label, _ in GROUPS],
        "strata_packages_inclusive": [entry("package", p, packages, packages_app) for p, _ in packages.most_common()],
        "strata_methods_inclusive": [entry("method", m, methods, methods_app) for m, _ in methods.most_common(top)],
    }


def render(title, s):
    out = [f"== {title}: {s['samples']} samples, {s['app_samples']} without JIT compiler and GC ('app') =="]

    def lines(heading, entries, key):
        out.append(f"     all %   app %  {heading}")
        for e in entries:
            out.append(f"    {e['percent']:6.2f}  {e['percent_of_app']:6.2f}  {e[key][:150]}")

    lines("top frames (self)", s["top_self"], "frame")
    lines("inclusive groups (a sample counts for every group one of its frames is in)", s["inclusive"], "group")
    if s["strata_packages_inclusive"]:
        lines("Strata packages (inclusive)", s["strata_packages_inclusive"], "package")
    if s["strata_methods_inclusive"]:
        lines("Strata methods (inclusive)", s["strata_methods_inclusive"], "method")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("profile")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--json", help="also write the summary as JSON to this file")
    ap.add_argument("--title", default=None)
    args = ap.parse_args()
    stacks, total = read(args.profile)
    s = summarise(stacks, total, args.top)
    print(render(args.title or args.profile, s))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(dict(s, profile=args.profile, title=args.title), f, indent=1)
    return 0 if total else 1


if __name__ == "__main__":
    sys.exit(main())
