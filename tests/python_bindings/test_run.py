"""fpgallm.run(): the same figures as `fpgallm run --out` for the same run, repeatable in one
interpreter, with numpy logits, a breakdown DataFrame, a stats dict and a trace file."""
import json
import subprocess
import threading
import time

import numpy as np
import pytest

import fpgallm
from conftest import PAPER, PLATFORM, ROOT, STORIES, STORIES_TOK

PROMPT = "Once upon a time"
GEN = 3


def py_run(**kw):
    args = dict(model=STORIES, tokenizer=STORIES_TOK, prompt=PROMPT, gen=GEN, fidelity="fast", progress=False)
    args.update(kw)
    return fpgallm.run(PLATFORM, PAPER, **args)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return py_run(out=tmp_path_factory.mktemp("py"))


@pytest.fixture(scope="module")
def cli_stats(fpgallm_bin, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli")
    r = subprocess.run([fpgallm_bin, "run", "--platform", str(PLATFORM), "--accel", str(PAPER), "--model", str(STORIES),
                        "--tokenizer", str(STORIES_TOK), "--prompt", PROMPT, "--gen", str(GEN), "--fidelity", "fast",
                        "--quiet", "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads((out / "stats.json").read_text())


def test_stats_equal_the_cli_json_for_the_same_run(result, cli_stats):
    assert result.stats == cli_stats


def test_headline_figures_are_the_stats_tree_values(result, cli_stats):
    run = cli_stats["run"]
    assert result.tokens_per_s == run["decode_tokens_per_s"]["value"]
    assert result.prefill_tokens_per_s == run["prefill_tokens_per_s"]["value"]
    assert result.prefill_ms == pytest.approx(run["prefill_ms"]["value"], rel=1e-12)
    assert result.decode_ms_per_token == pytest.approx(run["decode_ms_per_token"]["value"], rel=1e-12)
    assert result.stat("ddr.row_hit_rate") == cli_stats["ddr"]["row_hit_rate"]["value"]
    assert result.tokens_per_s > 0 and result.prefill_tokens_per_s > 0


def test_breakdown_rows_sum_to_the_cli_per_op_stats(result, cli_stats):
    df = result.breakdown
    assert list(df.columns[:8]) == ["op", "layer", "phase", "unit", "calls", "time_ms", "bytes", "bandwidth_gbps"]
    ops = cli_stats["ops"]
    for (phase, op), g in df[df.unit != "SW"].groupby(["phase", "op"], observed=True):
        s = ops[phase][str(op)]
        assert g.time_ns.sum() == pytest.approx(s["time_ns"]["value"], rel=1e-12), (phase, op)
        assert g.bytes.sum() == s["bytes"]["value"]
        assert g.calls.sum() == s["calls"]["value"]
    linear = df[(df.op == "q_proj") & (df.phase == "decode")]
    assert sorted(linear.layer) == list(range(result.model_config["num_hidden_layers"]))
    assert set(linear.unit) == {"PL"}
    assert (linear.bandwidth_gbps > 0).all()


def test_software_stack_rows_equal_the_cli_software_stats(result, cli_stats):
    sw = result.breakdown[result.breakdown.unit == "SW"]
    assert len(sw), "the default platform's software profile charges SW rows"
    for (phase, op), g in sw.groupby(["phase", "op"], observed=True):
        s = cli_stats["ops"][phase]["software"][str(op)]
        assert g.time_ns.sum() == pytest.approx(s["time_ns"]["value"], rel=1e-12), (phase, op)
        assert g.calls.sum() == s["calls"]["value"]


def test_by_op_matches_the_cli_breakdown_table(result, fpgallm_bin):
    r = subprocess.run([fpgallm_bin, "run", "--platform", str(PLATFORM), "--accel", str(PAPER), "--model", str(STORIES),
                        "--tokenizer", str(STORIES_TOK), "--prompt", PROMPT, "--gen", str(GEN), "--fidelity", "fast",
                        "--quiet"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    table = r.stdout.split("== Decode")[1].split("\n\n")[0].splitlines()[2:]
    cli = {(row.split()[0], row.split()[1]): float(row.split()[4].rstrip("%")) for row in table
           if row.split() and row.split()[0] != "total"}
    t = result.by_op("decode")
    assert t.share_pct.sum() == pytest.approx(100.0)
    assert t.op.iloc[0] == "embedding"
    assert {(str(o), u) for o, u in zip(t.op, t.unit)} == set(cli)
    for o, u, share in zip(t.op, t.unit, t.share_pct):
        assert share == pytest.approx(cli[(str(o), u)], abs=0.051), (o, u)


def test_logits_are_numpy_one_row_per_sampled_token(result):
    vocab = result.model_config["vocab_size"]
    assert isinstance(result.logits, np.ndarray) and result.logits.dtype == np.float32
    assert result.logits.shape == (1 + GEN, vocab)
    # Greedy decoding: every sampled token is the argmax of its logits row.
    assert list(np.argmax(result.logits, axis=1)[:len(result.generated)]) == result.generated


def test_footprint_and_trace_are_reported(result):
    fp = result.footprint
    assert 0 < result.model_bytes < fp["fp16_baseline_bytes"]  # AWQ weights stream from DDR
    trace = json.loads(result.trace_path.read_text())
    assert trace["traceEvents"], "empty trace"
    assert (result.out_dir / "stats.json").exists() and (result.out_dir / "stats.csv").exists()


def test_repeated_runs_in_one_interpreter_are_bit_identical(result):
    again = py_run()
    assert again.stats == result.stats
    assert np.array_equal(again.logits, result.logits)
    assert again.trace_path is None


def test_a_model_config_runs_synthetic_weights_of_that_shape():
    tiny = fpgallm.load_model_config("tiny")
    r = py_run(model=tiny, byte_prompt=True, prompt="abc", tokenizer=None, gen=2)
    assert r.logits.shape == (3, 384)
    wider = tiny.replace(**{"model.intermediate_size": 352})
    r2 = py_run(model=wider, byte_prompt=True, prompt="abc", tokenizer=None, gen=2)
    assert r2.stat("ops.decode.gate_proj.macs") == 2 * r.stat("ops.decode.gate_proj.macs")


def test_the_gil_is_released_while_simulating():
    ticks = []
    done = threading.Event()

    def ticker():
        while not done.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    try:
        start = time.monotonic()
        py_run(fidelity="cycle", gen=200)  # long enough (~0.5 s) for the other thread to be scheduled
        end = time.monotonic()
    finally:
        done.set()
        t.join()
    during = [x for x in ticks if start < x < end]
    # With the GIL held for the whole run the other thread could not tick at all in between.
    assert len(during) >= 3, (len(during), end - start)


def test_progress_is_shown_while_running(capsys):
    py_run(gen=2, progress=True)
    err = capsys.readouterr().err
    assert "simulate" in err and "layer" in err


@pytest.mark.parametrize("kw,field", [
    (dict(fidelity="bogus"), "fidelity must be cycle or fast"),
    (dict(gen=-1), "gen must be >= 0"),
    (dict(quant="bogus"), "quant must be rtn or awq"),
    (dict(prompt_len=-3), "prompt_len must be >= 0"),
    (dict(model=ROOT / "no_such_model.bin"), "no_such_model.bin"),
    (dict(tokenizer=ROOT / "no_such_tok.bin"), "no_such_tok.bin: tokenizer not found"),
])
def test_bad_arguments_raise_value_error_naming_them(kw, field):
    with pytest.raises(ValueError, match=field.replace(".", r"\.").replace("(", r"\(")):
        py_run(**kw)


def test_an_impossible_design_point_raises_before_simulating():
    a = fpgallm.load_accel(PAPER).replace(**{"accel.dma.channels": 6})
    with pytest.raises(ValueError, match=r"accel\.dma\.channels = 6"):
        fpgallm.run(PLATFORM, a, STORIES, tokenizer=STORIES_TOK, progress=False)


def test_an_exception_in_the_progress_callback_stops_the_run_and_the_next_run_works(result):
    calls = []

    def stop_at_decode(stage, step, n_steps, layer, n_layers):
        calls.append(stage)
        if stage == "decode":
            raise RuntimeError("stopped by the user")

    with pytest.raises(RuntimeError, match="stopped by the user"):
        py_run(progress=stop_at_decode)
    assert calls.count("decode") == 1 and "prefill" in calls
    assert py_run().stats == result.stats  # a fresh SystemC context after the aborted one


def test_ctrl_c_interrupts_a_long_run():
    import _thread
    timer = threading.Timer(0.2, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            py_run(fidelity="cycle", gen=400, prompt_len=8)
    finally:
        timer.cancel()


def test_a_timing_only_run_gives_the_full_runs_times_without_logits(result):
    t = py_run(timing_only=True)
    assert t.tokens_per_s == result.tokens_per_s and t.prefill_tokens_per_s == result.prefill_tokens_per_s
    assert t.stats["ops"] == result.stats["ops"]
    assert t.logits.size == 0


def test_a_run_caches_its_quantized_model_where_the_cli_finds_it(tmp_path, fpgallm_bin):
    """fpgallm.run() prepares its model through the CLI's run preparation: the quantized model lands in
    the cache, the next Python run and a CLI run read it back, and the figures do not change."""
    cache = tmp_path / "cache"
    first = py_run(cache_dir=cache)
    (entry,) = cache.glob("*.fpk")
    stamp = entry.stat().st_mtime_ns
    again = py_run(cache_dir=cache)
    assert again.stats == first.stats and np.array_equal(again.logits, first.logits)
    r = subprocess.run([fpgallm_bin, "run", "--platform", str(PLATFORM), "--accel", str(PAPER), "--model", str(STORIES),
                        "--tokenizer", str(STORIES_TOK), "--prompt", PROMPT, "--gen", str(GEN), "--fidelity", "fast",
                        "--cache-dir", str(cache)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "loaded quantized model from cache" in r.stderr
    assert entry.stat().st_mtime_ns == stamp  # read, not rewritten
    assert py_run(no_cache=True).stats == first.stats
