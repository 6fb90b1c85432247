#!/usr/bin/env python3
"""Checks that every #include in the library points down the layers of
docs/ARCHITECTURE.md (or stays in its own layer). Run by CTest (`layering`).

  python3 tools/scripts/check_layers.py [REPO_ROOT]

Prints each upward include as FILE:LINE: LAYER -> LAYER (HEADER) and exits 1
when there is one.
"""
import pathlib
import re
import sys

# Lowest first. A public header (include/mdn/X.hpp) and a source folder each
# belong to one layer.
LAYERS = [
    ("types", ["mdn/error.hpp", "mdn/matrix.hpp", "mdn/spec.hpp", "mdn/device.hpp", "mdn/dataset.hpp",
               "mdn/train_options.hpp", "mdn/standardizer.hpp", "mdn/model.hpp", "mdn/mixture.hpp",
               "mdn/detail/", "src/core/"]),
    ("math", ["mdn/predictive.hpp", "mdn/sampling.hpp", "mdn/metrics.hpp", "mdn/synthetic.hpp", "mdn/grid.hpp", "src/math/"]),
    ("io", ["mdn/csv.hpp", "mdn/atomic_file.hpp", "mdn/model_io.hpp", "mdn/checkpoint.hpp", "src/io/"]),
    ("dist", ["mdn/communicator.hpp", "mdn/sharded_data.hpp", "src/dist/"]),
    ("backends", ["mdn/backend.hpp", "src/cpu/", "src/cuda/", "kernels/", "src/backend/backend.cpp"]),
    ("inference", ["mdn/inference.hpp", "src/backend/"]),
    ("train", ["mdn/trainer.hpp", "mdn/calibration.hpp", "src/train/"]),
    ("eval", ["mdn/eval_report.hpp", "src/eval/"]),
    ("app", ["tools/mdn/", "src/python/"]),
]


def layer_of(path):
    """Index of the layer a repository path or include name belongs to (longest prefix wins)."""
    best, best_len = None, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            candidates = [prefix, "include/" + prefix] if prefix.startswith("mdn/") else [prefix]
            for p in candidates:
                if path.startswith(p) and len(p) > best_len:
                    best, best_len = index, len(p)
    return best


def resolve(include, source):
    """The repository path an #include "..." names, from the including file."""
    if include.startswith("mdn/"):
        return "include/" + include
    for base in ("src/", "kernels/", str(pathlib.PurePosixPath(source).parent) + "/"):
        candidate = base + include
        if (ROOT / candidate).exists():
            return candidate
    return None


ROOT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[2])
problems = []
files = [p for d in ("include", "src", "kernels", "tools/mdn") for p in (ROOT / d).rglob("*")
         if p.suffix in (".hpp", ".cpp", ".cu", ".cuh", ".h")]
for path in files:
    rel = path.relative_to(ROOT).as_posix()
    own = layer_of(rel)
    if own is None:
        problems.append(f"{rel}: belongs to no layer (add it to tools/scripts/check_layers.py)")
        continue
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
        if not m:
            continue
        target = resolve(m.group(1), rel)
        target_layer = layer_of(target) if target else None
        if target_layer is not None and target_layer > own:
            problems.append(f"{rel}:{number}: {LAYERS[own][0]} -> {LAYERS[target_layer][0]} ({m.group(1)})")
for p in problems:
    print(p)
print(f"check_layers: {len(files)} files, {len(problems)} upward includes")
sys.exit(1 if problems else 0)
