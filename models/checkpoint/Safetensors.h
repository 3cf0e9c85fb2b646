#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/core/Dtype.h"
#include "models/core/Tensor.h"

namespace fpgallm {

/**
 * Safetensors format: 8-byte little-endian header length N, N bytes of JSON
 * {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the data
 * buffer. Offsets are relative to the data buffer and must tile it exactly.
 */
constexpr size_t kSafetensorsLengthBytes = 8;
/** Headers above this are rejected as corrupt (HF's own reader uses the same 100 MB bound). */
constexpr uint64_t kSafetensorsMaxHeaderBytes = 100ull * 1000 * 1000;
/** Writers pad the JSON header with spaces so the data buffer starts 8-byte aligned. */
constexpr size_t kSafetensorsHeaderAlignBytes = 8;
constexpr const char* kSafetensorsMetadataKey = "__metadata__";

/** One tensor's header entry. Offsets are relative to the start of the data buffer. */
struct SafetensorsTensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t data_begin = 0;
  uint64_t data_end = 0;

  int64_t numel() const { return Tensor::numel_of(shape); }
  uint64_t nbytes() const { return data_end - data_begin; }
};

/** A validated header: every entry's size matches its dtype and shape, offsets tile the data. */
struct SafetensorsHeader {
  std::vector<SafetensorsTensorInfo> tensors;  ///< sorted by name
  std::map<std::string, std::string> metadata;
  uint64_t header_bytes = 0;  ///< N, the JSON length including padding
  uint64_t data_bytes = 0;    ///< size of the data buffer after the header

  /** Null when absent. */
  const SafetensorsTensorInfo* find(const std::string& name) const;
  uint64_t file_bytes() const { return kSafetensorsLengthBytes + header_bytes + data_bytes; }
};

/**
 * Parses and validates the JSON header of length `json_bytes`, given the size of the data buffer
 * that follows it. Throws fpgallm::Error naming `where` (the file) and the tensor on any defect.
 */
SafetensorsHeader parse_safetensors_header_json(const char* json, size_t json_bytes, uint64_t data_bytes,
                                                const std::string& where);

/** Reads only the length prefix and the JSON header of a file (the data is never read). */
SafetensorsHeader read_safetensors_header(const std::string& path);

/** Bytes of one tensor as stored, for dtypes the fp32 path does not cover (AWQ int32/fp16). */
struct RawTensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;  ///< little-endian, not necessarily aligned
  size_t nbytes = 0;
};

/**
 * A safetensors image in memory: a read-only mmap of a file, or a caller's buffer (fuzzing,
 * tests). The whole file is validated on open; tensor data is touched only when requested, so a
 * full-size checkpoint costs its fp32 tensors plus page cache, never an extra copy.
 */
class SafetensorsFile {
 public:
  /** Maps `path` read-only. */
  explicit SafetensorsFile(const std::string& path);
  /** Parses `size` bytes at `data`; the buffer is not copied and must outlive this object. */
  static SafetensorsFile from_buffer(const void* data, size_t size, const std::string& name);

  SafetensorsFile(SafetensorsFile&&) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&&) noexcept;
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;
  ~SafetensorsFile();

  const std::string& path() const { return path_; }
  const SafetensorsHeader& header() const { return header_; }
  bool contains(const std::string& name) const { return header_.find(name) != nullptr; }

  /** Stored bytes of any tensor; throws naming the file and tensor when absent. */
  RawTensorView raw(const std::string& name) const;
  /** F32/F16/BF16 tensor converted to fp32 (exact); other dtypes throw naming the tensor. */
  Tensor to_f32(const std::string& name) const;

 private:
  SafetensorsFile() = default;
  void parse();

  std::string path_;
  const uint8_t* base_ = nullptr;
  size_t size_ = 0;
  void* mapping_ = nullptr;  ///< owned mmap region, null for caller buffers
  SafetensorsHeader header_;
};

/** Converts `n` stored values of dtype F32/F16/BF16 to fp32 (throws for other dtypes). */
void convert_to_f32(DType dtype, const uint8_t* src, int64_t n, float* dst);
/** Converts fp32 to F32/F16/BF16 bytes (round to nearest even). */
void convert_from_f32(DType dtype, const float* src, int64_t n, uint8_t* dst);

/**
 * Writes a safetensors file: tensors in sorted-name order, JSON header padded with spaces to an
 * 8-byte boundary, optional `__metadata__`. fp32 sources are converted while writing, so no
 * second copy of a large model is built.
 */
class SafetensorsWriter {
 public:
  /** Stores fp32 `t` as `dtype` (F32/F16/BF16). `t` is referenced, not copied: keep it alive. */
  void add(const std::string& name, const Tensor& t, DType dtype);
  /** Stores raw little-endian bytes of any dtype (int32 qweight, fp16 scales); copied. */
  void add_raw(const std::string& name, DType dtype, std::vector<int64_t> shape, std::vector<uint8_t> bytes);
  void set_metadata(const std::string& key, const std::string& value) { metadata_[key] = value; }

  /** Bytes the file will occupy. */
  uint64_t file_bytes() const;
  /** Bytes the data of tensor entries will occupy (no header). */
  uint64_t data_bytes() const;
  size_t size() const { return entries_.size(); }

  void write(const std::string& path) const;
  /** The whole file in memory (tests, fuzz seeds). */
  std::vector<uint8_t> to_bytes() const;

 private:
  struct Entry {
    DType dtype;
    std::vector<int64_t> shape;
    const Tensor* f32 = nullptr;  ///< converted on write
    std::vector<uint8_t> raw;     ///< used when f32 is null
    uint64_t nbytes() const;
  };
  std::string header_json() const;
  template <typename Sink> void emit(Sink&& sink) const;

  std::map<std::string, Entry> entries_;  // sorted names give the deterministic order
  std::map<std::string, std::string> metadata_;
};

}  // namespace fpgallm
