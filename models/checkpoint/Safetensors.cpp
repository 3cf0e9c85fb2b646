#include "models/checkpoint/Safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>

#include <nlohmann/json.hpp>

#include "models/core/Error.h"

namespace fpgallm {

// Stored data is little-endian and is reinterpreted in place.
static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian host");

namespace {

/** Element count above which conversions are split across threads. */
constexpr int64_t kParallelConvertMinElems = 1 << 16;
/** Elements converted per chunk while writing, bounding the writer's scratch memory. */
constexpr int64_t kWriteChunkElems = 1 << 20;

uint64_t read_le_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (size_t i = 0; i < kSafetensorsLengthBytes; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

bool is_float_dtype(DType t) { return t == DType::F32 || t == DType::F16 || t == DType::BF16; }

/** numel * element size, failing on overflow (a lying header must not wrap around). */
uint64_t checked_nbytes(const std::vector<int64_t>& shape, DType dtype, const std::string& where,
                        const std::string& name) {
  uint64_t n = dtype_size(dtype);
  for (int64_t d : shape) {
    if (__builtin_mul_overflow(n, static_cast<uint64_t>(d), &n))
      fail("{}: tensor '{}' shape {} overflows 64-bit byte count", where, name, shape_str(shape));
  }
  return n;
}

SafetensorsTensorInfo parse_entry(const std::string& name, const nlohmann::json& e, const std::string& where) {
  if (!e.is_object()) fail("{}: tensor '{}' header entry is not a JSON object", where, name);
  SafetensorsTensorInfo t;
  t.name = name;
  for (const char* key : {"dtype", "shape", "data_offsets"})
    if (!e.contains(key)) fail("{}: tensor '{}' header entry has no '{}'", where, name, key);

  const auto& dt = e["dtype"];
  if (!dt.is_string()) fail("{}: tensor '{}' dtype must be a string", where, name);
  if (!dtype_from_name(dt.get<std::string>(), t.dtype))
    fail("{}: tensor '{}' has unknown dtype '{}'", where, name, dt.get<std::string>());

  const auto& sh = e["shape"];
  if (!sh.is_array()) fail("{}: tensor '{}' shape must be an array", where, name);
  for (const auto& d : sh) {
    if (!d.is_number_integer()) fail("{}: tensor '{}' shape has a non-integer dimension {}", where, name, d.dump());
    if (d.is_number_unsigned()) {
      const auto u = d.get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) fail("{}: tensor '{}' shape dimension {} is too large", where, name, u);
      t.shape.push_back(static_cast<int64_t>(u));
    } else {
      const auto v = d.get<int64_t>();
      if (v < 0) fail("{}: tensor '{}' shape has negative dimension {}", where, name, v);
      t.shape.push_back(v);
    }
  }

  const auto& off = e["data_offsets"];
  if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
    fail("{}: tensor '{}' data_offsets must be two non-negative integers (got {})", where, name, off.dump());
  t.data_begin = off[0].get<uint64_t>();
  t.data_end = off[1].get<uint64_t>();
  if (t.data_end < t.data_begin)
    fail("{}: tensor '{}' data_offsets end {} is before begin {}", where, name, t.data_end, t.data_begin);

  const uint64_t want = checked_nbytes(t.shape, t.dtype, where, name);
  if (t.nbytes() != want)
    fail("{}: tensor '{}' data_offsets span {} bytes but dtype {} with shape {} needs {} bytes", where, name,
         t.nbytes(), dtype_name(t.dtype), shape_str(t.shape), want);
  return t;
}

}  // namespace

const SafetensorsTensorInfo* SafetensorsHeader::find(const std::string& name) const {
  auto it = std::lower_bound(tensors.begin(), tensors.end(), name,
                             [](const SafetensorsTensorInfo& t, const std::string& n) { return t.name < n; });
  return it != tensors.end() && it->name == name ? &*it : nullptr;
}

SafetensorsHeader parse_safetensors_header_json(const char* json, size_t json_bytes, uint64_t data_bytes,
                                                const std::string& where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json, json + json_bytes);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: invalid JSON header: {}", where, e.what());
  }
  if (!j.is_object()) fail("{}: JSON header must be an object of tensors (got {})", where, j.type_name());

  SafetensorsHeader h;
  h.header_bytes = json_bytes;
  h.data_bytes = data_bytes;
  for (const auto& [name, entry] : j.items()) {
    if (name == kSafetensorsMetadataKey) {
      if (!entry.is_object()) fail("{}: '{}' must be an object of strings", where, name);
      for (const auto& [k, v] : entry.items()) {
        if (!v.is_string()) fail("{}: '{}' value for '{}' must be a string", where, name, k);
        h.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    h.tensors.push_back(parse_entry(name, entry, where));
  }
  // nlohmann's object is a std::map, so items() already came sorted by name.
  for (const auto& t : h.tensors) {
    if (t.data_end > data_bytes)
      fail("{}: tensor '{}' data_offsets [{}, {}] run past the {}-byte data buffer (file truncated?)", where, t.name,
           t.data_begin, t.data_end, data_bytes);
  }

  // Offsets must tile the data buffer exactly: sorted, contiguous from 0, no gaps or overlaps.
  std::vector<const SafetensorsTensorInfo*> by_offset;
  for (const auto& t : h.tensors) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(), [](const auto* a, const auto* b) {
    return a->data_begin != b->data_begin ? a->data_begin < b->data_begin : a->data_end < b->data_end;
  });
  uint64_t covered = 0;
  const SafetensorsTensorInfo* prev = nullptr;
  for (const auto* t : by_offset) {
    if (t->data_begin < covered)
      fail("{}: tensor '{}' data_offsets [{}, {}] overlap tensor '{}' ending at {}", where, t->name, t->data_begin,
           t->data_end, prev->name, covered);
    if (t->data_begin > covered)
      fail("{}: gap of {} bytes in the data buffer before tensor '{}' (data_offsets must tile the buffer)", where,
           t->data_begin - covered, t->name);
    covered = t->data_end;
    prev = t;
  }
  if (covered != data_bytes)
    fail("{}: tensors cover {} bytes but the data buffer holds {} (data_offsets must tile the buffer)", where,
         covered, data_bytes);
  return h;
}

