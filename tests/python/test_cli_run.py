"""`fpgallm run` end to end on the stories260K model: printed tables, output files, determinism,
packed models, and clean rejection of impossible configs and bad options."""
import copy
import csv
import json
import pathlib
import re
import subprocess

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
PLATFORM = ROOT / "configs" / "platform" / "kv260.yaml"
PAPER = ROOT / "configs" / "accel" / "paper_gs64_pe8x8.yaml"
BASELINE = ROOT / "configs" / "accel" / "baseline_ps_only.yaml"

LINEARS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
PS_OPS = ["embedding", "attn_norm", "rope", "attn_score", "softmax", "attn_value", "residual_add",
          "mlp_norm", "silu_mul", "final_norm", "sampling"]
STATS_SECTIONS = {"ddr", "axi", "accel", "ps", "ops", "run"}
PROMPT = "Once upon a time"  # 5 tokens with tok512 (BOS included)
TIMEOUT_S = 60


def stories(data_dir):
    d = data_dir / "stories260K"
    return ["--model", str(d / "stories260K.bin"), "--tokenizer", str(d / "tok512.bin")]


def run(fpgallm_bin, data_dir, *extra, model=None, gen=3, fidelity="fast", platform=PLATFORM, accel=PAPER):
    args = [fpgallm_bin, "run", "--platform", str(platform), "--accel", str(accel), "--prompt", PROMPT,
            "--gen", str(gen), "--quiet"]
    args += stories(data_dir) if model is None else ["--model", str(model), "--tokenizer",
                                                        str(data_dir / "stories260K" / "tok512.bin")]
    if fidelity:
        args += ["--fidelity", fidelity]
    return subprocess.run(args + list(extra), capture_output=True, text=True, timeout=TIMEOUT_S)


def assert_clean_failure(r, *mentions):
    """Exit code 2 (fpgallm::Error), one message on stderr, no crash, no partial report."""
    assert r.returncode > 0, f"rc={r.returncode} stderr={r.stderr}"
    for bad in ("Traceback", "terminate called", "Aborted", "Segmentation", "what():"):
        assert bad not in r.stderr
    assert "== Summary ==" not in r.stdout
    for m in mentions:
        assert m in r.stderr, f"{m!r} not in stderr: {r.stderr}"


def table(stdout, title):
    """Rows of the breakdown table under the heading that starts with `title`: op -> columns."""
    lines = stdout.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith(f"== {title}"))
    header = lines[start + 1].split()
    assert header == ["op", "unit", "calls", "ms", "%", "bytes", "GB/s"], header
    rows = {}
    for line in lines[start + 2:]:
        if not line.strip() or line.startswith("=="):
            break
        cols = line.split()
        rows[cols[0]] = cols
    return rows


def summary(stdout):
    """Summary rows: label -> the cells after it."""
    lines = stdout.splitlines()
    start = lines.index("== Summary ==")
    out = {"": lines[start + 1].split()}
    for line in lines[start + 2:]:
        m = re.match(r"^(.{34}) (.*)$", line)
        if not m or not line.strip():
            break
        out[m.group(1).strip()] = m.group(2).split()
    return out


def leaves(node, prefix=""):
    """Flattens the stats tree: 'ddr.row_hits' -> {'value', 'unit', 'desc'?}."""
    out = {}
    for k, v in node.items():
        if isinstance(v, dict) and "value" in v and not isinstance(v["value"], dict):
            out[prefix + k] = v
        else:
            assert isinstance(v, dict), f"{prefix}{k} is neither a stat nor a group"
            out.update(leaves(v, prefix + k + "."))
    return out


@pytest.fixture
def reference_for_stories(tmp_path):
    """Published figures declared for stories260K's shape, so the published column appears."""
    ref = yaml.safe_load((ROOT / "configs" / "reference" / "xiang2025.yaml").read_text())
    ref["model"] = {"hidden_size": 64, "num_hidden_layers": 5, "vocab_size": 512}
    ref["accelerated"]["decode_tokens_per_s"] = 123.4
    ref["baseline"]["decode_tokens_per_s"] = 5.6
    p = tmp_path / "reference.yaml"
    p.write_text(yaml.safe_dump(ref))
    return p


