"""The README's Python example runs exactly as written (in a fresh interpreter, from another folder)."""
import re
import subprocess
import sys

import pytest

from conftest import ROOT


def readme_example():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Python"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_is_five_lines():
    assert len(readme_example().strip().splitlines()) == 5


@pytest.mark.long  # the example simulates the full-size Qwen2.5-0.5B (about a minute)
def test_the_readme_example_runs_as_written(tmp_path):
    # As the README says, with the built package on PYTHONPATH (conftest makes it absolute).
    r = subprocess.run([sys.executable, "-c", readme_example()], cwd=tmp_path, capture_output=True, text=True,
                       timeout=1200)
    assert r.returncode == 0, r.stderr
    assert re.search(r"decode \d+\.\d\d tokens/s, model \d+\.\d\d MiB", r.stdout), r.stdout
    assert "q_proj" in r.stdout and "PL" in r.stdout