SafetensorsHeader read_safetensors_header(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) fail("{}: no such safetensors file", path);
  const uint64_t file_bytes = std::filesystem::file_size(path, ec);
  if (ec) fail("{}: cannot stat: {}", path, ec.message());
  if (file_bytes < kSafetensorsLengthBytes)
    fail("{}: file is {} bytes, shorter than the {}-byte header length prefix", path, file_bytes,
         kSafetensorsLengthBytes);
  std::ifstream f(path, std::ios::binary);
  if (!f) fail("{}: cannot open", path);
  uint8_t len[kSafetensorsLengthBytes];
  f.read(reinterpret_cast<char*>(len), sizeof(len));
  const uint64_t n = read_le_u64(len);
  if (n > kSafetensorsMaxHeaderBytes)
    fail("{}: header length {} is absurd (limit {} bytes)", path, n, kSafetensorsMaxHeaderBytes);
  if (n > file_bytes - kSafetensorsLengthBytes)
    fail("{}: header length {} exceeds the {} bytes left in the file", path, n, file_bytes - kSafetensorsLengthBytes);
  std::string json(n, '\0');
  if (!f.read(json.data(), static_cast<std::streamsize>(n))) fail("{}: cannot read the {}-byte header", path, n);
  return parse_safetensors_header_json(json.data(), json.size(), file_bytes - kSafetensorsLengthBytes - n, path);
}

// ---------------------------------------------------------------- SafetensorsFile

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail("{}: no such safetensors file", path);
  if (!std::filesystem::is_regular_file(path, ec)) fail("{}: not a regular file", path);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("{}: cannot open: {}", path, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    fail("{}: cannot stat: {}", path, std::strerror(err));
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    void* m = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      fail("{}: cannot mmap {} bytes: {}", path, size_, std::strerror(err));
    }
    mapping_ = m;
    base_ = static_cast<const uint8_t*>(m);
  }
  ::close(fd);  // the mapping stays valid
  parse();      // on throw the destructor does not run: unmap here
}

SafetensorsFile SafetensorsFile::from_buffer(const void* data, size_t size, const std::string& name) {
  SafetensorsFile f;
  f.path_ = name;
  f.base_ = static_cast<const uint8_t*>(data);
  f.size_ = size;
  f.parse();
  return f;
}