def test_run_prints_both_breakdowns_and_the_summary_with_published_figures(fpgallm_bin, data_dir,
                                                                            reference_for_stories):
    r = run(fpgallm_bin, data_dir, "--reference", str(reference_for_stories), fidelity="cycle")
    assert r.returncode == 0, r.stderr
    assert "== Prefill: 5 tokens ==" in r.stdout
    assert "== Decode: 3 steps" in r.stdout
    for title, calls_per_layer in (("Prefill", 1), ("Decode", 3)):
        rows = table(r.stdout, title)
        for op in LINEARS:
            assert rows[op][1] == "PL", (title, rows[op])
            assert int(rows[op][2]) == 5 * calls_per_layer  # one call per layer (5) per pass
            assert float(rows[op][3]) > 0 and int(rows[op][5]) > 0
        for op in PS_OPS:
            assert rows[op][1] == "PS", (title, rows[op])
        assert rows["lm_head"][1] == "PS"  # paper config: tied fp16 lm_head stays on the PS
        total_ms = float(rows["total"][2])
        assert sum(float(rows[op][3]) for op in rows if op != "total") == pytest.approx(total_ms, abs=0.02)
    s = summary(r.stdout)
    assert s[""] == ["simulated", "published"]
    prefill_tps, decode_tps = float(s["prefill tokens/s"][0]), float(s["decode tokens/s"][0])
    assert prefill_tps > 0 and decode_tps > 0
    assert s["decode tokens/s"][1] == "123.4"
    assert s["baseline decode tokens/s"][1] == "5.6"
    ms_per_token = float(s["decode time per token (ms)"][0])
    assert 1000.0 / ms_per_token == pytest.approx(decode_tps, rel=2e-3)
    assert 5 / float(s["prefill time (ms)"][0]) * 1000 == pytest.approx(prefill_tps, rel=2e-3)
    assert "DDR row-hit rate (%)" in s and "PE utilisation (%)" in s


def test_published_column_only_for_the_model_it_was_measured_on(fpgallm_bin, data_dir):
    r = run(fpgallm_bin, data_dir, "--reference", str(ROOT / "configs" / "reference" / "xiang2025.yaml"))
    assert r.returncode == 0, r.stderr
    assert summary(r.stdout)[""] == ["simulated"]


def test_baseline_config_runs_every_op_on_the_ps(fpgallm_bin, data_dir):
    r = run(fpgallm_bin, data_dir, accel=BASELINE)
    assert r.returncode == 0, r.stderr
    for title in ("Prefill", "Decode"):
        rows = table(r.stdout, title)
        assert {rows[op][1] for op in rows if op != "total"} == {"PS", "SW"}
        # Nothing offloaded: the host software stack only loops and dispatches PS kernels.
        assert {op for op in rows if rows[op][1] == "SW"} == {"host_loop", "op_dispatch"}


def test_prompt_len_and_zero_decode_steps(fpgallm_bin, data_dir):
    r = run(fpgallm_bin, data_dir, "--prompt-len", "7", gen=0)
    assert r.returncode == 0, r.stderr
    assert "== Prefill: 7 tokens ==" in r.stdout
    assert "== Decode" not in r.stdout


