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


<<<<<<< HEAD
def pytest_configure(config):
    config.addinivalue_line("markers", "long: full-size checks (minutes); run with FPGALLM_FULL=1")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("FPGALLM_FULL") == "1":
        return
    skip = pytest.mark.skip(reason="long check: set FPGALLM_FULL=1")
    for item in items:
        if "long" in item.keywords:
            item.add_marker(skip)
=======
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
>>>>>>> 06f3c32 (AWQ follows AutoAWQ by default: 10 clip ratios down to 0.55, weights clamped before quantizing, clip loss on ~512 sub-sampled tokens, scale search on all tokens, calibration concatenated and cut into 512-token blocks; previous behaviour kept as named extras (off); Eigen for the search's matrix products; AutoAWQ export and pre-tokenized calibration in fpgallm quantize; numpy AutoAWQ reference test; disk cache of quantized models in fpgallm run; bench_awq_search)
