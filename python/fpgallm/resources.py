"""Where the shipped configs/ and data/ live, found as the CLI finds them (run/Resources.h):
$FPGALLM_HOME, else the install prefix of the package, else the tree it was built from."""
from pathlib import Path

from . import _fpgallm

RESOURCE_ROOT_ENV = "FPGALLM_HOME"


def resource_root() -> Path:
    """The folder holding `configs/` and `data/` (never the working directory)."""
    return Path(_fpgallm.sim.resource_root())


def resource_path(rel) -> Path:
    """`rel` ("configs/platform/kv260.yaml") below resource_root()."""
    return resource_root() / rel


def find_file(path) -> Path:
    """`path` as given when it exists or is absolute, else the same relative path below resource_root()
    when it is there (else as given, so the error names what was typed)."""
    return Path(_fpgallm.sim.find_file(str(path)))