void SafetensorsFile::parse() {
  try {
    if (size_ < kSafetensorsLengthBytes)
      fail("{}: file is {} bytes, shorter than the {}-byte header length prefix", path_, size_,
           kSafetensorsLengthBytes);
    const uint64_t n = read_le_u64(base_);
    if (n > kSafetensorsMaxHeaderBytes)
      fail("{}: header length {} is absurd (limit {} bytes)", path_, n, kSafetensorsMaxHeaderBytes);
    const uint64_t rest = size_ - kSafetensorsLengthBytes;
    if (n > rest) fail("{}: header length {} exceeds the {} bytes left in the file", path_, n, rest);
    header_ = parse_safetensors_header_json(reinterpret_cast<const char*>(base_ + kSafetensorsLengthBytes), n,
                                            rest - n, path_);
  } catch (...) {
    if (mapping_) ::munmap(mapping_, size_);
    mapping_ = nullptr;
    throw;
  }
}

SafetensorsFile::SafetensorsFile(SafetensorsFile&& o) noexcept { *this = std::move(o); }

SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&& o) noexcept {
  if (this != &o) {
    if (mapping_) ::munmap(mapping_, size_);
    path_ = std::move(o.path_);
    base_ = o.base_;
    size_ = o.size_;
    mapping_ = o.mapping_;
    header_ = std::move(o.header_);
    o.base_ = nullptr;
    o.size_ = 0;
    o.mapping_ = nullptr;
  }
  return *this;
}

SafetensorsFile::~SafetensorsFile() {
  if (mapping_) ::munmap(mapping_, size_);
}

RawTensorView SafetensorsFile::raw(const std::string& name) const {
  const auto* t = header_.find(name);
  if (!t) fail("{}: tensor '{}' is not in this file", path_, name);
  RawTensorView v;
  v.name = t->name;
  v.dtype = t->dtype;
  v.shape = t->shape;
  v.data = base_ + kSafetensorsLengthBytes + header_.header_bytes + t->data_begin;
  v.nbytes = static_cast<size_t>(t->nbytes());
  return v;
}

Tensor SafetensorsFile::to_f32(const std::string& name) const {
  const RawTensorView v = raw(name);
  if (!is_float_dtype(v.dtype))
    fail("{}: tensor '{}' has dtype {}; expected F32, F16 or BF16", path_, name, dtype_name(v.dtype));
  Tensor out(v.shape);
  convert_to_f32(v.dtype, v.data, out.numel(), out.ptr());
  return out;
}

// ---------------------------------------------------------------- conversions

void convert_to_f32(DType dtype, const uint8_t* src, int64_t n, float* dst) {
  if (n <= 0) return;  // empty tensors may have null buffers, which memcpy must not see
  switch (dtype) {
    case DType::F32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case DType::F16:
#pragma omp parallel for schedule(static) if (n >= kParallelConvertMinElems)
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        dst[i] = f16_to_f32(h);
      }
      return;
    case DType::BF16:
#pragma omp parallel for schedule(static) if (n >= kParallelConvertMinElems)
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        dst[i] = bf16_to_f32(h);
      }
      return;
    default:
      fail("cannot convert dtype {} to fp32", dtype_name(dtype));
  }
}

// Serial on purpose: the writer calls this per 1M-element chunk and is bound by the disk anyway.
void convert_from_f32(DType dtype, const float* src, int64_t n, uint8_t* dst) {
  if (n <= 0) return;  // empty tensors may have null buffers, which memcpy must not see
  switch (dtype) {
    case DType::F32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case DType::F16:
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = f32_to_f16(src[i]);
        std::memcpy(dst + 2 * i, &h, 2);
      }
      return;
    case DType::BF16:
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = f32_to_bf16(src[i]);
        std::memcpy(dst + 2 * i, &h, 2);
      }
      return;
    default:
      fail("cannot store fp32 values as dtype {}", dtype_name(dtype));
  }
}

// ---------------------------------------------------------------- SafetensorsWriter

uint64_t SafetensorsWriter::Entry::nbytes() const {
  return f32 ? static_cast<uint64_t>(f32->numel()) * dtype_size(dtype) : raw.size();
}

void SafetensorsWriter::add(const std::string& name, const Tensor& t, DType dtype) {
  if (!is_float_dtype(dtype)) fail("safetensors writer: tensor '{}': fp32 data can be stored as F32, F16 or BF16, not {}", name, dtype_name(dtype));
  if (name.empty() || name == kSafetensorsMetadataKey) fail("safetensors writer: invalid tensor name '{}'", name);
  if (t.numel() != Tensor::numel_of(t.shape))
    fail("safetensors writer: tensor '{}' holds {} values for shape {}", name, t.numel(), shape_str(t.shape));
  Entry e;
  e.dtype = dtype;
  e.shape = t.shape;
  e.f32 = &t;
  if (!entries_.emplace(name, std::move(e)).second) fail("safetensors writer: duplicate tensor '{}'", name);
}

