"""Every shell command in README.md and docs/*.md runs as written, from a folder laid out like the
repository root (configs/, data/, scripts/, tests/ and build/ with the built binaries, everything
else empty: nothing from an earlier run), on an empty cache of quantized models.

Each command the docs show must be listed in COMMANDS (a new one fails `test_every_doc_command_is_listed`
until it is), with how the suite runs it:
- as written, in the fast suite;
- `long`: as written only with FPGALLM_FULL=1 (minutes); the fast suite runs the same command with
  its prompt/decode lengths reduced (`reduced`: text replacements, nothing else changes);
- `elsewhere`: a command the suite cannot run from inside itself (the test command), with where it runs.
Placeholders a reader replaces (a cluster's HOST, a shared folder, a system prefix) are substituted
(PLACEHOLDERS). Commands of one document run in its order in one folder, as a reader would type them
(docs/dse.md's `run --accel results/gs_pe/best.yaml` uses the sweep before it).
"""
import dataclasses
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TIMEOUT_S = 1800
FAST_TIMEOUT_S = 600


@dataclasses.dataclass
class Plan:
    reduced: list = dataclasses.field(default_factory=list)  # (old, new) text replacements for the fast suite
    long: bool = False         # as written only with FPGALLM_FULL=1
    elsewhere: str = ""        # not run here; says where it runs
    background: bool = False   # a server the next commands use (started, left running, killed at the end)
    expect: str = ""           # a regex its stdout + stderr must match


SHORT_RUN = [("--prompt-len 64 --gen 32", "--prompt-len 8 --gen 2")]

COMMANDS = {
    # README.md
    "scripts/setup.sh && build/apps/fpgallm run": Plan(
        reduced=[("scripts/setup.sh && ", "")], long=False,
        expect=r"decode tokens/s"),
    "scripts/test.sh": Plan(elsewhere=".ci/run runs it on a fresh clone (this test is part of it)"),
    "build/apps/fpgallm run --platform configs/platform/kv260.yaml --accel configs/accel/paper_gs64_pe8x8.yaml "
    "--model synthetic:qwen2.5-0.5b --prompt-len 64 --gen 32 --out results/paper": Plan(reduced=SHORT_RUN, long=True),
    "build/apps/fpgallm run --fidelity fast --gen 16": Plan(expect=r"decode tokens/s"),
    "build/apps/fpgallm run --model configs/model/qwen2.5-7b.yaml --accel configs/accel/paper_gs64_pe8x8_act128k.yaml "
    "--timing-only --fidelity fast --gen 4": Plan(expect=r"decode tokens/s"),
    "build/apps/fpgallm validate --out docs/validation.md": Plan(expect=r"wrote docs/validation.md"),
    "build/apps/fpgallm generate --model data/stories260K/stories260K.bin --tokenizer data/stories260K/tok512.bin "
    "--temperature 0": Plan(),
    "build/apps/fpgallm quantize --model data/stories260K/stories260K.bin --tokenizer data/stories260K/tok512.bin "
    "--method awq --group-size 32 --out results/s.fpk": Plan(),
    "build/apps/fpgallm emit-hls --accel configs/accel/paper_gs64_pe8x8.yaml --out build/hls/paper "
    "--vectors synthetic:qwen2.5-0.5b --proj gate_proj --tokens 4": Plan(),
    "build/apps/fpgallm sweep configs/sweep/gs_pe.yaml --out results/gs_pe": Plan(expect=r"best: "),
    "build/apps/fpgallm sweep configs/sweep/gs_pe.yaml --out results/gs_pe --scheduler tcp://HOST:8786": Plan(
        expect=r"best: "),
    "PYTHONPATH=build/python /usr/bin/python3 example.py": Plan(expect=r"decode \d+\.\d\d tokens/s"),
    "sudo cmake --install build --prefix /usr/local": Plan(),
    # docs/dse.md
    "build/apps/fpgallm sweep configs/sweep/gs_pe.yaml --out results/gs_pe --no-systemc": Plan(expect=r"best: "),
    "build/apps/fpgallm run --accel results/gs_pe/best.yaml --fidelity fast": Plan(expect=r"decode tokens/s"),
    "build/apps/fpgallm sweep configs/sweep/gs_pe.yaml --out results/gs_pe --jobs 2": Plan(expect=r"best: "),
    "dask-scheduler --host 0.0.0.0 --port 8786": Plan(background=True),
    "dask-worker tcp://HEAD:8786 --nthreads 1 --nworkers 2": Plan(background=True),
    "build/apps/fpgallm sweep /shared/configs/sweep/gs_pe.yaml --out results/gs_pe --scheduler tcp://HEAD:8786": Plan(
        expect=r"best: "),
    # docs/hls.md
    "build/apps/fpgallm emit-hls --accel configs/accel/paper_gs64_pe8x8.yaml --out build/hls/paper": Plan(),
    "build/apps/fpgallm emit-hls --accel results/gs_pe/best.yaml --out build/hls/best --vectors synthetic:qwen2.5-0.5b "
    "--proj gate_proj --layer 0 --tokens 4": Plan(),
    # docs/quantization.md
    "build/apps/fpgallm eval ppl --model data/stories260K/stories260K.bin --tokenizer data/stories260K/tok512.bin "
    "--text configs/calib/stories260k_eval.txt": Plan(expect=r"perplexity"),
    "build/apps/fpgallm eval compare --model data/stories260K/stories260K.bin --quantized results/s.fpk "
    "--tokenizer data/stories260K/tok512.bin --text configs/calib/stories260k_eval.txt": Plan(expect=r"KL"),
    "build/apps/fpgallm eval wnli --model data/stories260K/stories260K.bin --tokenizer data/stories260K/tok512.bin "
    "--data tests/fixtures/wnli/dev.tsv": Plan(expect=r"WNLI accuracy"),
    "build/apps/fpgallm eval awq-table --out docs/quantization_table.md": Plan(long=True, expect=r"wrote "),
    # docs/simulator.md
    "OMP_NUM_THREADS=1 build/bench/bench_sim_decode --configs paper,1ch,16x8,8x16": Plan(
        long=True, reduced=[("--configs paper,1ch,16x8,8x16", "--configs 1ch --decode 1")]),
    "build/bench/bench_sim_decode --configs paper": Plan(),
}
COMMANDS["build/apps/fpgallm eval awq-table --out docs/quantization_table.md"].reduced = []  # no size options


