"""fpgallm.validate(): the validation study `fpgallm validate` runs (studies/Validation.h), from Python."""
from .resources import find_file, resource_path

DEFAULTS = {"platform": "configs/platform/kv260.yaml", "baseline": "configs/accel/baseline_ps_only.yaml",
            "paper": "configs/accel/paper_gs64_pe8x8.yaml", "reference": "configs/reference/xiang2025.yaml"}


def validate(*, platform=None, baseline=None, paper=None, reference=None, model="synthetic:qwen2.5-0.5b",
             fidelity="fast", prompt_len=16, gen=4, swing=0.2, sensitivity=True, fit=False, params=(),
             out="docs/validation.md"):
    """Simulates the baseline and the paper design against the published figures, as `fpgallm validate`
    with the same options: returns a dict with `markdown` (the report; `out` is only the name it gives
    itself and its SVGs), `svgs` [(file name, SVG text)], `refits` [(parameter, value, was)] with
    fit=True, `baseline_decode_tps`, `paper_decode_tps` and `simulations`. Nothing is written."""
    from . import _fpgallm

    o = _fpgallm.studies.ValidationOptions()
    given = {"platform": platform, "baseline": baseline, "paper": paper, "reference": reference}
    for k, v in given.items():
        setattr(o, k, str(find_file(v)) if v else str(resource_path(DEFAULTS[k])))
    o.model, o.fidelity, o.prompt_len, o.gen = str(model), fidelity, int(prompt_len), int(gen)
    o.swing, o.sensitivity, o.fit, o.only_params, o.out = float(swing), bool(sensitivity), bool(fit), list(params), str(out)
    return _fpgallm.studies.validate(o)
