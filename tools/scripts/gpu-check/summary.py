"""The GPU check's summary: summary.json and summary.txt (the table printed
last) from the steps' records ($WORK/steps.tsv), logs and results.

    summary.py WORK OUT MODE COMMIT_FILE
"""
import json
import os
import re
import shlex
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gpu_tests  # noqa: E402


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except Exception:
        return None


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def key_values(path):
    """KEY=VALUE lines (shell-quoted values, as printf %q writes them)."""
    out = {}
    for line in (read(path) or "").splitlines():
        k, sep, v = line.partition("=")
        if sep:
            try:
                out[k] = " ".join(shlex.split(v))
            except ValueError:
                out[k] = v
    return out


def find_key(obj, key):
    """The first number under `key` (depth first), or the first of a list of them."""
    if isinstance(obj, dict):
        v = obj.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
        if isinstance(v, list) and v and isinstance(v[0], (int, float)):
            return float(v[0])
        children = obj.values()
    elif isinstance(obj, list):
        children = obj
    else:
        return None
    for child in children:
        found = find_key(child, key)
        if found is not None:
            return found
    return None


class Summary:
    def __init__(self, work, out, mode):
        self.work, self.out, self.logs = work, out, os.path.join(work, "..", "logs")
        self.s = {"mode": mode, "steps": [], "commit": {}}
        self.notes = {}

    def note(self, step, text):
        self.notes[step] = (self.notes[step] + "; " if step in self.notes else "") + text

    def log(self, step):
        return read(os.path.join(self.logs, step + ".log"))

    def steps(self, commit_file):
        for k, v in key_values_space(commit_file).items():
            self.s["commit"][k] = v
        for line in (read(os.path.join(self.work, "steps.tsv")) or "").splitlines():
            name, status, rc, secs, limit = line.split("\t")
            self.s["steps"].append({"step": name, "status": status, "rc": int(rc), "seconds": float(secs),
                                    "limit_s": int(limit)})

    def preflight(self):
        pf = key_values(os.path.join(self.work, "preflight.env"))
        if not pf:
            return
        self.s["preflight"] = pf
        if "GPU_NAME" in pf:
            self.s["gpu"] = {"name": pf["GPU_NAME"], "memory": pf.get("GPU_MEMORY"), "driver": pf.get("DRIVER")}
            self.note("preflight", f"{pf['GPU_NAME']}, {pf.get('GPU_MEMORY', '?')}, driver {pf.get('DRIVER', '?')}")
        if "PREFLIGHT_STOP" in pf:
            self.note("preflight", "STOP: " + pf["PREFLIGHT_STOP"])
        if "PREFLIGHT_PROBLEM" in pf:
            self.note("preflight", pf["PREFLIGHT_PROBLEM"])
        if "SANITIZER" in pf:
            self.note("preflight", "sanitizer " + ("ok" if pf["SANITIZER"] == "ok"
                                                   else "n/a: " + pf.get("SANITIZER_WHY", "?")))
        self.note("preflight", "NCCL " + ("none" if pf.get("NCCL") == "none" else "found"))

    def version(self):
        text = self.log("version")
        if text:
            lines = [l for l in text.strip().splitlines() if l.strip()]
            self.s["mdn_version"] = lines[:6]
            module = next((l for l in lines if l.startswith("CUDA backend:")), None)
            if module:
                self.note("version", module[:110])

    def ctest(self):
        files = [os.path.join(self.work, f) for f in sorted(os.listdir(self.work)) if re.match(r"ctest.*\.xml$", f)]
        counts = {"passed": 0, "failed": 0, "skipped": 0}
        failed = []
        for path in files:
            try:
                root = ET.parse(path).getroot()
            except (OSError, ET.ParseError):
                continue
            for c in root.iter("testcase"):
                st = c.get("status", "run")
                if c.find("failure") is not None or st == "fail":
                    counts["failed"] += 1
                    failed.append(c.get("name"))
                elif c.find("skipped") is not None or st in ("notrun", "disabled"):
                    counts["skipped"] += 1
                else:
                    counts["passed"] += 1
        if files:
            self.s["ctest"] = dict(counts, failed_tests=failed[:50])
            self.note("ctest", f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
        names = read(os.path.join(self.work, "gpu_tests.txt"))
        if names is not None and files:
            g = gpu_tests.count(names.splitlines(), files)
            self.s["gpu_tests"] = g
            self.note("ctest", f"GPU: {g['run']} run, {g['skipped']} skipped, {g['failed']} failed"
                      + (f", {g['left_out']} left out" if g["left_out"] else ""))

    def sanitizers(self):
        for tool in ("memcheck", "racecheck", "initcheck", "synccheck"):
            log = self.log(tool)
            if log is None:
                continue
            m = re.search(r"ERROR SUMMARY: (\d+) error", log)
            tests = re.search(r"tests matched: (\d+)", log)
            na = re.search(r"^not available here: (.*)$", log, re.M)
            if m:
                self.s[tool] = {"errors": int(m.group(1))}
                self.note(tool, f"{m.group(1)} errors over {tests.group(1) if tests else '?'} tests")
            elif na:
                self.s[tool] = {"not_available": na.group(1)}
                self.note(tool, "not available here")
            elif tests:
                self.note(tool, f"{tests.group(1)} tests in the filter")

    def bench(self):
        bench = load_json(os.path.join(self.work, "mdn_bench.json"))
        if not bench:
            return None
        rows = {}
        for b in bench.get("benchmarks", []):
            if b.get("aggregate_name") not in (None, "median"):
                continue
            name = b.get("run_name", b["name"])
            rows[name] = {k: b[k] for k in ("real_time", "time_unit", "items_per_second", "bytes_per_second",
                                            "fraction_of_copy") if k in b}
            if "error_message" in b:
                rows[name]["error"] = b["error_message"]
        self.s["bench"] = rows
        self.note("bench", f"{len(rows)} rows")
        return rows

    def results(self):
        peer = load_json(os.path.join(self.work, "peer.json"))
        if peer:
            self.s["peer"] = peer.get("table")
            self.note("peer", f"{len(peer.get('cases', {}))} cases on {peer.get('device')}")
        times = load_json(os.path.join(self.work, "weather_times.json"))
        if times:
            self.s["weather"] = dict(times)
            self.note("weather", f"train {times['train_seconds']:.1f} s, eval {times['eval_seconds']:.1f} s "
                                 f"on {times['device']}")
        metrics = load_json(os.path.join(self.work, "weather_metrics.json"))
        if metrics:
            for key in ("nll", "r2", "mae", "crps"):
                v = find_key(metrics, key)
                if v is not None:
                    self.s.setdefault("weather", {})[key] = v
            w = self.s.get("weather", {})
            self.note("weather", ", ".join(f"{k} {w[k]:.4g}" for k in ("nll", "r2", "mae", "crps") if k in w))
        text = self.log("interop")
        if text:
            self.s["interop_tail"] = text.strip().splitlines()[-3:]
        return peer

    def write(self):
        self.preflight()
        self.version()
        self.ctest()
        self.sanitizers()
        rows = self.bench()
        peer = self.results()
        with open(os.path.join(self.out, "summary.json"), "w") as f:
            json.dump(self.s, f, indent=2)
        s, c = self.s, self.s["commit"]
        lines = [f"gpu-check ({s['mode']}) at {c.get('commit', '?')[:12]} "
                 f"(uncommitted files: {c.get('uncommitted_files', '?')})"]
        if "gpu_tests" in s:
            lines.append(gpu_tests.line(s["gpu_tests"]))
        for v in s.get("mdn_version", [])[:4]:
            lines.append("mdn --version: " + v[:150])
        lines.append(f"{'step':13} {'status':8} {'s':>7} {'limit':>6}  notes")
        for st in s["steps"]:
            lines.append(f"{st['step']:13} {st['status']:8} {st['seconds']:7.1f} {st['limit_s']:6d}  "
                         f"{self.notes.get(st['step'], '')}")
        if rows:
            lines += ["", f"{'mdn_bench row':52} {'time':>12} {'items/s':>11} {'of copy':>8}"]
            for name, r in rows.items():
                t = f"{r.get('real_time', 0):.4g} {r.get('time_unit', '')}"
                ips = f"{r['items_per_second']:.4g}" if "items_per_second" in r else (
                    f"{r['bytes_per_second'] / 1e9:.4g} GB/s" if "bytes_per_second" in r else "-")
                frac = f"{r['fraction_of_copy']:.2f}" if "fraction_of_copy" in r else ""
                lines.append(f"{name[:52]:52} {t:>12} {ips:>11} {frac:>8}" + (f"  {r['error']}" if "error" in r else ""))
        if peer and peer.get("table"):
            lines += ["", f"{'peer case':30} {'ours/s':>11} {'peer/s':>11} {'ours/peer':>9}"]
            for r in peer["table"]:
                ours = f"{r['ours']:.4g}" if r.get("ours") else "-"
                ratio = f"{r['ratio']:.2f}x" if r.get("ratio") else "-"
                lines.append(f"{r['case'][:30]:30} {ours:>11} {r['peer']:>11.4g} {ratio:>9}")
        with open(os.path.join(self.out, "summary.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")


def key_values_space(path):
    """`key value` lines (.gpu-check/COMMIT)."""
    out = {}
    for line in (read(path) or "").splitlines():
        k, _, v = line.strip().partition(" ")
        if k:
            out[k] = v
    return out


def main(work, out, mode, commit_file):
    summary = Summary(work, out, mode)
    summary.steps(commit_file)
    summary.write()


if __name__ == "__main__":
    main(*sys.argv[1:5])