void SafetensorsWriter::add_raw(const std::string& name, DType dtype, std::vector<int64_t> shape,
                                std::vector<uint8_t> bytes) {
  if (name.empty() || name == kSafetensorsMetadataKey) fail("safetensors writer: invalid tensor name '{}'", name);
  for (int64_t d : shape)
    if (d < 0) fail("safetensors writer: tensor '{}' has negative dimension in {}", name, shape_str(shape));
  const uint64_t want = checked_nbytes(shape, dtype, "safetensors writer", name);
  if (bytes.size() != want)
    fail("safetensors writer: tensor '{}' has {} bytes but dtype {} with shape {} needs {}", name, bytes.size(),
         dtype_name(dtype), shape_str(shape), want);
  Entry e;
  e.dtype = dtype;
  e.shape = std::move(shape);
  e.raw = std::move(bytes);
  if (!entries_.emplace(name, std::move(e)).second) fail("safetensors writer: duplicate tensor '{}'", name);
}

uint64_t SafetensorsWriter::data_bytes() const {
  uint64_t n = 0;
  for (const auto& [name, e] : entries_) n += e.nbytes();
  return n;
}

std::string SafetensorsWriter::header_json() const {
  nlohmann::json j = nlohmann::json::object();
  if (!metadata_.empty()) j[kSafetensorsMetadataKey] = metadata_;
  uint64_t off = 0;
  for (const auto& [name, e] : entries_) {
    const uint64_t end = off + e.nbytes();
    j[name] = {{"dtype", dtype_name(e.dtype)}, {"shape", e.shape}, {"data_offsets", {off, end}}};
    off = end;
  }
  std::string s = j.dump();
  s.append((kSafetensorsHeaderAlignBytes - s.size() % kSafetensorsHeaderAlignBytes) % kSafetensorsHeaderAlignBytes,
           ' ');
  return s;
}

uint64_t SafetensorsWriter::file_bytes() const {
  return kSafetensorsLengthBytes + header_json().size() + data_bytes();
}

template <typename Sink>
void SafetensorsWriter::emit(Sink&& sink) const {
  const std::string hdr = header_json();
  uint8_t len[kSafetensorsLengthBytes];
  for (size_t i = 0; i < kSafetensorsLengthBytes; ++i) len[i] = static_cast<uint8_t>(static_cast<uint64_t>(hdr.size()) >> (8 * i));
  sink(len, sizeof(len));
  sink(reinterpret_cast<const uint8_t*>(hdr.data()), hdr.size());
  std::vector<uint8_t> buf;
  for (const auto& [name, e] : entries_) {
    if (!e.f32) {
      sink(e.raw.data(), e.raw.size());
      continue;
    }
    const size_t es = dtype_size(e.dtype);
    const int64_t n = e.f32->numel();
    for (int64_t i = 0; i < n; i += kWriteChunkElems) {
      const int64_t m = std::min(kWriteChunkElems, n - i);
      buf.resize(static_cast<size_t>(m) * es);
      convert_from_f32(e.dtype, e.f32->ptr() + i, m, buf.data());
      sink(buf.data(), buf.size());
    }
  }
}

void SafetensorsWriter::write(const std::string& path) const {
  // Write beside the target and rename, so a failed write never leaves a half file under its name.
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) fail("{}: cannot create: {}", tmp, std::strerror(errno));
  bool ok = true;
  try {
    emit([&](const uint8_t* p, size_t n) {
      if (ok && n && std::fwrite(p, 1, n, f) != n) ok = false;
    });
  } catch (...) {
    std::fclose(f);
    std::remove(tmp.c_str());
    throw;
  }
  if (std::fclose(f) != 0) ok = false;
  if (!ok) {
    std::remove(tmp.c_str());
    fail("{}: write failed (disk full?)", path);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) fail("{}: cannot rename from {}: {}", path, tmp, ec.message());
}

std::vector<uint8_t> SafetensorsWriter::to_bytes() const {
  std::vector<uint8_t> out;
  emit([&](const uint8_t* p, size_t n) { out.insert(out.end(), p, p + n); });
  return out;
}

}  // namespace fpgallm
