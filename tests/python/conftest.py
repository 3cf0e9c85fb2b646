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


@pytest.fixture(scope="session", autouse=True)
def private_quant_cache(tmp_path_factory):
    """`fpgallm run` caches quantized models; tests use their own folder, never the user's cache."""
    old = os.environ.get("FPGALLM_CACHE_DIR")
    os.environ["FPGALLM_CACHE_DIR"] = str(tmp_path_factory.mktemp("quant_cache"))
    yield
    if old is None:
        os.environ.pop("FPGALLM_CACHE_DIR", None)
    else:
        os.environ["FPGALLM_CACHE_DIR"] = old
