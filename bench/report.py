#!/usr/bin/env python3
"""Side-by-side table of an mdn_bench JSON result: CPU and CUDA rows of the
same case, shape and batch on one line, with the CUDA/CPU ratio; then, given
the peer's JSON (bench/peer_pytorch.py --json), its table of ours vs PyTorch.

  python3 bench/report.py build/bench-results/mdn_bench.json [--peer peer.json] [--markdown]

mdn_bench names its rows BM_<Case>/<device>/<shape>/<batch>/manual_time
(bench/bench_common.hpp); rows that skipped show their reason. With
--benchmark_repetitions the median aggregate is used, and the coefficient of
variation across the repetitions is shown. Standard library only.
"""
import argparse
import json


def si(value, unit=""):
    if value is None:
        return "-"
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor * 0.9995:  # so that 999.7k prints as 1 M, not 1e+03 k
            return f"{value / factor:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}".rstrip()


def times(ratio):
    return f"{ratio:.0f}x" if ratio >= 100 else f"{ratio:.3g}x"


def pivot_table(table, device):
    """items/s (bytes/s for copies) on one device: a row per case and shape, a column per batch."""
    batches = sorted({int(batch) for (_, _, batch) in table}, key=int)
    rows = {}
    for (case, shape, batch), by_device in table.items():
        entry = by_device.get(device)
        if entry is None:
            continue
        field = "items_per_second" if "items_per_second" in entry or entry.get("error_occurred") else "bytes_per_second"
        value = "skipped" if entry.get("error_occurred") else si(entry.get(field), "B/s" if field == "bytes_per_second" else "")
        rows.setdefault((case, shape), {})[int(batch)] = value
    used = [b for b in batches if any(b in r for r in rows.values())]
    header = ["case", "shape"] + [str(b) for b in used]
    return header, [[case, shape] + [r.get(b, "") for b in used] for (case, shape), r in rows.items()]


def load_rows(path):
    """{(case, shape, batch): {device: benchmark entry}} in first-seen order. With
    repetitions an entry is the median aggregate, with "cv" (the coefficient
    of variation of items/s, or of bytes/s, across the repetitions) added."""
    with open(path) as f:
        data = json.load(f)
    entries = data.get("benchmarks", [])
    aggregated = any(b.get("aggregate_name") == "median" for b in entries)
    cvs = {b["run_name"]: b.get("items_per_second", b.get("bytes_per_second"))
           for b in entries if b.get("aggregate_name") == "cv"}
    if aggregated:
        entries = [b for b in entries if b.get("aggregate_name") == "median" or b.get("error_occurred")]
    table = {}
    for b in entries:
        run_name = b.get("run_name", b["name"])
        parts = run_name.split("/")
        if len(parts) < 4 or parts[1] not in ("cpu", "cuda"):
            continue
        if run_name in cvs:
            b = dict(b, cv=cvs[run_name])
        key = (parts[0].removeprefix("BM_"), parts[2], parts[3])
        table.setdefault(key, {})[parts[1]] = b
    return data.get("context", {}), table, aggregated


def cell(entry, field, unit):
    if entry is None:
        return "-"
    if entry.get("error_occurred"):
        return "skipped: " + entry.get("error_message", "")
    return si(entry.get(field), unit)


def ours_table(table, aggregated):
    header = ["case", "shape", "batch", "cpu items/s", "cuda items/s", "cuda/cpu", "cpu bytes/s", "cuda bytes/s",
              "cuda fraction of copy"]
    if aggregated:
        header += ["cpu cv", "cuda cv"]
    lines = []
    for (case, shape, batch), by_device in table.items():
        cpu, cuda = by_device.get("cpu"), by_device.get("cuda")
        ratio = "-"
        if cpu and cuda and not cpu.get("error_occurred") and not cuda.get("error_occurred") \
                and cpu.get("items_per_second") and cuda.get("items_per_second"):
            ratio = times(cuda["items_per_second"] / cpu["items_per_second"])
        fraction = cuda.get("fraction_of_copy") if cuda and not cuda.get("error_occurred") else None
        line = [case, shape, batch, cell(cpu, "items_per_second", "/s"), cell(cuda, "items_per_second", "/s"),
                ratio, cell(cpu, "bytes_per_second", "B/s"), cell(cuda, "bytes_per_second", "B/s"),
                f"{fraction:.2f}" if fraction is not None else "-"]
        if aggregated:
            line += [f"{e['cv'] * 100:.1f}%" if e and e.get("cv") is not None else "-" for e in (cpu, cuda)]
        lines.append(line)
    return header, lines


def peer_table(path):
    with open(path) as f:
        peer = json.load(f)
    header = ["case", "ours", "ours /s", "peer /s", "ours/peer"]
    lines = [[r["case"], r["ours_benchmark"], si(r["ours"], "/s"), si(r["peer"], "/s"),
              times(r["ratio"]) if r["ratio"] else "-"] for r in peer["table"]]
    return peer, header, lines


def render(header, lines, markdown):
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(line) + " |" for line in lines]
        return "\n".join(out)
    widths = [max(len(str(x)) for x in column) for column in zip(header, *lines)]
    fmt = lambda line: "  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip()
    return "\n".join([fmt(header), fmt(["-" * w for w in widths])] + [fmt(line) for line in lines])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("ours", help="mdn_bench --benchmark_out JSON")
    p.add_argument("--peer", help="bench/peer_pytorch.py --json output")
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--cpu-only", action="store_true", help="leave out the CUDA columns (a run without a GPU)")
    p.add_argument("--pivot", choices=["cpu", "cuda"],
                   help="instead: items/s on that device, one row per case and shape, one column per batch")
    args = p.parse_args()

    context, table, aggregated = load_rows(args.ours)
    load = context.get("load_avg")
    print(f"mdn_bench: {context.get('date', '?')} on {context.get('host_name', '?')}, {context.get('num_cpus', '?')} CPUs"
          + (f", load average at start {', '.join(f'{x:.2f}' for x in load)}" if load else ""))
    header, lines = pivot_table(table, args.pivot) if args.pivot else ours_table(table, aggregated)
    if args.cpu_only and not args.pivot:
        keep = [i for i, h in enumerate(header) if "cuda" not in h]
        header, lines = [header[i] for i in keep], [[line[i] for i in keep] for line in lines]
        lines = [line for line in lines if line[3] != "-" or line[4] != "-"]  # rows with a CPU side
    print(render(header, lines, args.markdown))
    if args.peer:
        peer, header, lines = peer_table(args.peer)
        print(f"\npeer: torch {peer['torch']} on {peer['device']}, load average {peer['load_avg_start'][0]:.2f} -> "
              f"{peer['load_avg_end'][0]:.2f}; seed loop on {peer['sampling']['sample_seed_loop']['rows']} rows x "
              f"{peer['sampling']['sample_seed_loop']['samples']} draws")
        print(render(header, lines, args.markdown))


if __name__ == "__main__":
    main()
