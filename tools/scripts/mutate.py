#!/usr/bin/env python3
"""Seeded-bug (mutation) testing: does the test suite catch small bugs in the
core formulas? (docs/TESTING.md, "Seeded-bug (mutation) testing".)

For every mutation of tools/scripts/mutations.toml, one at a time:
  1. the exact text `find` is replaced by `replace` in its one library file
     (the text must occur exactly once, or the mutation is refused);
  2. the CPU test programs are rebuilt incrementally (cmake --build, -j N);
  3. they run in a fixed order, mdn_tests_cpu, mdn_tests_backend,
     mdn_tests_cli, each with --gtest_fail_fast, stopping at the first that
     fails: the mutation is CAUGHT when a test fails (or a program crashes or
     runs past its time limit), SURVIVED when all three pass, and BUILD-ERROR
     when the mutated source does not compile (a broken entry of the list);
  4. the file is restored byte for byte, in a `finally`, so also on Ctrl-C,
     SIGTERM, a failed build or an error of the harness itself.
At the end the clean tree is rebuilt (so build/ holds no mutated code), the
mutated files are checked against git (`git diff --quiet -- FILES`), and the
table is printed (and written with --markdown / --json).

Not part of CI: it rebuilds the library once per mutation (minutes each).
Run it before resolving a change to the core formulas:

  tools/scripts/mutate.py                     # every mutation, build/ (configured)
  tools/scripts/mutate.py --only grad-mean-sign,std-shard-mean
  tools/scripts/mutate.py --check             # every `find` matches once; nothing built
  tools/scripts/mutate.py --list
  tools/scripts/mutate.py --markdown out.md --json out.json -j 2
  tools/scripts/mutate.py --json after.json --before before.json   # both columns

The build folder must be configured already (docs/TESTING.md gives the
command; CPU-only is enough). Needs Python 3.11 (tomllib).
"""

import argparse
import json
import re
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_LIST = Path(__file__).resolve().with_name("mutations.toml")
# The CPU test programs, in the order they run (fastest first); a mutation is
# caught by the first that fails.
PROGRAMS = ["mdn_tests_cpu", "mdn_tests_backend", "mdn_tests_cli"]
# Only library sources are mutated; tests and tools never are.
MUTABLE_DIRS = ("include/", "src/", "kernels/")


class Terminated(Exception):
    """SIGTERM, turned into an exception so that `finally` restores the source."""


def on_sigterm(signum, frame):
    raise Terminated()


def load_mutations(path):
    with open(path, "rb") as f:
        data = tomllib.load(f)
    mutations = data.get("mutation", [])
    seen = set()
    problems = []
    for m in mutations:
        for key in ("id", "area", "file", "what", "find", "replace"):
            if key not in m:
                problems.append(f"{m.get('id', '?')}: no `{key}`")
        if m.get("id") in seen:
            problems.append(f"{m['id']}: id given twice")
        seen.add(m.get("id"))
        if m.get("find") == m.get("replace"):
            problems.append(f"{m.get('id')}: `replace` is the same as `find`")
        if not str(m.get("file", "")).startswith(MUTABLE_DIRS):
            problems.append(f"{m.get('id')}: {m.get('file')} is not a library source ({', '.join(MUTABLE_DIRS)})")
    if problems:
        sys.exit("mutate: " + path.name + ":\n  " + "\n  ".join(problems))
    return mutations


def check_applies(m):
    """The original text of the mutation's file; exits unless `find` occurs exactly once."""
    path = ROOT / m["file"]
    text = path.read_bytes().decode("utf-8")
    count = text.count(m["find"])
    if count != 1:
        raise SystemExit(f"mutate: {m['id']}: the text to replace occurs {count} times in {m['file']} (must be 1)")
    return text


def run(cmd, cwd, timeout=None, log=None):
    """(exit status, output); status None when it ran past `timeout`."""
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
        out, status = p.stdout.decode("utf-8", "replace"), p.returncode
    except subprocess.TimeoutExpired as e:
        out, status = (e.stdout or b"").decode("utf-8", "replace"), None
    if log is not None:
        log.write(f"$ {' '.join(cmd)}   ({time.monotonic() - start:.1f} s, status {status})\n{out}\n")
        log.flush()
    return status, out


