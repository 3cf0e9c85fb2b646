// Declarations of the Vitis HLS stream interface the emitted kernel uses, written for fpgallm from
// the API UG1399 documents ("HLS Stream Library": hls::stream<T, DEPTH> with blocking read/write,
// non-blocking read_nb/write_nb, empty/full/size), so the kernel's __SYNTHESIS__ branch compiles
// here as Vitis HLS's front end would see it (tests/accel_hls, HlsSynthesisBranch). Declarations
// only: nothing here runs, and no vendor header is copied.
#ifndef FPGALLM_VITIS_HLS_API_HLS_STREAM_H
#define FPGALLM_VITIS_HLS_API_HLS_STREAM_H

namespace hls {

template <typename T, int DEPTH = 0>
class stream {
 public:
  stream();
  explicit stream(const char* name);
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;

  /** Blocking read. */
  T read();
  void read(T& dout);
  void operator>>(T& dout);
  /** Blocking write. */
  void write(const T& din);
  void operator<<(const T& din);
  /** Non-blocking: false when empty (read) or full (write). */
  bool read_nb(T& dout);
  bool write_nb(const T& din);
  bool empty() const;
  bool full() const;
  unsigned size() const;
};

}  // namespace hls

#endif
