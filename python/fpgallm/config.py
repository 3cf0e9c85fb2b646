"""Platform, accel and model configs: load from YAML or dicts, edit by dotted field, validate in C++.

A Config holds the YAML document as plain dicts. Validation sends it through the same C++
parsers as `fpgallm run --platform/--accel` (unknown keys rejected, ranges checked), so a bad
value raises ValueError naming the field and the source, e.g.
``accel.pe_array.rows must be > 0 (got 0) in configs/accel/paper_gs64_pe8x8.yaml (edited)``.
"""
import copy
from pathlib import Path

import yaml

from . import _fpgallm
from .resources import find_file, resource_path

KINDS = ("platform", "accel", "model")
# The top-level key that wraps the fields of these kinds in their YAML files.
_WRAPPER = {"accel": "accel", "model": "model"}


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects a key given twice in one mapping (as the C++ loader does)."""


def _construct_unique_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ValueError(f"{key} appears more than once (line {key_node.start_mark.line + 1}) "
                             f"in {loader.name}")
        seen.add(key)
    return loader.construct_mapping(node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def read_yaml(path):
    """A YAML file as plain Python objects; a missing or malformed file is a ValueError naming it."""
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"{p}: cannot open config file")
    text = p.read_text()
    try:
        loader = _UniqueKeyLoader(text)
        loader.name = str(p)
        try:
            doc = loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as e:
        raise ValueError(f"{p}: invalid YAML: {e}") from None
    if doc is None:
        raise ValueError(f"{p}: config file is empty")
    return doc


class Config:
    """One config document of a kind ("platform", "accel", "model").

    ``cfg["accel.pe_array.rows"]`` reads a field, ``cfg["accel.pe_array.rows"] = 16`` edits it,
    ``cfg.replace(**{"accel.pe_array.rows": 16})`` returns an edited copy (sweeps patch parsed
    configs, never text), ``cfg.validate()`` checks it and returns the runtime values.
    """

    def __init__(self, kind, data, source):
        if kind not in KINDS:
            raise ValueError(f"config kind must be one of {', '.join(KINDS)} (got {kind!r})")
        if not isinstance(data, dict):
            raise ValueError(f"{source}: a {kind} config must be a mapping (got {type(data).__name__})")
        wrapper = _WRAPPER.get(kind)
        if wrapper and wrapper not in data:
            data = {wrapper: data}  # the fields alone, without the file's top-level key
        self.kind, self.data, self.source = kind, data, str(source)

    # -- fields -------------------------------------------------------------------------------
    def __getitem__(self, dotted):
        node = self.data
        for i, key in enumerate(dotted.split(".")):
            if not isinstance(node, dict) or key not in node:
                raise KeyError(f"{'.'.join(dotted.split('.')[:i + 1])} is not set in {self.source}")
            node = node[key]
        return node

    def __setitem__(self, dotted, value):
        keys = dotted.split(".")
        node = self.data
        for key in keys[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise ValueError(f"{dotted}: {key} is not a mapping in {self.source}")
        node[keys[-1]] = value
        if not self.source.endswith("(edited)"):
            self.source += " (edited)"

    def get(self, dotted, default=None):
        try:
            return self[dotted]
        except KeyError:
            return default

    def replace(self, **fields):
        """An edited copy: ``cfg.replace(**{"accel.pe_array.rows": 16})``."""
        c = self.copy()
        for k, v in fields.items():
            c[k] = v
        return c

    def copy(self):
        return Config(self.kind, copy.deepcopy(self.data), self.source)

    @property
    def fields(self):
        """The mapping the C++ parser reads (the model's fields without their `model:` wrapper)."""
        return self.data["model"] if self.kind == "model" else self.data

    # -- checks -------------------------------------------------------------------------------
    def validate(self):
        """Checks every field in C++; returns the runtime values (defaults applied) as a dict."""
        if self.kind == "platform":
            return _fpgallm.config.platform_summary(self.data, self.source)
        if self.kind == "accel":
            return _fpgallm.config.accel_summary(self.data, self.source)
        return _fpgallm.config.model_summary(self.fields, self.source)

    # -- output -------------------------------------------------------------------------------
    def to_yaml(self):
        return yaml.safe_dump(self.data, sort_keys=False)

    def save(self, path):
        """Writes the document as YAML (e.g. to pass an edited config to the CLI); returns the path."""
        Path(path).write_text(self.to_yaml())
        return Path(path)

    def __repr__(self):
        return f"Config({self.kind!r}, source={self.source!r})"


def load(kind, source):
    """A Config from a YAML path (relative paths also tried below the shipped resources), a dict or a Config."""
    if isinstance(source, Config):
        if source.kind != kind:
            raise ValueError(f"{source.source} is a {source.kind} config, not a {kind} config")
        return source
    if isinstance(source, dict):
        return Config(kind, copy.deepcopy(source), f"<{kind} dict>")
    if isinstance(source, (str, Path)):
        path = find_file(source)
        return Config(kind, read_yaml(path), path)
    raise ValueError(f"a {kind} config must be a YAML path, a dict or a Config (got {type(source).__name__})")


def load_platform(source="configs/platform/kv260.yaml"):
    return load("platform", source)


def load_accel(source="configs/accel/paper_gs64_pe8x8.yaml"):
    return load("accel", source)


def load_model_config(source):
    """A model config from a configs/model YAML, a dict of its fields, or a shipped name ("tiny", "qwen2.5-0.5b")."""
    if isinstance(source, str) and "/" not in source and not source.endswith((".yaml", ".yml")):
        shipped = find_file(f"configs/model/{source}.yaml")
        if not shipped.exists():
            raise ValueError(f"no model config named {source!r} (looked for {shipped})")
        source = shipped
    return load("model", source)


def check_soc(platform, accel):
    """Validates a platform and an accel together (channels vs HP ports, DSPs and buffers vs the PL)."""
    return _fpgallm.config.soc_summary(platform.data, platform.source, accel.data, accel.source,
                                       str(resource_path("configs/dse/resource_costs.yaml")))
