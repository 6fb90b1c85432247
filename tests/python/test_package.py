"""The package as installed: its version is the CMake project's, `import mdn`
leaves the environment alone while its OpenMP runtime sleeps when idle, and
the package's build makes the extension and the `mdn` program, which it
installs (tools/scripts/test-wheel.sh checks the wheel in a fresh
environment)."""

import importlib.metadata
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

import mdn
from conftest import REPO


def cmake_project_version():
    text = (REPO / "CMakeLists.txt").read_text()
    return re.search(r"project\(\s*mdn\s+VERSION\s+([0-9.]+)", text).group(1)


def test_one_version_from_cmake():
    version = cmake_project_version()
    assert mdn.__version__ == version
    assert mdn._core.__version__ == version
    assert importlib.metadata.version("mdn") == version


def run_python(code, env):
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def child_env(**settings):
    """This process's environment without OpenMP's wait settings, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_DISPLAY_ENV")}
    env.update(settings)
    return env


# scikit-learn, which the estimator imports, sets KMP_* variables of its own
# when it is imported; it is imported first so that only mdn's changes show.
ENVIRONMENT_CHILD = """
import json, os, subprocess
import numpy, sklearn
before = dict(os.environ)
import mdn
after = dict(os.environ)
inherited = subprocess.run(["env"], capture_output=True, text=True).stdout.splitlines()
print(json.dumps({
    "changed": sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k)),
    "inherited_policy": [line for line in inherited if line.startswith("OMP_WAIT_POLICY=")],
}))
"""


@pytest.mark.parametrize("policy", [None, "active"])
def test_import_leaves_os_environ_and_the_process_environment_alone(policy):
    env = child_env(**({"OMP_WAIT_POLICY": policy} if policy else {}))
    result = json.loads(run_python(ENVIRONMENT_CHILD, env).stdout)
    assert result["changed"] == []
    # A child process sees the environment the user had.
    assert result["inherited_policy"] == ([f"OMP_WAIT_POLICY={policy}"] if policy else [])


def first_openmp_report(stderr):
    """The first OMP_DISPLAY_ENV report on stderr (mdn._core's libgomp: the
    extension loads before anything else the package imports)."""
    start = stderr.index("OPENMP DISPLAY ENVIRONMENT BEGIN")
    return stderr[start : stderr.index("OPENMP DISPLAY ENVIRONMENT END", start)]


def test_idle_openmp_threads_sleep_unless_the_user_chose_a_policy():
    # libgomp reports the policy and its spin count once, when it loads;
    # passive is a spin count of 0 (unset: 300000, active: 30000000000).
    passive = first_openmp_report(run_python("import mdn", child_env(OMP_DISPLAY_ENV="verbose")).stderr)
    assert "OMP_WAIT_POLICY = 'PASSIVE'" in passive and "GOMP_SPINCOUNT = '0'" in passive, passive
    active = first_openmp_report(
        run_python("import mdn", child_env(OMP_DISPLAY_ENV="verbose", OMP_WAIT_POLICY="active")).stderr
    )
    assert "OMP_WAIT_POLICY = 'ACTIVE'" in active, active


def test_the_package_build_makes_the_extension_and_the_program_only():
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    build = config["tool"]["scikit-build"]
    assert build["build"]["targets"] == ["_core", "mdn_cli"]
    assert build["cmake"]["define"]["MDN_BUILD_TESTS"] == "OFF"
    assert build["cmake"]["define"]["MDN_BUILD_BENCH"] == "OFF"
    assert "version" in config["project"]["dynamic"] and "version" not in config["project"]
    package_cmake = (REPO / "src" / "python" / "CMakeLists.txt").read_text()
    assert "add_executable" not in package_cmake  # the program is the project's own mdn_cli


def test_the_package_installs_the_mdn_program():
    """`pip install .` alone gives the CLI: bin/mdn of the environment runs the
    program shipped in the package (mdn/bin/mdn), of the package's version."""
    package = pathlib.Path(mdn.__file__).parent
    program = package / "bin" / "mdn"
    assert program.is_file() and os.access(program, os.X_OK)
    launcher = pathlib.Path(sys.executable).parent / "mdn"
    assert launcher.is_file(), "no mdn in the environment's bin/"
    for exe in (launcher, program):
        done = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"mdn {mdn.__version__}\n"), done.stdout
    # The program finds the library it needs beside the extension, not in the build tree.
    if shutil.which("ldd"):
        libraries = subprocess.run(["ldd", str(program)], capture_output=True, text=True).stdout
        line = next(line for line in libraries.splitlines() if "libmdn_openmp_wait_policy" in line)
        assert str(package.resolve()) in str(pathlib.Path(line.split("=>")[1].split("(")[0].strip()).resolve())
