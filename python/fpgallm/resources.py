"""Where the shipped configs/ and data/ live: $FPGALLM_HOME, else the tree the package was built from."""
import os
from pathlib import Path

from . import _paths

RESOURCE_ROOT_ENV = "FPGALLM_HOME"


def resource_root() -> Path:
    """The folder holding `configs/` and `data/` (never the working directory)."""
    env = os.environ.get(RESOURCE_ROOT_ENV)
    return Path(env) if env else Path(_paths.SOURCE_DIR)


def resource_path(rel) -> Path:
    """`rel` ("configs/platform/kv260.yaml") below resource_root()."""
    return resource_root() / rel


def find_file(path) -> Path:
    """`path` as given when it exists, else the same relative path below resource_root()."""
    p = Path(path)
    if p.exists() or p.is_absolute():
        return p
    shipped = resource_path(p)
    return shipped if shipped.exists() else p
