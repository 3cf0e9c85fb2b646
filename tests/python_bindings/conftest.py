"""Tests of the `fpgallm` Python package. CTest runs them with PYTHONPATH=<build>/python (the
package the CMake build assembles); run by hand the same way:
    PYTHONPATH=build/python /usr/bin/python3 -m pytest tests/python_bindings --fpgallm-bin build/apps/fpgallm
Tests marked `long` (full-size models) are skipped unless -m long is given."""
import importlib.util
import os
import pathlib

import matplotlib
import pytest

matplotlib.use("Agg")  # figures render without a display

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
STORIES = DATA / "stories260K" / "stories260K.bin"
STORIES_TOK = DATA / "stories260K" / "tok512.bin"
PLATFORM = ROOT / "configs" / "platform" / "kv260.yaml"
PAPER = ROOT / "configs" / "accel" / "paper_gs64_pe8x8.yaml"


def pytest_addoption(parser):
    parser.addoption("--fpgallm-bin", default=str(ROOT / "build" / "apps" / "fpgallm"),
                     help="path to the built fpgallm CLI (the Python results are compared with its output)")


def pytest_configure(config):
    config.addinivalue_line("markers", "long: full-size runs (minutes); selected with -m long")
    # Child processes (notebook kernels, the README example) import the same package from any cwd.
    import fpgallm
    os.environ["PYTHONPATH"] = str(pathlib.Path(fpgallm.__file__).resolve().parents[1])
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    # fpgallm.run() caches quantized models as `fpgallm run` does: in an empty folder of this session,
    # never the user's cache (a warm cache would hide a regression).
    import tempfile
    os.environ["FPGALLM_CACHE_DIR"] = tempfile.mkdtemp(prefix="fpgallm-test-cache-")


def pytest_collection_modifyitems(config, items):
    if "long" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="long: run with -m long")
    for item in items:
        if "long" in item.keywords:
            item.add_marker(skip)



def _cli_conftest():
    """tests/python/conftest.py (the CLI tests'), whose fixtures these tests share."""
    spec = importlib.util.spec_from_file_location("fpgallm_cli_conftest", ROOT / "tests" / "python" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fpgallm_bin = _cli_conftest().fpgallm_bin  # the built CLI, as --fpgallm-bin gives it
