"""Matplotlib figures of runs and sweeps: latency breakdown, roofline, Pareto scatter, resource bars."""
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

FLOPS_PER_MAC = 2


def _axes(ax, figsize=(7, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def breakdown(result, ax=None, top=8):
    """Stacked bars of simulated time by op: the whole prefill, and one decode step (mean).

    The `top` costliest ops get their own colour; the rest are summed as "other".
    """
    ax = _axes(ax)
    bars = {}
    for phase, label in (("prefill", "prefill"), ("decode", "decode / token")):
        t = result.by_op(phase)
        if t.empty:
            continue
        per = t.groupby("op", sort=False, observed=True).time_ms.sum()
        if phase == "decode":
            per = per / max(result._raw["decode_tokens"], 1)
        bars[label] = per
    frame = pd.DataFrame(bars).fillna(0.0)
    keep = frame.sum(axis=1).sort_values(ascending=False).index[:top]
    other = frame.drop(index=keep).sum()
    frame = frame.loc[[op for op in frame.index if op in keep]]
    if other.sum() > 0:
        frame.loc["other"] = other
    bottom = np.zeros(len(frame.columns))
    for op, row in frame.iterrows():
        ax.bar(frame.columns, row.values, bottom=bottom, label=str(op))
        bottom += row.values
    ax.set_ylabel("simulated time (ms)")
    ax.set_title(f"Latency breakdown: {result.soc['accel']['name']}")
    ax.legend(fontsize="small", bbox_to_anchor=(1.02, 1), loc="upper left")
    return ax


def roofline(result, ax=None):
    """The platform roofline (PE array peak, DDR peak) with the run's ops as points.

    x: operational intensity in FLOP per DDR byte; y: achieved GFLOP/s (2 FLOP per MAC);
    one point per (op, phase, unit) with MACs, summed over layers.
    """
    ax = _axes(ax)
    soc = result.soc
    peak_gflops = FLOPS_PER_MAC * soc["accel"]["peak_macs_per_s"] / 1e9
    bw = soc["ddr"]["peak_gbps"]
    df = result.breakdown
    g = df[df.macs > 0].groupby(["op", "phase", "unit"], observed=True)[["macs", "bytes", "time_ns"]].sum()
    g = g[(g.bytes > 0) & (g.time_ns > 0)].reset_index()
    g["intensity"] = FLOPS_PER_MAC * g.macs / g.bytes
    g["gflops"] = FLOPS_PER_MAC * g.macs / g.time_ns
    lo = min(0.05, g.intensity.min() / 2) if len(g) else 0.05
    hi = max(1000.0, g.intensity.max() * 2) if len(g) else 1000.0
    x = np.logspace(math.log10(lo), math.log10(hi), 200)
    ax.loglog(x, np.minimum(peak_gflops, bw * x), "k-", label=f"PL roof: {bw:.1f} GB/s DDR, {peak_gflops:.1f} GFLOP/s")
    ax.axvline(peak_gflops / bw, color="grey", ls=":", lw=1)
    for (phase, unit), sub in g.groupby(["phase", "unit"]):
        ax.scatter(sub.intensity, sub.gflops, marker="o" if phase == "decode" else "s",
                   label=f"{phase} on {unit}", alpha=0.8)
        for _, r in sub.iterrows():
            ax.annotate(str(r.op), (r.intensity, r.gflops), fontsize=6, alpha=0.7)
    ax.set_xlabel("operational intensity (FLOP / DDR byte)")
    ax.set_ylabel("achieved GFLOP/s")
    ax.set_title(f"Roofline: {soc['pl']['device']} + {soc['accel']['name']}")
    ax.legend(fontsize="small")
    return ax


def pareto_mask(df, objectives):
    """True for the rows no other row dominates; `objectives` maps column -> "max" or "min"."""
    from .dse import non_dominated

    signs = np.array([-1.0 if d == "max" else 1.0 for d in objectives.values()])
    return non_dominated(df[list(objectives)].to_numpy(dtype=float) * signs)


def pareto(df, x, y, ax=None, x_dir="min", y_dir="max", label=None, front=None):
    """Scatter of design points with their Pareto front (x minimised, y maximised by default).

    `front` is a boolean column name (e.g. from a sweep) or None to compute it; `label` names a
    column whose values annotate the front.
    """
    ax = _axes(ax)
    mask = df[front].to_numpy(bool) if front else pareto_mask(df, {x: x_dir, y: y_dir})
    ax.scatter(df[x][~mask], df[y][~mask], c="lightgrey", label="dominated")
    f = df[mask].sort_values(x)
    ax.plot(f[x], f[y], "o-", c="tab:red", label="Pareto front")
    if label:
        for _, r in f.iterrows():
            ax.annotate(str(r[label]), (r[x], r[y]), fontsize=7)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.legend(fontsize="small")
    return ax


def resource_usage(soc):
    """LUT, FF, DSP48E2, BRAM36 and URAM288 the accelerator needs against the device, from a validated
    SoC summary (RunResult.soc, fpgallm.check_soc): the explorer's estimate (dse/Resources.h,
    configs/dse/resource_costs.yaml), the same figures `fpgallm sweep` reports for the design point.

    A summary without the estimate (made without the cost file) falls back to DSPs and the buffers
    counted in BRAM36 data blocks (4 KiB, UG573), rounded up per buffer.
    """
    a, pl = soc["accel"], soc["pl"]
    if "resources" in soc:
        r = soc["resources"]
        rows = [("LUT", r["luts"], pl["luts"]), ("FF", r["ffs"], pl["ffs"]), ("DSP48E2", r["dsp48e2"], pl["dsp48e2"]),
                ("BRAM36", r["bram36"], pl["bram36"]), ("URAM288", r["uram288"], pl["uram288"])]
    else:
        bram_blocks = sum(math.ceil(a[k] / pl["bram36_data_bytes"])
                          for k in ("weight_buffer_bytes", "act_buffer_bytes", "out_buffer_bytes"))
        rows = [("DSP48E2", a["dsp_used"], pl["dsp48e2"]), ("BRAM36 (buffers)", bram_blocks, pl["bram36"])]
    return pd.DataFrame([{"resource": n, "used": u, "budget": b} for n, u, b in rows]).assign(
        percent=lambda d: 100.0 * d.used / d.budget)


def resources(usage, ax=None, device=None):
    """Horizontal bars of resource use in % of the device budget (xck26 for the KV260).

    `usage` is a DataFrame with resource, used, budget (resource_usage(), a sweep's resource
    columns), or a RunResult / SoC summary dict.
    """
    if hasattr(usage, "soc"):
        device = device or usage.soc["pl"]["device"]
        usage = resource_usage(usage.soc)
    elif isinstance(usage, dict):
        device = device or usage["pl"]["device"]
        usage = resource_usage(usage)
    ax = _axes(ax, figsize=(6, 0.6 + 0.5 * len(usage)))
    pct = 100.0 * usage.used / usage.budget
    colors = ["tab:red" if p > 100 else "tab:blue" for p in pct]
    ax.barh(usage.resource, pct, color=colors)
    ax.axvline(100, color="k", lw=1)
    for i, (p, u, b) in enumerate(zip(pct, usage.used, usage.budget)):
        ax.text(p + 1, i, f"{u:,.0f} / {b:,.0f}", va="center", fontsize=8)
    ax.set_xlabel(f"% of {device or 'device'} budget")
    ax.set_xlim(0, max(110, pct.max() * 1.15))
    return ax
