"""The package as installed: its version is the CMake project's."""

import importlib.metadata
import re

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


def test_the_version_is_written_once():
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" in config["project"]["dynamic"] and "version" not in config["project"]
