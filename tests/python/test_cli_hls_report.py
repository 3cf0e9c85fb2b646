"""`fpgallm hls-report DIR` from the command line: exit 0 when the synthesis report agrees with the
project's estimates, 1 when a figure is flagged, 2 for bad input (the error line names the file).
The report is written here in the csynth.xml layout of Vitis HLS; no vendor output is available."""
import json
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAPER = ROOT / "configs" / "accel" / "paper_gs64_pe8x8.yaml"
TIMEOUT_S = 120


def csynth(estimate, ii):
    e = {k: estimate[k]["estimate"] for k in ("luts", "ffs", "dsp48e2", "bram36", "uram288")}
    return f"""<profile>
<ReportVersion><Version>2023.2</Version></ReportVersion>
<UserAssignments><Part>xck26-sfvc784-2LV-c</Part><TopModelName>fpgallm_linear</TopModelName>
<TargetClockPeriod>3.33</TargetClockPeriod></UserAssignments>
<PerformanceEstimates>
<SummaryOfTimingAnalysis><EstimatedClockPeriod>2.5</EstimatedClockPeriod></SummaryOfTimingAnalysis>
<SummaryOfLoopLatency><pe_steps><TripCount>4096</TripCount><Latency>4104</Latency>
<PipelineII>{ii}</PipelineII><PipelineDepth>9</PipelineDepth></pe_steps></SummaryOfLoopLatency>
</PerformanceEstimates>
<AreaEstimates><Resources><BRAM_18K>{2 * e["bram36"]}</BRAM_18K><DSP>{e["dsp48e2"]}</DSP><FF>{e["ffs"]}</FF>
<LUT>{e["luts"]}</LUT><URAM>{e["uram288"]}</URAM></Resources></AreaEstimates>
</profile>
"""


def project(fpgallm_bin, tmp_path, ii):
    out = tmp_path / "proj"
    r = subprocess.run([fpgallm_bin, "emit-hls", "--accel", str(PAPER), "--out", str(out)], capture_output=True,
                       text=True, timeout=TIMEOUT_S)
    assert r.returncode == 0, r.stderr
    estimate = json.loads((out / "resource_estimate.json").read_text())
    report = out / "fpgallm_prj" / "sol1" / "syn" / "report"
    report.mkdir(parents=True)
    (report / "csynth.xml").write_text(csynth(estimate, ii))
    (out / "schedule.json").write_text(json.dumps({
        "format": "fpgallm-schedule", "version": 1, "accel": "paper_gs64_pe8x8", "clock_mhz": 300,
        "stages": [{"name": "pe_array", "loop": "pe_steps", "ii": 1, "depth": 9,
                    "trip_count": {"min": 1, "max": 4096}, "cycles_per_block": {"decode": 8, "prefill_chunk": 128}}],
        "cycles_per_block": {"decode": 9, "prefill_chunk": 128, "prefill_chunk_tokens": 16}}))
    return out


def hls_report(fpgallm_bin, d):
    return subprocess.run([fpgallm_bin, "hls-report", str(d)], capture_output=True, text=True, timeout=TIMEOUT_S)


def test_agreeing_report_exits_0(fpgallm_bin, tmp_path):
    r = hls_report(fpgallm_bin, project(fpgallm_bin, tmp_path, ii=1))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "nothing differs by more than 10%" in r.stdout
    assert r.stderr == ""


def test_ii_4_against_a_schedule_of_1_exits_1_with_the_row_flagged(fpgallm_bin, tmp_path):
    r = hls_report(fpgallm_bin, project(fpgallm_bin, tmp_path, ii=4))
    assert r.returncode == 1, r.stdout + r.stderr
    ii_rows = [line for line in r.stdout.splitlines() if line.strip().startswith("II ")]
    assert len(ii_rows) == 1 and "+300%" in ii_rows[0] and "FLAGGED" in ii_rows[0], r.stdout
    assert r.stderr == ""  # a flagged figure is a result, not an error


def test_corrupt_report_exits_2_naming_the_file(fpgallm_bin, tmp_path):
    d = project(fpgallm_bin, tmp_path, ii=1)
    xml = d / "fpgallm_prj" / "sol1" / "syn" / "report" / "csynth.xml"
    xml.write_text(xml.read_text()[:200])
    r = hls_report(fpgallm_bin, d)
    assert r.returncode == 2, r.stdout + r.stderr
    assert str(xml) in r.stderr and "not well-formed XML" in r.stderr
