#!/usr/bin/env python3
"""Checks that every #include in the library points down the layers of
docs/ARCHITECTURE.md (or stays in its own layer). Run by CTest (`layering`).

  python3 tools/scripts/check_layers.py [REPO_ROOT]
  python3 tools/scripts/check_layers.py --self-test   (the checker catches what it must)

Prints each upward include as FILE:LINE: LAYER -> LAYER (HEADER) and exits 1
when there is one.
"""
import pathlib
import re
import sys

# Lowest first. A public header (include/mdn/X.hpp) and a source folder each
# belong to one layer; a source folder belongs to exactly one (no file-level
# exceptions), so the folders are the layers. The CPU and CUDA backends share
# one layer and include neither each other nor anything above them.
LAYERS = [
    ("types", ["mdn/error.hpp", "mdn/matrix.hpp", "mdn/spec.hpp", "mdn/device.hpp", "mdn/dataset.hpp",
               "mdn/train_options.hpp", "mdn/standardizer.hpp", "mdn/model.hpp", "mdn/mixture.hpp", "mdn/pit_map.hpp", "mdn/target_transform.hpp", "mdn/spelling.hpp",
               "mdn/detail/", "src/core/"]),
    ("math", ["mdn/predictive.hpp", "mdn/sampling.hpp", "mdn/metrics.hpp", "mdn/conformal.hpp", "mdn/synthetic.hpp", "mdn/grid.hpp",
              "mdn/joint_cdf.hpp", "mdn/recalibration.hpp", "mdn/conditional.hpp", "mdn/transform_fit.hpp", "src/math/"]),
    ("io", ["mdn/csv.hpp", "mdn/csv_stream.hpp", "mdn/columns.hpp", "mdn/feature_encoding.hpp", "mdn/atomic_file.hpp", "mdn/model_io.hpp", "mdn/model_info.hpp", "mdn/checkpoint.hpp", "src/io/"]),
    ("distributed", ["mdn/communicator.hpp", "mdn/sharded_data.hpp", "src/distributed/"]),
    ("backend", ["mdn/backend.hpp", "src/backend/"]),
    ("backends", ["src/cpu/", "src/cuda/", "kernels/"]),
    ("inference", ["mdn/inference.hpp", "src/inference/"]),
    ("train", ["mdn/trainer.hpp", "mdn/calibration.hpp", "mdn/tuner.hpp", "src/train/"]),
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


# Folders of one layer that must not include each other.
SIBLINGS = [("src/cpu/", "src/cuda/"), ("src/cpu/", "kernels/")]


def sibling_of(a, b):
    return any((a.startswith(x) and b.startswith(y)) or (a.startswith(y) and b.startswith(x)) for x, y in SIBLINGS)


def check(root):
    """The problems of the tree at `root`, and how many files were read."""
    global ROOT
    ROOT = root
    problems = []
    files = [p for d in ("include", "src", "kernels", "tools/mdn") for p in (root / d).rglob("*")
             if p.suffix in (".hpp", ".cpp", ".cu", ".cuh", ".h")]
    for path in files:
        rel = path.relative_to(root).as_posix()
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
            elif target and sibling_of(rel, target):
                problems.append(f"{rel}:{number}: sibling folders include each other ({m.group(1)})")
    return problems, len(files)


def self_test():
    """The checker catches an upward include and a sibling include, and passes a clean tree."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        tree = {"include/mdn/matrix.hpp": "", "src/inference/x.hpp": '#include "mdn/matrix.hpp"\n',
                "src/cuda/y.hpp": "", "src/cpu/a.cpp": '#include "mdn/matrix.hpp"\n'}
        for name, text in tree.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        assert check(root)[0] == [], check(root)[0]
        (root / "src/cpu/a.cpp").write_text('#include "inference/x.hpp"\n#include "cuda/y.hpp"\n')
        found = check(root)[0]
        assert len(found) == 2 and "backends -> inference" in found[0] and "sibling" in found[1], found
    print("check_layers: self-test passed")


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        self_test()
        sys.exit(0)
    found, count = check(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[2]))
    for p in found:
        print(p)
    print(f"check_layers: {count} files, {len(found)} upward includes")
    sys.exit(1 if found else 0)