def build(build_dir, jobs, log):
    status, out = run(["cmake", "--build", str(build_dir), "-j", str(jobs), "--target", *PROGRAMS], ROOT, log=log)
    return status == 0, out


def run_programs(build_dir, timeouts, log, gtest_filter=None):
    """('caught', program, first failed test) or ('survived', None, None)."""
    extra = [f"--gtest_filter={gtest_filter}"] if gtest_filter else []
    for prog in PROGRAMS:
        exe = build_dir / "tests" / prog
        status, out = run([str(exe), "--gtest_fail_fast", "--gtest_brief=1", *extra], build_dir / "tests",
                          timeout=timeouts.get(prog), log=log)
        if status is None:
            return "caught", prog, f"(time limit {timeouts[prog]:.0f} s)"
        if status != 0:
            failed = re.findall(r"^\[  FAILED  \] ([^\s,]+)", out, re.M)
            return "caught", prog, failed[0] if failed else f"(exit status {status})"
    return "survived", None, None


def time_programs(build_dir, log):
    """Runs the clean suite once; returns each program's time limit (10x its time + 120 s)."""
    limits = {}
    for prog in PROGRAMS:
        start = time.monotonic()
        status, out = run([str(build_dir / "tests" / prog), "--gtest_brief=1"], build_dir / "tests", log=log)
        took = time.monotonic() - start
        if status != 0:
            sys.exit(f"mutate: the unmutated {prog} fails (status {status}); fix the suite first:\n{out[-3000:]}")
        limits[prog] = 10.0 * took + 120.0
        print(f"  baseline {prog}: {took:.1f} s (limit {limits[prog]:.0f} s)", flush=True)
    return limits


def outcome(r):
    if r is None:
        return "(not run)"
    return f"caught: `{r['test'].rstrip(',')}`" if r["result"] == "caught" else f"**{r['result']}**"


