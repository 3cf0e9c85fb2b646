"""Minimal safetensors reader in numpy, written from the format description, independent of the C++.

Layout: an unsigned little-endian 64-bit header length N, then N bytes of UTF-8 JSON mapping each
tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the byte buffer
that follows the header) plus an optional "__metadata__" entry of strings, then the byte buffer.
Tensors are little-endian and row-major. F32, F16 and BF16 are returned as float32 arrays.
"""
import json
import pathlib

import numpy as np

HEADER_LEN_BYTES = 8
METADATA_KEY = "__metadata__"
# Element sizes of the float dtypes this reader converts.
ELEMENT_BYTES = {"F32": 4, "F16": 2, "BF16": 2}


class SafetensorsError(ValueError):
    pass


def _to_float32(raw: bytes, dtype: str, shape):
    if dtype == "F32":
        arr = np.frombuffer(raw, dtype="<f4")
    elif dtype == "F16":
        arr = np.frombuffer(raw, dtype="<f2").astype(np.float32)
    elif dtype == "BF16":
        # bfloat16 is the upper half of an IEEE float32: shift the 16 bits into place.
        halves = np.frombuffer(raw, dtype="<u2").astype(np.uint32)
        arr = (halves << 16).view(np.float32)
    else:
        raise SafetensorsError(f"unsupported dtype {dtype}")
    return arr.reshape(shape).copy()


def read_safetensors(path):
    """Returns (tensors: dict name -> float32 ndarray, metadata: dict)."""
    path = pathlib.Path(path)
    blob = path.read_bytes()
    if len(blob) < HEADER_LEN_BYTES:
        raise SafetensorsError(f"{path}: shorter than the {HEADER_LEN_BYTES}-byte header length")
    header_len = int.from_bytes(blob[:HEADER_LEN_BYTES], "little")
    data_start = HEADER_LEN_BYTES + header_len
    if data_start > len(blob):
        raise SafetensorsError(f"{path}: header length {header_len} runs past the end of the file")
    header = json.loads(blob[HEADER_LEN_BYTES:data_start].decode("utf-8"))
    buffer = memoryview(blob)[data_start:]
    metadata = header.pop(METADATA_KEY, {}) or {}

    tensors = {}
    spans = []
    for name, info in header.items():
        dtype, shape = info["dtype"], [int(d) for d in info["shape"]]
        begin, end = (int(x) for x in info["data_offsets"])
        if dtype not in ELEMENT_BYTES:
            raise SafetensorsError(f"{path}: tensor {name}: unsupported dtype {dtype}")
        want = ELEMENT_BYTES[dtype] * int(np.prod(shape, dtype=np.int64))
        if not (0 <= begin <= end <= len(buffer)) or end - begin != want:
            raise SafetensorsError(f"{path}: tensor {name}: offsets [{begin}, {end}) do not hold "
                                   f"{want} bytes inside a {len(buffer)}-byte buffer")
        tensors[name] = _to_float32(bytes(buffer[begin:end]), dtype, shape)
        spans.append((begin, end))
    # The spec requires the tensors to tile the buffer with no gaps or overlaps.
    spans.sort()
    cursor = 0
    for begin, end in spans:
        if begin != cursor:
            raise SafetensorsError(f"{path}: tensor data is not contiguous at byte {cursor}")
        cursor = end
    if cursor != len(buffer):
        raise SafetensorsError(f"{path}: {len(buffer) - cursor} trailing bytes after the last tensor")
    return tensors, metadata


def write_safetensors(path, arrays, dtypes):
    """Writes float arrays with the given safetensors dtype per name (F32/F16/BF16, BF16 truncated
    with round-to-nearest-even). Used by tests to check the reader on hand-made files."""
    header, chunks, offset = {}, [], 0
    for name, arr in arrays.items():
        dtype = dtypes[name]
        a = np.ascontiguousarray(arr, dtype=np.float32)
        if dtype == "F32":
            raw = a.astype("<f4").tobytes()
        elif dtype == "F16":
            raw = a.astype("<f2").tobytes()
        elif dtype == "BF16":
            bits = a.view(np.uint32).astype(np.uint64)
            rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
            raw = rounded.astype("<u2").tobytes()
        else:
            raise SafetensorsError(f"unsupported dtype {dtype}")
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode("utf-8")
    pathlib.Path(path).write_bytes(len(text).to_bytes(HEADER_LEN_BYTES, "little") + text + b"".join(chunks))
