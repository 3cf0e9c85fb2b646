"""fpgallm.plot draws from a run's own figures: the bars, points and front carry the data."""
import numpy as np
import pandas as pd
import pytest

import fpgallm
from conftest import PAPER, PLATFORM, STORIES, STORIES_TOK


@pytest.fixture(scope="module")
def result():
    return fpgallm.run(PLATFORM, PAPER, STORIES, tokenizer=STORIES_TOK, prompt="Once upon a time", gen=2,
                       fidelity="fast", progress=False)


def test_breakdown_stacks_prefill_and_per_token_decode_time(result):
    ax = fpgallm.plot.breakdown(result, top=100)
    heights = {}
    for c in ax.containers:
        for bar, x in zip(c, ("prefill", "decode / token")):
            heights[x] = heights.get(x, 0.0) + bar.get_height()
    assert heights["prefill"] == pytest.approx(result.by_op("prefill").time_ms.sum())
    assert heights["decode / token"] == pytest.approx(result.by_op("decode").time_ms.sum() / 2)


def test_roofline_points_lie_under_the_roof_for_pl_ops(result):
    ax = fpgallm.plot.roofline(result)
    peak = 2 * result.soc["accel"]["peak_macs_per_s"] / 1e9
    bw = result.soc["ddr"]["peak_gbps"]
    pl = [c for c in ax.collections if "PL" in c.get_label()]
    assert pl
    for c in pl:
        xy = c.get_offsets()
        assert (xy[:, 1] <= np.minimum(peak, bw * xy[:, 0]) * (1 + 1e-9)).all()


def test_pareto_mask_keeps_exactly_the_non_dominated_points():
    df = pd.DataFrame({"mb": [1, 2, 3, 2, 4], "tps": [1, 3, 2, 3, 5]})
    mask = fpgallm.plot.pareto_mask(df, {"mb": "min", "tps": "max"})
    assert list(mask) == [True, True, False, True, True]
    ax = fpgallm.plot.pareto(df, "mb", "tps")
    front = ax.lines[0].get_xydata()
    assert front.tolist() == [[1, 1], [2, 3], [2, 3], [4, 5]]


def test_resource_bars_measure_the_accelerator_against_the_xck26(result):
    usage = fpgallm.plot.resource_usage(result.soc).set_index("resource")
    # The explorer's five resources (dse/Resources.h), as `fpgallm sweep` reports them.
    assert list(usage.index) == ["LUT", "FF", "DSP48E2", "BRAM36", "URAM288"]
    assert usage.loc["DSP48E2"].used == 371 and usage.loc["DSP48E2"].budget == 1248
    assert usage.loc["LUT"].budget == 117120 and 0 < usage.loc["LUT"].used < usage.loc["LUT"].budget
    est = result.soc["resources"]
    assert usage.loc["BRAM36"].used == sum(m["count"] for m in est["memories"].values() if m["kind"] == "bram36")
    assert usage.percent.max() == pytest.approx(100 * est["max_utilisation"])
    usage = usage.reset_index()
    ax = fpgallm.plot.resources(result)
    assert "xck26" in ax.get_xlabel()
    assert [round(p.get_width(), 6) for p in ax.patches] == [round(v, 6) for v in usage.percent]