def test_out_writes_stats_json_csv_and_a_chrome_trace(fpgallm_bin, data_dir, tmp_path):
    out = tmp_path / "out"
    r = run(fpgallm_bin, data_dir, "--out", str(out), fidelity="cycle")
    assert r.returncode == 0, r.stderr
    assert f"wrote {out}/stats.json" in r.stdout

    stats = json.loads((out / "stats.json").read_text())
    assert STATS_SECTIONS <= set(stats), set(stats)
    flat = leaves(stats)
    for path, st in flat.items():
        assert isinstance(st["value"], (int, float)), path
        assert isinstance(st["unit"], str) and st["unit"], path
    for phase in ("prefill", "decode"):
        for op in LINEARS + ["lm_head"]:
            assert any(p.startswith(f"ops.{phase}.{op}.") for p in flat), (phase, op)
    assert flat["ddr.bytes_read"]["value"] > 0
    assert 0 < flat["ddr.row_hit_rate"]["value"] <= 100
    decode_tps = flat["run.decode_tokens_per_s"]["value"]
    assert f"{decode_tps:.2f}" == summary(r.stdout)["decode tokens/s"][0]

    with open(out / "stats.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["path", "stat", "value", "unit", "desc"]
    assert len(rows) - 1 == len(flat)  # one CSV row per stat in the JSON tree
    by_key = {}
    for path, stat, value, unit, _desc in rows[1:]:
        assert path.startswith("soc"), path
        by_key[(path[len("soc."):] + "." if path != "soc" else "") + stat] = (float(value), unit)
    assert set(by_key) == set(flat)
    for key, (value, unit) in by_key.items():
        assert unit == flat[key]["unit"], key
        assert value == pytest.approx(flat[key]["value"], rel=1e-12, abs=1e-12), key

    trace = json.loads((out / "trace.json").read_text())
    events = trace["traceEvents"]
    assert isinstance(events, list)
    spans = [e for e in events if e["ph"] == "X"]
    assert spans
    for e in spans:
        assert isinstance(e["ts"], (int, float)) and isinstance(e["dur"], (int, float)), e
        assert e["ts"] >= 0 and e["dur"] >= 0, e
    tracks = {(e["pid"], e["tid"]) for e in spans}
    assert len(tracks) >= 3, tracks  # PS ops, DMA channels, PE array, ...
    named = {(e["pid"], e["tid"]): e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    assert tracks <= set(named), tracks - set(named)
    span_names = {e["name"].split()[0] for e in spans}
    assert set(LINEARS) <= span_names and "softmax" in span_names
    # The timeline ends when the simulated run does (trace in us, stats in ns).
    sim_ns = flat["ops.prefill.time_ns"]["value"] + flat["ops.decode.time_ns"]["value"]
    assert max(e["ts"] + e["dur"] for e in spans) == pytest.approx(sim_ns / 1000, rel=1e-6)


@pytest.mark.parametrize("fidelity", ["cycle", "fast"])
def test_same_command_twice_gives_identical_stats_and_trace(fpgallm_bin, data_dir, tmp_path, fidelity):
    for i in (1, 2):
        r = run(fpgallm_bin, data_dir, "--out", str(tmp_path / str(i)), fidelity=fidelity)
        assert r.returncode == 0, r.stderr
    for name in ("stats.json", "stats.csv", "trace.json"):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes(), name


@pytest.mark.parametrize("fidelity", ["cycle", "fast"])
def test_out_records_what_ran_and_a_rerun_from_those_files_gives_identical_stats(fpgallm_bin, data_dir, tmp_path,
                                                                                 fidelity):
    """platform.yaml and accel.yaml carry every default and the --fidelity override: rerun from them
    without the flag, the stats are byte-identical."""
    a, b = tmp_path / "a", tmp_path / "b"
    r = run(fpgallm_bin, data_dir, "--out", str(a), fidelity=fidelity)
    assert r.returncode == 0, r.stderr
    accel = yaml.safe_load((a / "accel.yaml").read_text())["accel"]
    assert accel["fidelity"] == fidelity and "clock_mhz" in accel
    ran = yaml.safe_load((a / "run.yaml").read_text())
    assert ran["decode_steps"] == 3 and len(ran["prompt_ids"]) == 5
    assert yaml.safe_load((a / "model.yaml").read_text())["model"]["vocab_size"] == 512
    r = run(fpgallm_bin, data_dir, "--out", str(b), fidelity=None, platform=a / "platform.yaml", accel=a / "accel.yaml")
    assert r.returncode == 0, r.stderr
    assert (a / "stats.json").read_bytes() == (b / "stats.json").read_bytes()
    for name in ("platform.yaml", "accel.yaml", "model.yaml", "run.yaml"):
        body = [(d / name).read_text().split("\n", 1)[1] for d in (a, b)]  # line 1 names the source file
        assert body[0] == body[1], name


def test_a_synthetic_run_reruns_from_its_model_yaml(fpgallm_bin, tmp_path):
    """synthetic:<preset> weights come from the shape and the seed: the recorded model.yaml gives them back."""
    def go(out, model, platform=PLATFORM, accel=PAPER):
        return subprocess.run([fpgallm_bin, "run", "--model", str(model), "--platform", str(platform), "--accel",
                               str(accel), "--byte-prompt", "--prompt", "abcd", "--gen", "2", "--fidelity", "fast",
                               "--no-cache", "--quiet", "--out", str(out)], capture_output=True, text=True,
                              timeout=TIMEOUT_S)
    a, b = tmp_path / "a", tmp_path / "b"
    r = go(a, "synthetic:tiny")
    assert r.returncode == 0, r.stderr
    r = go(b, a / "model.yaml", a / "platform.yaml", a / "accel.yaml")
    assert r.returncode == 0, r.stderr
    assert (a / "stats.json").read_bytes() == (b / "stats.json").read_bytes()


def test_packed_model_runs_and_matches_quantizing_in_the_run(fpgallm_bin, data_dir, tmp_path):
    packed = tmp_path / "stories260k_rtn_g64.fpk"
    q = subprocess.run([fpgallm_bin, "quantize"] + stories(data_dir) +
                       ["--method", "rtn", "--group-size", "64", "--out", str(packed)],
                       capture_output=True, text=True, timeout=TIMEOUT_S)
    assert q.returncode == 0, q.stderr
    from_file = run(fpgallm_bin, data_dir, "--out", str(tmp_path / "packed"), model=packed)
    assert from_file.returncode == 0, from_file.stderr
    assert f"fpgallm run: {packed}" in from_file.stdout
    in_run = run(fpgallm_bin, data_dir, "--quant", "rtn", "--out", str(tmp_path / "bin"))
    assert in_run.returncode == 0, in_run.stderr
    # Same RTN G=64 weights either way, so the same simulated schedule, stat for stat.
    assert json.loads((tmp_path / "packed" / "stats.json").read_text()) == \
        json.loads((tmp_path / "bin" / "stats.json").read_text())


# (case, file patched, patch, strings stderr must contain besides the file)
def _set(section_path, value):
    def patch(doc):
        node = doc
        for k in section_path[:-1]:
            node = node[k]
        node[section_path[-1]] = value
    return patch


BAD_CONFIGS = [
    ("pe_array_32x32", "accel", [_set(["accel", "pe_array", "rows"], 32), _set(["accel", "pe_array", "cols"], 32),
                                 _set(["accel", "macro", "tile_rows"], 32)], ["accel.pe_array", "DSP48E2"]),
    ("weight_buffer_below_one_macro_block", "accel",
     [_set(["accel", "buffers", "weight_bytes"], 256), _set(["accel", "buffers", "weight_double_buffered"], False)],
     ["accel.buffers.weight_bytes", "MACRO block"]),
    ("axi_width_96_bits", "platform", [_set(["axi", "data_width_bits"], 96)], ["axi.data_width_bits", "power of two"]),
    ("zero_dma_channels", "accel", [_set(["accel", "dma", "channels"], 0)], ["accel.dma.channels"]),
    ("five_channels_four_hp_ports", "accel", [_set(["accel", "dma", "channels"], 5)],
     ["accel.dma.channels", "axi.ports"]),
    ("unknown_accel_key", "accel", [_set(["accel", "pe_array", "colums"], 8)], ["accel.pe_array.colums"]),
    ("unknown_platform_key", "platform", [_set(["ddr", "tXYZ_ns"], 1.0)], ["ddr.tXYZ_ns"]),
]


@pytest.mark.parametrize("case,which,patches,mentions", BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_impossible_config_is_rejected_naming_field_and_file(fpgallm_bin, data_dir, tmp_path,
                                                             case, which, patches, mentions):
    docs = {"platform": yaml.safe_load(PLATFORM.read_text()), "accel": yaml.safe_load(PAPER.read_text())}
    doc = copy.deepcopy(docs[which])
    for p in patches:
        p(doc)
    docs[which] = doc
    files = {}
    for name, d in docs.items():
        files[name] = tmp_path / f"{case}.{name}.yaml"
        files[name].write_text(yaml.safe_dump(d))
    r = run(fpgallm_bin, data_dir, platform=files["platform"], accel=files["accel"], gen=1)
    assert r.returncode == 2, r.stderr
    assert_clean_failure(r, str(files[which]), *mentions)


def test_unmodified_copies_of_the_configs_run(fpgallm_bin, data_dir, tmp_path):
    # Guards the cases above: the YAML round trip alone must not be what gets rejected.
    pf, af = tmp_path / "p.yaml", tmp_path / "a.yaml"
    pf.write_text(yaml.safe_dump(yaml.safe_load(PLATFORM.read_text())))
    af.write_text(yaml.safe_dump(yaml.safe_load(PAPER.read_text())))
    r = run(fpgallm_bin, data_dir, platform=pf, accel=af, gen=1)
    assert r.returncode == 0, r.stderr


def test_invalid_yaml_is_rejected_naming_the_file(fpgallm_bin, data_dir, tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("accel:\n  name: x\n  pe_array: [rows: 8\n")
    r = run(fpgallm_bin, data_dir, accel=bad, gen=1)
    assert r.returncode == 2
    assert_clean_failure(r, str(bad), "invalid YAML")


@pytest.mark.parametrize("which", ["platform", "accel"])
def test_missing_config_file_is_rejected_naming_it(fpgallm_bin, data_dir, tmp_path, which):
    missing = tmp_path / "no_such.yaml"
    r = run(fpgallm_bin, data_dir, gen=1, **{which: missing})
    assert r.returncode == 2
    assert_clean_failure(r, str(missing))


@pytest.mark.parametrize("option,value", [("--gen", "-1"), ("--fidelity", "bogus"), ("--quant", "bogus"),
                                          ("--prompt-len", "-3")])
def test_bad_option_values_fail_cleanly(fpgallm_bin, data_dir, option, value):
    r = run(fpgallm_bin, data_dir, option, value, fidelity=None)
    assert_clean_failure(r, option)


def test_missing_model_fails_cleanly(fpgallm_bin, data_dir, tmp_path):
    missing = tmp_path / "no_such_model.bin"
    r = run(fpgallm_bin, data_dir, model=missing)
    assert r.returncode == 2
    assert_clean_failure(r, str(missing))


def test_bad_option_values_exit_with_the_input_error_code(fpgallm_bin, data_dir):
    r = run(fpgallm_bin, data_dir, gen=-1)
    assert r.returncode == 2, r.stderr
    assert_clean_failure(r, "--gen")
    for option, value in (("--prompt-len", "-3"), ("--fidelity", "bogus")):
        r = run(fpgallm_bin, data_dir, option, value, fidelity=None)
        assert r.returncode == 2, (option, r.stderr)


def test_bad_quant_is_rejected_even_for_an_already_quantized_model(fpgallm_bin, data_dir):
    r = run(fpgallm_bin, data_dir, "--quant", "bogus", accel=ROOT / "configs/accel/baseline_ps_only.yaml")
    assert r.returncode == 2
    assert_clean_failure(r, "--quant")


def test_missing_reference_file_is_an_error(fpgallm_bin, data_dir, tmp_path):
    missing = tmp_path / "no_reference.yaml"
    r = run(fpgallm_bin, data_dir, "--reference", str(missing))
    assert r.returncode == 2
    assert_clean_failure(r, str(missing))


def test_paper_config_shows_the_software_stack_rows(fpgallm_bin, data_dir):
    r = run(fpgallm_bin, data_dir)
    assert r.returncode == 0, r.stderr
    rows = table(r.stdout, "Decode")
    sw = {op for op in rows if rows[op][1] == "SW"}
    assert sw == {"host_loop", "op_dispatch", "driver_call", "buffer_copy", "cache_maint", "descriptor",
                  "completion"}, sw
    assert int(rows["driver_call"][2]) == 3 * 5 * len(LINEARS)  # one per PL job
    assert int(rows["host_loop"][2]) == 3  # one per decode step
    assert "host software: python_pynq" in r.stdout


def test_timing_only_run_prints_the_same_breakdown_as_the_full_run(fpgallm_bin, data_dir, tmp_path):
    """A Qwen2-shaped model config YAML: synthetic weights (quantized RTN) vs timing-only."""
    cfg = tmp_path / "small_qwen2.yaml"
    cfg.write_text(yaml.safe_dump({"model": {
        "name": "qwen2", "hidden_size": 128, "intermediate_size": 384, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32, "vocab_size": 384,
        "max_position_embeddings": 256, "qkv_bias": True, "tie_word_embeddings": True}}))
    outs = {}
    for mode in ("full", "timing"):
        extra = ["--out", str(tmp_path / mode), "--byte-prompt"] + (["--timing-only"] if mode == "timing" else [])
        r = run(fpgallm_bin, data_dir, *extra, model=cfg)
        assert r.returncode == 0, r.stderr
        outs[mode] = (table(r.stdout, "Prefill"), table(r.stdout, "Decode"),
                      json.loads((tmp_path / mode / "stats.json").read_text()))
    assert outs["full"] == outs["timing"]


def test_timing_only_runs_a_7b_shape_without_its_weights(fpgallm_bin, data_dir, tmp_path):
    args = [fpgallm_bin, "run", "--model", str(ROOT / "configs" / "model" / "qwen2.5-7b.yaml"), "--timing-only",
            "--fidelity", "fast", "--byte-prompt", "--prompt", "Hi", "--gen", "0", "--quiet"]
    # The paper's 64 KiB activation buffer cannot hold one 18944-wide down_proj row: a clear error ...
    r = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert r.returncode != 0
    assert "accel.buffers.act_bytes = 65536 cannot hold one activation row" in r.stderr, r.stderr
    # ... and with 128 KiB the 7B shape runs.
    accel = yaml.safe_load(PAPER.read_text())
    accel["accel"]["buffers"]["act_bytes"] = 131072
    big = tmp_path / "paper_act128k.yaml"
    big.write_text(yaml.safe_dump(accel))
    r = subprocess.run(args + ["--accel", str(big)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "timing only" in r.stdout
    assert "== Prefill: 2 tokens ==" in r.stdout


def summary_and_tables(stdout):
    """The report without the host-time row (the only line that may differ between runs)."""
    return "\n".join(l for l in stdout.splitlines() if not l.startswith("host time"))


def test_second_run_loads_the_quantized_model_from_the_cache(fpgallm_bin, data_dir, tmp_path):
    cache = tmp_path / "cache"
    base = [fpgallm_bin, "run", "--platform", str(PLATFORM), "--accel", str(PAPER), "--prompt", PROMPT,
            "--gen", "2", "--fidelity", "fast", "--cache-dir", str(cache), *stories(data_dir)]
    cold = subprocess.run(base, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert cold.returncode == 0, cold.stderr
    assert "quantizer: rtn G=64 (the default" in cold.stderr
    entries = list(cache.glob("*.fpk"))
    assert len(entries) == 1 and "cached as" in cold.stderr
    warm = subprocess.run(base, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert warm.returncode == 0, warm.stderr
    assert "from cache" in warm.stderr and "quantizing" not in warm.stderr
    assert summary_and_tables(warm.stdout) == summary_and_tables(cold.stdout)
    # Other settings are another entry; --no-cache neither reads nor writes.
    accel = yaml.safe_load(PAPER.read_text())
    accel["accel"]["macro"]["group_size"] = 32
    g32 = tmp_path / "g32.yaml"
    g32.write_text(yaml.safe_dump(accel))
    other = subprocess.run([a if a != str(PAPER) else str(g32) for a in base], capture_output=True, text=True,
                           timeout=TIMEOUT_S)
    assert other.returncode == 0, other.stderr
    assert "quantizer: rtn G=32 (the default" in other.stderr and "from cache" not in other.stderr
    assert len(list(cache.glob("*.fpk"))) == 2
    fresh = subprocess.run(base + ["--no-cache"], capture_output=True, text=True, timeout=TIMEOUT_S)
    assert fresh.returncode == 0, fresh.stderr
    assert "from cache" not in fresh.stderr and "cached as" not in fresh.stderr
    assert summary_and_tables(fresh.stdout) == summary_and_tables(cold.stdout)


def test_a_corrupt_cache_entry_is_requantized_not_fatal(fpgallm_bin, data_dir, tmp_path):
    cache = tmp_path / "cache"
    base = [fpgallm_bin, "run", "--platform", str(PLATFORM), "--accel", str(PAPER), "--prompt", PROMPT,
            "--gen", "1", "--fidelity", "fast", "--cache-dir", str(cache), *stories(data_dir)]
    assert subprocess.run(base, capture_output=True, text=True, timeout=TIMEOUT_S).returncode == 0
    (entry,) = cache.glob("*.fpk")
    good = entry.read_bytes()
    entry.write_bytes(good[:1000])
    r = subprocess.run(base, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert r.returncode == 0, r.stderr
    assert "discarded" in r.stderr and "truncated" in r.stderr and "cached as" in r.stderr
    # One flipped bit in the data section: the digest catches it; the entry is discarded in one line
    # and quantized again, and the run's figures are those of the good model.
    flipped = bytearray(good)
    flipped[len(good) - 100] ^= 0x10
    entry.write_bytes(bytes(flipped))
    r2 = subprocess.run(base, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert r2.returncode == 0, r2.stderr
    lines = [ln for ln in r2.stderr.splitlines() if "digest mismatch" in ln]
    assert len(lines) == 1 and "discarded" in lines[0] and "quantizing again" in lines[0], r2.stderr
    assert "cached as" in r2.stderr
    assert entry.read_bytes() == good  # the same model, quantized again
    assert summary_and_tables(r2.stdout) == summary_and_tables(r.stdout)
