#!/usr/bin/env python3
"""Runs the SystemC finalists of `fpgallm sweep --scheduler tcp://HOST:PORT` on a Dask cluster.

One task per point: a worker runs `fpgallm sweep-point SPEC --index I` (or `--base`) as a
subprocess and returns the JSON row it prints. Rows are appended to the sweep's journal as they
finish (one line each, flushed), skipping ids already there, so a rerun resumes and a point that
Dask re-runs after losing a worker is never written twice. Workers need the same fpgallm binary and
sweep spec at the same paths (a shared filesystem or an identical install).

Uses Debian's python3-distributed (apt-get install python3-distributed).
"""
import argparse
import json
import os
import subprocess
import sys
import time


def run_point(exe, spec, index, fidelity=""):
    """Executed on a worker: one point in its own process (SystemC elaborates once per process).
    fidelity: "" for the spec's finalists.fidelity, "cycle" for a DDR-bound finalist's re-run."""
    args = [exe, "sweep-point", spec] + (["--index", index] if index else ["--base"])
    if fidelity:
        args += ["--fidelity", fidelity]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        # A point the simulator rejects is a result, like in the local pool.
        return json.dumps({"systemc_error": r.stderr.strip()[-2000:] or "exit status %d" % r.returncode})
    return r.stdout.strip().splitlines()[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scheduler", required=True, help="tcp://HOST:PORT of the dask-scheduler")
    ap.add_argument("--exe", required=True, help="fpgallm binary (same path on every worker)")
    ap.add_argument("--spec", required=True, help="sweep YAML (same path on every worker)")
    ap.add_argument("--jobs", required=True, help="JSON list of {id, index, fidelity} to run")
    ap.add_argument("--journal", required=True, help="JSON-lines journal the rows are appended to")
    ap.add_argument("--connect-timeout", type=float, default=30.0)
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()

    try:
        from distributed import Client, as_completed
    except ImportError:
        sys.exit("dask_driver: python3-distributed is not installed (apt-get install python3-distributed)")

    with open(a.jobs) as f:
        jobs = json.load(f)
    done = set()
    if os.path.exists(a.journal):
        with open(a.journal) as f:
            for line in f:
                try:
                    done.add(json.loads(line)["id"])
                except (ValueError, KeyError):
                    pass  # a line torn by a kill: that point runs again
    todo = [j for j in jobs if j["id"] not in done]
    try:
        client = Client(a.scheduler, timeout=a.connect_timeout)
    except OSError as e:
        sys.exit("dask_driver: cannot reach the Dask scheduler at %s: %s" % (a.scheduler, e))
    t0 = time.time()
    # pure=False: every point is its own task even when two jobs look alike.
    futures = {client.submit(run_point, a.exe, a.spec, j["index"], j.get("fidelity", ""), pure=False, retries=2): j
               for j in todo}
    n = 0
    with open(a.journal, "a") as out:
        for fut in as_completed(futures):
            j = futures[fut]
            row = json.loads(fut.result())
            row["id"] = j["id"]
            row.setdefault("evaluator", "systemc")
            if j["id"] in done:
                continue
            done.add(j["id"])
            out.write(json.dumps(row) + "\n")
            out.flush()
            n += 1
            if not a.quiet:
                el = time.time() - t0
                print("[dask] %d/%d finalists, %.2f finalists/min" % (n, len(todo), 60.0 * n / el if el else 0),
                      file=sys.stderr, flush=True)
    client.close()


if __name__ == "__main__":
    main()
