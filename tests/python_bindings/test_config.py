"""Configs load from YAML or dicts, edit by dotted field, and validate through the C++ parsers:
a bad value is a ValueError that names the field and where it came from."""
import os
import pathlib
import subprocess
import sys

import pytest

import fpgallm
from conftest import PAPER, PLATFORM, ROOT


def test_shipped_platform_and_accel_validate_to_their_runtime_values():
    p, a = fpgallm.load_platform(PLATFORM), fpgallm.load_accel(PAPER)
    soc = fpgallm.check_soc(p, a)
    assert soc["accel"]["pe_rows"] == 8 and soc["accel"]["pe_cols"] == 8
    # 8x8 fp32 MACs at 5 DSP48E2 each, plus one scaling MAC per row (AccelConfig::dsp_used).
    assert soc["accel"]["dsp_used"] == 8 * 8 * 5 + 1 * (7 * 2 + 3 + 2) + 4 * 4 * 2  # PE array, scale row, bias adds
    assert soc["pl"]["device"] == "xck26" and soc["pl"]["dsp48e2"] == 1248
    assert soc["ddr"]["peak_gbps"] == pytest.approx(19.2)
    assert p.validate()["axi"]["ports"] == 4
    assert a.validate()["macro"]["group_size"] == 64


def test_relative_paths_resolve_below_the_shipped_resources(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a = fpgallm.load_accel("configs/accel/paper_gs64_pe8x8.yaml")
    assert a["accel.name"] == "paper_gs64_pe8x8"


def test_dicts_load_with_or_without_the_top_level_key():
    doc = fpgallm.read_yaml(PAPER)
    assert fpgallm.load_accel(doc).validate() == fpgallm.load_accel(doc["accel"]).validate()


def test_an_edited_field_is_validated_and_named_in_the_error():
    a = fpgallm.load_accel(PAPER)
    a["accel.pe_array.rows"] = 0
    with pytest.raises(ValueError, match=r"accel\.pe_array\.rows must be > 0 \(got 0\)") as e:
        a.validate()
    assert str(PAPER) in str(e.value) and "(edited)" in str(e.value)


def test_replace_returns_an_edited_copy_and_leaves_the_original():
    a = fpgallm.load_accel(PAPER)
    b = a.replace(**{"accel.pe_array.rows": 16, "accel.macro.tile_rows": 16})
    assert a["accel.pe_array.rows"] == 8 and b["accel.pe_array.rows"] == 16
    assert b.validate()["pe_rows"] == 16


def test_unknown_keys_are_rejected_by_name():
    a = fpgallm.load_accel(PAPER)
    a["accel.pe_array.colums"] = 8
    with pytest.raises(ValueError, match=r"accel\.pe_array\.colums is not a known field"):
        a.validate()


def test_a_wrongly_typed_value_names_the_field():
    p = fpgallm.load_platform(PLATFORM)
    p["axi.ports"] = "four"
    with pytest.raises(ValueError, match=r"axi\.ports"):
        p.validate()


def test_board_limits_are_checked_when_platform_and_accel_meet():
    a = fpgallm.load_accel(PAPER).replace(**{"accel.dma.channels": 8})
    a.validate()  # fine on its own
    with pytest.raises(ValueError, match=r"accel\.dma\.channels = 8 but the platform has only 4"):
        fpgallm.check_soc(fpgallm.load_platform(PLATFORM), a)
    big = fpgallm.load_accel(PAPER).replace(**{"accel.pe_array.rows": 64, "accel.pe_array.cols": 64,
                                                "accel.macro.tile_rows": 64})
    with pytest.raises(ValueError, match=r"DSP48E2 \(rows x cols x dsp_per_pe = 64 x 64 x 5.*more than the xck26's 1248"):
        fpgallm.check_soc(fpgallm.load_platform(PLATFORM), big)


def test_duplicate_keys_and_bad_yaml_are_errors_naming_the_file(tmp_path):
    dup = tmp_path / "dup.yaml"
    dup.write_text("accel:\n  name: x\n  name: y\n")
    with pytest.raises(ValueError, match=r"name appears more than once.*dup\.yaml"):
        fpgallm.load_accel(dup)
    bad = tmp_path / "bad.yaml"
    bad.write_text("accel: [unclosed\n")
    with pytest.raises(ValueError, match=r"bad\.yaml: invalid YAML"):
        fpgallm.load_accel(bad)
    with pytest.raises(ValueError, match=r"cannot open config file"):
        fpgallm.load_platform(tmp_path / "missing.yaml")


def test_model_configs_load_by_name_path_or_dict_and_name_bad_fields():
    tiny = fpgallm.load_model_config("tiny")
    s = tiny.validate()
    assert s["hidden_size"] == 64 and s["num_parameters"] > 0
    assert fpgallm.load_model_config(ROOT / "configs/model/tiny.yaml").validate() == s
    assert fpgallm.load_model_config(dict(tiny["model"])).validate() == s
    broken = tiny.replace(**{"model.num_attention_heads": 3})
    with pytest.raises(ValueError, match=r"num_attention_heads|head"):
        broken.validate()
    with pytest.raises(ValueError, match=r"unknown key 'hidden'"):
        tiny.replace(**{"model.hidden": 1}).validate()
    with pytest.raises(ValueError, match=r"no model config named"):
        fpgallm.load_model_config("no-such-model")


def test_an_edited_config_saves_as_yaml_the_cli_accepts(tmp_path):
    a = fpgallm.load_accel(PAPER).replace(**{"accel.pe_array.cols": 16})
    path = a.save(tmp_path / "a.yaml")
    assert fpgallm.load_accel(path).validate() == a.validate()


def test_the_installed_package_imports_and_finds_the_installed_configs(tmp_path):
    build = pathlib.Path(fpgallm.__file__).resolve().parents[2]
    prefix = tmp_path / "prefix"
    inst = subprocess.run(["cmake", "--install", str(build), "--prefix", str(prefix)], capture_output=True, text=True,
                          timeout=300)
    assert inst.returncode == 0, inst.stderr
    (site,) = prefix.glob("lib/python3.*/dist-packages")
    env = {k: v for k, v in os.environ.items() if k != "FPGALLM_HOME"}
    env["PYTHONPATH"] = str(site)
    code = ("import fpgallm; print(fpgallm.__file__); print(fpgallm.resource_root()); "
            "print(fpgallm.check_soc(fpgallm.load_platform(), fpgallm.load_accel())['accel']['name'])")
    r = subprocess.run([sys.executable, "-c", code], cwd="/", env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    file, root, name = r.stdout.split()
    assert file.startswith(str(site)) and root == str(prefix / "share" / "fpgallm") and name == "paper_gs64_pe8x8"
