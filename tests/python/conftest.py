import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def pytest_addoption(parser):
    parser.addoption("--fpgallm-bin", default=str(ROOT / "build" / "apps" / "fpgallm"),
                     help="path to the built fpgallm CLI")
    parser.addoption("--data-dir", default=str(ROOT / "data"),
                     help="folder with the shared real data")


@pytest.fixture(scope="session")
def fpgallm_bin(request):
    path = pathlib.Path(request.config.getoption("--fpgallm-bin"))
    if not path.exists():
        pytest.fail(f"fpgallm binary not found at {path}; build first")
    return str(path)


@pytest.fixture(scope="session")
def data_dir(request):
    return pathlib.Path(request.config.getoption("--data-dir"))


def pytest_configure(config):
    config.addinivalue_line("markers", "long: full-size checks (minutes); run with FPGALLM_FULL=1")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("FPGALLM_FULL") == "1":
        return
    skip = pytest.mark.skip(reason="long check: set FPGALLM_FULL=1")
    for item in items:
        if "long" in item.keywords:
            item.add_marker(skip)