def shell_blocks(text):
    """Fenced blocks without a language or marked as shell: commands (diagrams and output are ```text)."""
    for m in re.finditer(r"^```([A-Za-z]*)\n(.*?)^```", text, re.S | re.M):
        if m.group(1) in ("", "sh", "bash", "shell", "console"):
            yield text[:m.start()].count("\n") + 2, m.group(2)


def doc_commands():
    """(doc, line, command) for each command line of the docs' shell blocks: continuations joined,
    trailing `# comments` dropped, blank and comment lines skipped."""
    out = []
    for doc in DOCS:
        for first, body in shell_blocks(doc.read_text()):
            pending, start = "", None
            for i, raw in enumerate(body.splitlines()):
                line = raw.rstrip()
                if start is None:
                    start = first + i
                cont = line.endswith("\\")
                pending += " " + (line[:-1] if cont else line)
                if cont:
                    continue
                cmd = re.sub(r"\s+#.*$", "", pending).strip()
                cmd = re.sub(r"\s+", " ", cmd)
                if cmd and not cmd.startswith("#"):
                    out.append((doc.relative_to(ROOT).as_posix(), start, cmd))
                pending, start = "", None
    return out


ALL = doc_commands()


def test_every_doc_command_is_listed():
    missing = [f"{d}:{n}: {c}" for d, n, c in ALL if c not in COMMANDS]
    assert not missing, "commands in the docs that the suite does not run (add them to COMMANDS):\n" + "\n".join(missing)
    stale = sorted(set(COMMANDS) - {c for _, _, c in ALL})
    assert not stale, "COMMANDS lists commands no doc shows any more:\n" + "\n".join(stale)


