"""Counts the GPU tests in CTest's JUnit files: run (passed, failed), skipped,
and left out, so that a GPU run cannot pass by skipping.

    gpu_tests.py --mode device|dry-run --names GPU_TESTS.txt --json OUT.json CTEST.xml...

GPU_TESTS.txt names the GPU tests, one a line (`ctest -N -L gpu` and the
backend contract's CUDA half, `<CudaBackend>`). RequireGpu.* are not GPU
tests (they prove MDN_REQUIRE_GPU works and run everywhere). In device mode
the exit status is 1 when any GPU test was skipped or failed, or none ran.
The summary (summary.py) imports count() for its table.
"""
import argparse
import json
import re
import sys
import xml.etree.ElementTree as ET


def skip_reason(case):
    out = case.findtext("system-out") or ""
    m = re.search(r"Skipped\n(.*)", out)
    return (m.group(1) if m else "").strip()[:300]


def count(names, xml_files):
    gpu = {n for n in names if n and not n.startswith("RequireGpu.")}
    seen = {}
    for path in xml_files:
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError):
            continue
        for case in root.iter("testcase"):
            name = case.get("name")
            if name not in gpu:
                continue
            status = case.get("status", "run")
            if case.find("failure") is not None or status == "fail":
                seen[name] = ("failed", "")
            elif case.find("skipped") is not None or status in ("notrun", "disabled"):
                seen[name] = ("skipped", skip_reason(case))
            else:
                seen[name] = ("passed", "")
    result = {"gpu_tests": len(gpu), "passed": 0, "failed": 0, "skipped": 0,
              "left_out": len(gpu - set(seen)), "failed_tests": [], "skipped_tests": []}
    for name, (status, reason) in sorted(seen.items()):
        result[status] += 1
        if status == "failed":
            result["failed_tests"].append(name)
        elif status == "skipped":
            result["skipped_tests"].append({"test": name, "reason": reason})
    result["run"] = result["passed"] + result["failed"]
    result["left_out_tests"] = sorted(gpu - set(seen))[:20]
    result["failed_tests"] = result["failed_tests"][:50]
    result["skipped_tests"] = result["skipped_tests"][:20]
    return result


def line(c):
    return (f"GPU tests: {c['run']} run ({c['passed']} passed, {c['failed']} failed), "
            f"{c['skipped']} skipped, {c['left_out']} left out, of {c['gpu_tests']}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", required=True)
    ap.add_argument("--names", required=True)
    ap.add_argument("--json")
    ap.add_argument("xml", nargs="+")
    a = ap.parse_args()
    names = [n.strip() for n in open(a.names)]
    c = count(names, a.xml)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(c, f, indent=2)
    print(line(c))
    for s in c["skipped_tests"][:5]:
        print(f"  skipped: {s['test']}: {s['reason']}")
    for n in c["left_out_tests"][:5]:
        print(f"  left out: {n}")
    if a.mode == "device":
        if c["skipped"] > 0:
            print("a skipped GPU test is a failure on the device (MDN_REQUIRE_GPU should have failed it)")
            return 1
        if c["failed"] > 0 or c["run"] == 0:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