def markdown_table(results, before=None):
    """The results as a Markdown table; with `before` (an earlier run's results), both columns."""
    if before is None:
        lines = ["| # | id | area | file | the bug | result |", "|---|---|---|---|---|---|"]
    else:
        lines = ["| # | id | area | file | the bug | before | after |", "|---|---|---|---|---|---|---|"]
    earlier = {r["id"]: r for r in before or []}
    for i, r in enumerate(results, 1):
        what = r["what"].replace("|", "\\|")
        row = f"| {i} | `{r['id']}` | {r['area']} | `{r['file']}` | {what} | "
        if before is not None:
            row += outcome(earlier.get(r["id"])) + " | "
        lines.append(row + outcome(r) + " |")
    lines.append("")
    if before is not None:
        caught = sum(r["result"] == "caught" for r in earlier.values() if r["id"] in {x["id"] for x in results})
        lines.append(f"Before: caught {caught} of {len(results)}.")
    caught = sum(r["result"] == "caught" for r in results)
    lines.append(f"{'After: c' if before is not None else 'C'}aught {caught} of {len(results)}.")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--list-file", type=Path, default=DEFAULT_LIST, help="the mutations (default: %(default)s)")
    ap.add_argument("--build-dir", type=Path, default=ROOT / "build", help="a configured build folder")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="build jobs (default 2)")
    ap.add_argument("--only", help="comma-separated ids to run")
    ap.add_argument("--check", action="store_true", help="check that every mutation applies; build nothing")
    ap.add_argument("--list", action="store_true", help="print the mutations and exit")
    ap.add_argument("--markdown", type=Path, help="write the table here")
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--before", type=Path, help="an earlier run's --json: the table shows both columns")
    ap.add_argument("--table-only", type=Path, metavar="RESULTS_JSON",
                    help="print the table of an earlier run's --json (with --before: both) and exit")
    ap.add_argument("--log", type=Path, help="build and test output (default: BUILD/mutation.log)")
    ap.add_argument("--gtest-filter", help="run only these tests (to see what one test catches; not for the score)")
    ap.add_argument("--no-final-build", action="store_true", help="leave build/ as the last mutation left it")
    args = ap.parse_args()

    before = json.loads(args.before.read_text()) if args.before else None
    if args.table_only:
        print(markdown_table(json.loads(args.table_only.read_text()), before), end="")
        return 0
    mutations = load_mutations(args.list_file)
    if args.only:
        wanted = args.only.split(",")
        unknown = set(wanted) - {m["id"] for m in mutations}
        if unknown:
            sys.exit(f"mutate: unknown id(s): {', '.join(sorted(unknown))}")
        mutations = [m for m in mutations if m["id"] in wanted]
    for m in mutations:
        check_applies(m)
    if args.list or args.check:
        for m in mutations:
            print(f"{m['id']:32} {m['area']:13} {m['file']}: {m['what']}")
        print(f"{len(mutations)} mutations, each matching its file exactly once")
        return 0

    build_dir = args.build_dir.resolve()
    if not (build_dir / "CMakeCache.txt").exists():
        sys.exit(f"mutate: {build_dir} is not a configured build folder (docs/TESTING.md has the command)")
    files = sorted({m["file"] for m in mutations})
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", *files], cwd=ROOT).returncode != 0
    if dirty:
        sys.exit("mutate: some of the files to mutate have uncommitted changes; commit or stash them first:\n  " +
                 "\n  ".join(files))
    signal.signal(signal.SIGTERM, on_sigterm)
    log_path = args.log or build_dir / "mutation.log"
    results = []
    with open(log_path, "w") as log:
        try:
            print(f"mutate: {len(mutations)} mutations; log in {log_path}", flush=True)
            ok, out = build(build_dir, args.jobs, log)
            if not ok:
                sys.exit(f"mutate: the unmutated tree does not build:\n{out[-3000:]}")
            timeouts = time_programs(build_dir, log)
            for i, m in enumerate(mutations, 1):
                start = time.monotonic()
                path = ROOT / m["file"]
                original = check_applies(m)
                original_bytes = path.read_bytes()
                log.write(f"\n==== {m['id']} ({m['file']})\n")
                try:
                    path.write_bytes(original.replace(m["find"], m["replace"], 1).encode("utf-8"))
                    ok, out = build(build_dir, args.jobs, log)
                    if ok:
                        result, prog, test = run_programs(build_dir, timeouts, log, args.gtest_filter)
                    else:
                        result, prog, test = "build-error", None, None
                finally:
                    path.write_bytes(original_bytes)
                r = dict(m, result=result, program=prog, test=test, seconds=round(time.monotonic() - start, 1))
                del r["find"], r["replace"]
                results.append(r)
                by = f"{prog}: {test}" if prog else ""
                print(f"[{i:2}/{len(mutations)}] {m['id']:32} {result:11} {by}  ({r['seconds']:.0f} s)", flush=True)
        except KeyboardInterrupt:
            print("mutate: interrupted; the source is restored", file=sys.stderr)
        except Terminated:
            print("mutate: terminated; the source is restored", file=sys.stderr)
        finally:
            clean = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", *files], cwd=ROOT).returncode == 0
            if not clean:
                print("mutate: ERROR: the mutated files differ from git after restoring: " + " ".join(files),
                      file=sys.stderr)
            if not args.no_final_build:
                ok, _ = build(build_dir, args.jobs, log)
                print("mutate: rebuilt the unmutated tree" + ("" if ok else " -- FAILED, see the log"), flush=True)

    if results:
        table = markdown_table(results, before)
        print("\n" + table)
        if args.markdown:
            args.markdown.write_text(table)
        if args.json:
            args.json.write_text(json.dumps(results, indent=1) + "\n")
    if not clean:
        return 2
    survived = [r["id"] for r in results if r["result"] != "caught"]
    if survived:
        print("not caught: " + ", ".join(survived))
    return 1 if survived or len(results) < len(mutations) else 0


if __name__ == "__main__":
    sys.exit(main())