def test_the_test_command_is_what_ci_runs():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/test.sh" in ci
    assert "scripts/setup.sh" in (ROOT / "scripts" / "test.sh").read_text()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Workspace:
    """A folder laid out like the repository root for one document's commands, with their servers."""

    def __init__(self, tmp, build_dir):
        self.root = tmp
        self.build_dir = build_dir
        for name in ("configs", "data", "scripts", "tests", "dse", ".ci"):
            (tmp / name).symlink_to(ROOT / name)
        (tmp / "build").mkdir()
        for name in ("apps", "bench", "python"):
            if (build_dir / name).exists():
                (tmp / "build" / name).symlink_to(build_dir / name)
        (tmp / "docs").mkdir()
        # README's Python example, saved as the file the README runs it from.
        text = (ROOT / "README.md").read_text()
        section = text[text.index("## Python"):]
        (tmp / "example.py").write_text(re.search(r"```python\n(.*?)```", section, re.S).group(1))
        self.port = free_port()
        self.servers = []
        self.env = dict(os.environ)
        self.env["FPGALLM_CACHE_DIR"] = str(tmp / "cache")  # empty: every quantization runs cold
        self.env["PYTHONPATH"] = str(build_dir / "python")

    def substitute(self, cmd):
        for old, new in (("tcp://HOST:8786", f"tcp://127.0.0.1:{self.port}"),
                         ("tcp://HEAD:8786", f"tcp://127.0.0.1:{self.port}"),
                         ("--host 0.0.0.0 --port 8786", f"--host 127.0.0.1 --port {self.port} --dashboard-address :0"),
                         ("--nworkers 2", f"--nworkers 2 --dashboard-address :0 --local-directory {self.root}/dask"),
                         ("/shared/configs/", "configs/"),
                         ("sudo cmake --install build --prefix /usr/local",
                          f"cmake --install {self.build_dir} --prefix {self.root}/prefix")):
            cmd = cmd.replace(old, new)
        return cmd

    def ensure_cluster(self):
        """The Dask cluster a command addressed to tcp://HOST expects: a scheduler and two workers on loopback."""
        if not self.servers:
            self.start(self.substitute("dask-scheduler --host 0.0.0.0 --port 8786"))
            self.start(self.substitute("dask-worker tcp://HEAD:8786 --nthreads 1 --nworkers 2"))

    def start(self, cmd):
        log = open(self.root / f"server{len(self.servers)}.log", "w")
        p = subprocess.Popen(cmd, shell=True, cwd=self.root, env=self.env, stdout=log, stderr=log,
                             start_new_session=True)
        self.servers.append((p, log))
        if cmd.startswith("dask-worker"):
            from distributed import Client
            deadline = time.time() + 120
            with Client(f"tcp://127.0.0.1:{self.port}", timeout=60) as c:
                while len(c.scheduler_info()["workers"]) < 2:
                    assert time.time() < deadline, (self.root / "server1.log").read_text()[-2000:]
                    time.sleep(0.2)

    def run(self, cmd, timeout):
        return subprocess.run(cmd, shell=True, cwd=self.root, env=self.env, capture_output=True, text=True,
                              timeout=timeout)

    def close(self):
        for p, log in self.servers:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            log.close()


def run_document(doc, fpgallm_bin, tmp_path, as_written):
    """Runs a document's commands in order; returns what ran. `as_written`: the long form of every
    command; else the fast suite's (reduced where a command is long)."""
    build_dir = pathlib.Path(fpgallm_bin).resolve().parents[1]
    ws = Workspace(tmp_path, build_dir)
    ran = []
    try:
        for d, line, cmd in ALL:
            if d != doc:
                continue
            plan = COMMANDS[cmd]
            if plan.elsewhere:
                continue
            actual = cmd
            if plan.long and not as_written:
                for old, new in plan.reduced:
                    assert old in actual, f"{d}:{line}: reduction '{old}' no longer matches: {cmd}"
                    actual = actual.replace(old, new)
                if actual == cmd:
                    continue  # nothing to reduce: runs with FPGALLM_FULL=1 only
            elif plan.reduced and not plan.long:
                for old, new in plan.reduced:
                    actual = actual.replace(old, new)
            if "tcp://HOST:" in actual:
                ws.ensure_cluster()
            actual = ws.substitute(actual)
            if plan.background:
                ws.start(actual)
                ran.append(actual)
                continue
            t0 = time.time()
            r = ws.run(actual, TIMEOUT_S if as_written else FAST_TIMEOUT_S)
            where = f"{d}:{line}: `{actual}` ({time.time() - t0:.1f} s)"
            print(where)
            assert r.returncode == 0, f"{where} failed with status {r.returncode}:\n{r.stderr[-3000:]}"
            assert "error:" not in r.stderr, f"{where} printed an error:\n{r.stderr[-3000:]}"
            if plan.expect:
                assert re.search(plan.expect, r.stdout + r.stderr), f"{where}: no /{plan.expect}/ in:\n{r.stdout[-2000:]}"
            ran.append(actual)
    finally:
        ws.close()
    return ws, ran


DOC_NAMES = sorted({d for d, _, c in ALL})


@pytest.mark.parametrize("doc", DOC_NAMES)
def test_doc_commands_run(doc, fpgallm_bin, tmp_path):
    ws, ran = run_document(doc, fpgallm_bin, tmp_path, as_written=False)
    if doc == "README.md":
        # The install is usable: the installed binary runs from its prefix, the package imports.
        prefix = ws.root / "prefix"
        r = subprocess.run([str(prefix / "bin" / "fpgallm"), "inspect", "--help"], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr


@pytest.mark.long
@pytest.mark.parametrize("doc", [d for d in DOC_NAMES
                                 if any(COMMANDS[c].long for dd, _, c in ALL if dd == d)])
def test_doc_commands_run_as_written(doc, fpgallm_bin, tmp_path):
    run_document(doc, fpgallm_bin, tmp_path, as_written=True)
