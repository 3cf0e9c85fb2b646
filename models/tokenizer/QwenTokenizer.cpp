#include "models/tokenizer/QwenTokenizer.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <limits>
#include <queue>
#include <sstream>

#include <nlohmann/json.hpp>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include "models/core/Error.h"

namespace fpgallm {
namespace {

namespace fs = std::filesystem;

constexpr const char* kVocabFile = "vocab.json";
constexpr const char* kMergesFile = "merges.txt";
constexpr const char* kTokenizerConfigFile = "tokenizer_config.json";
constexpr const char* kAddedTokensFile = "added_tokens.json";
constexpr std::string_view kMergesVersionPrefix = "#version";
constexpr std::string_view kEndOfTextToken = "<|endoftext|>";
/** vocab.json of Qwen2/Qwen2.5 holds this many tokens; the Qwen2.5 added tokens follow it. */
constexpr int64_t kQwen2BaseVocabSize = 151643;
/** Words longer than this are not cached (rare, and they would bloat the cache). */
constexpr size_t kMaxCachedWordBytes = 256;
/** The cache is dropped when it reaches this many words, bounding its memory. */
constexpr size_t kMaxCachedWords = 1 << 17;
constexpr int kByteValues = 256;
/** GPT-2's byte-level alphabet uses codepoints below this. */
constexpr char32_t kByteLevelAlphabetEnd = 256 + 68;
constexpr char32_t kMaxCodepoint = 0x10FFFF;

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail("{}: cannot open", path);
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) fail("{}: read error", path);
  return std::move(ss).str();
}

/** Strict UTF-8 decode of one codepoint at `i` (no overlongs, surrogates or values past U+10FFFF).
 *  Returns false on an invalid sequence; advances `i` on success. */
bool next_codepoint(std::string_view s, size_t& i, char32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    cp = b0;
    ++i;
    return true;
  }
  size_t len = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return false;
  }
  if (i + len > s.size()) return false;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return false;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > kMaxCodepoint || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  i += len;
  return true;
}

void require_utf8(std::string_view s, std::string_view what) {
  for (size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    if (!next_codepoint(s, i, cp)) fail("{}: invalid UTF-8 at byte {}", what, i);
  }
}

/** GPT-2 bytes_to_unicode: printable bytes map to themselves, the others to 256, 257, ... in order. */
struct ByteLevel {
  std::array<char32_t, kByteValues> to_cp{};
  std::array<int16_t, kByteLevelAlphabetEnd> to_byte{};
  ByteLevel() {
    to_byte.fill(-1);
    char32_t next = kByteValues;
    for (int b = 0; b < kByteValues; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      to_cp[b] = printable ? static_cast<char32_t>(b) : next++;
      to_byte[to_cp[b]] = static_cast<int16_t>(b);
    }
  }
  /** Raw bytes of a byte-level string, or false if a character is outside the alphabet. */
  bool to_bytes(std::string_view key, std::string& out) const {
    out.clear();
    for (size_t i = 0; i < key.size();) {
      char32_t cp = 0;
      if (!next_codepoint(key, i, cp) || cp >= kByteLevelAlphabetEnd || to_byte[cp] < 0) return false;
      out.push_back(static_cast<char>(to_byte[cp]));
    }
    return true;
  }
};

const ByteLevel& byte_level() {
  static const ByteLevel bl;
  return bl;
}

/** What the regex engine of HF tokenizers (Oniguruma, Unicode mode) means by \p{L}, \p{N}, \s. */
enum class CharClass : uint8_t { Letter, Number, Space, Other };

CharClass classify(char32_t cp) {
  if (cp < 0x80) {
    if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) return CharClass::Letter;
    if (cp >= '0' && cp <= '9') return CharClass::Number;
    if (cp == ' ' || (cp >= '\t' && cp <= '\r')) return CharClass::Space;
    return CharClass::Other;
  }
  // \s in Oniguruma's Unicode mode is 0x09-0x0D, 0x85 and Zs/Zl/Zp: exactly the White_Space property.
  if (u_isUWhiteSpace(static_cast<UChar32>(cp))) return CharClass::Space;
  switch (u_charType(static_cast<UChar32>(cp))) {
    case U_UPPERCASE_LETTER:
    case U_LOWERCASE_LETTER:
    case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER:
      return CharClass::Letter;
    case U_DECIMAL_DIGIT_NUMBER:
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER:
      return CharClass::Number;
    default:
      return CharClass::Other;
  }
}

/** Simple case fold for the contraction letters: ASCII, plus U+017F LONG S which folds to 's'. */
char32_t fold(char32_t cp) {
  constexpr char32_t kLongS = 0x017F;
  if (cp >= 'A' && cp <= 'Z') return cp + ('a' - 'A');
  if (cp == kLongS) return 's';
  return cp;
}

}  // namespace

const std::vector<AddedToken>& qwen25_added_tokens() {
  static const std::vector<AddedToken> tokens = {
      {"<|endoftext|>", 151643},      {"<|im_start|>", 151644},     {"<|im_end|>", 151645},
      {"<|object_ref_start|>", 151646}, {"<|object_ref_end|>", 151647}, {"<|box_start|>", 151648},
      {"<|box_end|>", 151649},        {"<|quad_start|>", 151650},   {"<|quad_end|>", 151651},
      {"<|vision_start|>", 151652},   {"<|vision_end|>", 151653},   {"<|vision_pad|>", 151654},
      {"<|image_pad|>", 151655},      {"<|video_pad|>", 151656},    {"<tool_call>", 151657},
      {"</tool_call>", 151658},       {"<|fim_prefix|>", 151659},   {"<|fim_middle|>", 151660},
      {"<|fim_suffix|>", 151661},     {"<|fim_pad|>", 151662},      {"<|repo_name|>", 151663},
      {"<|file_sep|>", 151664},
  };
  return tokens;
}

std::string nfc_normalize(std::string_view utf8, std::string_view what) {
  require_utf8(utf8, what);
  // ASCII is always in NFC; skipping ICU there keeps plain text fast.
  if (std::all_of(utf8.begin(), utf8.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
    return std::string(utf8);
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(err);
  if (U_FAILURE(err)) fail("ICU: cannot get the NFC normaliser ({})", u_errorName(err));
  const icu::UnicodeString in = icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  if (nfc->isNormalized(in, err) && U_SUCCESS(err)) return std::string(utf8);
  err = U_ZERO_ERROR;
  const icu::UnicodeString out = nfc->normalize(in, err);
  if (U_FAILURE(err)) fail("{}: NFC normalisation failed ({})", what, u_errorName(err));
  std::string result;
  out.toUTF8String(result);
  return result;
}

QwenTokenizer::QwenTokenizer(const std::string& dir) {
  const std::string vocab_path = (fs::path(dir) / kVocabFile).string();
  const std::string merges_path = (fs::path(dir) / kMergesFile).string();
  if (!fs::is_regular_file(vocab_path)) fail("{}: missing (a Qwen2 tokenizer folder needs {} and {})", vocab_path, kVocabFile, kMergesFile);
  if (!fs::is_regular_file(merges_path)) fail("{}: missing (a Qwen2 tokenizer folder needs {} and {})", merges_path, kVocabFile, kMergesFile);
  std::unordered_map<std::string, int32_t> by_key;  // byte-level spelling -> id, only while loading
  load_vocab(vocab_path, by_key);
  load_merges(merges_path, by_key);
  load_added_tokens(dir);
  eos_id_ = added_token_id(kEndOfTextToken);
}

void QwenTokenizer::load_vocab(const std::string& path, std::unordered_map<std::string, int32_t>& by_key) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    fail("{}: not valid JSON ({})", path, e.what());
  }
  if (!j.is_object()) fail("{}: expected a JSON object mapping token -> id, got {}", path, j.type_name());
  if (j.empty()) fail("{}: the vocabulary is empty", path);
  const size_t n = j.size();
  pieces_.assign(n, std::string());
  std::vector<bool> seen(n, false);
  by_key.reserve(n);
  const ByteLevel& bl = byte_level();
  std::string bytes;
  for (const auto& [key, value] : j.items()) {
    if (!value.is_number_integer()) fail("{}: token '{}' has id {}, not an integer", path, key, value.dump());
    const int64_t id = value.get<int64_t>();
    if (id < 0 || id >= static_cast<int64_t>(n))
      fail("{}: token '{}' has id {}, outside 0..{} (ids must be contiguous)", path, key, id, n - 1);
    if (seen[id]) fail("{}: id {} is given to two tokens (second: '{}')", path, id, key);
    if (key.empty()) fail("{}: empty token string for id {}", path, id);
    if (!bl.to_bytes(key, bytes)) fail("{}: token '{}' (id {}) has a character outside the byte-level alphabet", path, key, id);
    seen[id] = true;
    pieces_[id] = bytes;
    by_key.emplace(key, static_cast<int32_t>(id));
  }
  base_vocab_size_ = static_cast<int64_t>(n);
  for (int b = 0; b < kByteValues; ++b) {
    std::string key;
    const char32_t cp = bl.to_cp[b];
    // Byte-level codepoints are < 0x800, so one or two UTF-8 bytes.
    if (cp < 0x80) {
      key.push_back(static_cast<char>(cp));
    } else {
      key.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      key.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
    auto it = by_key.find(key);
    if (it == by_key.end()) fail("{}: no token for byte 0x{:02X} ('{}'); byte-level BPE needs all 256", path, b, key);
    byte_token_[b] = it->second;
  }
}

void QwenTokenizer::load_merges(const std::string& path, const std::unordered_map<std::string, int32_t>& by_key) {
  const std::string text = read_file(path);
  merges_.reserve(by_key.size());
  std::string joined;
  size_t line_no = 0;
  int32_t rank = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    const bool last = end == std::string::npos;
    if (last) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_no == 1 && line.substr(0, kMergesVersionPrefix.size()) == kMergesVersionPrefix) continue;
    if (line.empty()) {
      if (last || pos >= text.size()) break;  // trailing newline
      fail("{}:{}: empty line inside the merges", path, line_no);
    }
    const size_t sp = line.find(' ');
    if (sp == std::string_view::npos || sp == 0 || sp + 1 >= line.size() || line.find(' ', sp + 1) != std::string_view::npos)
      fail("{}:{}: expected two tokens separated by one space, got '{}'", path, line_no, line);
    const std::string left(line.substr(0, sp)), right(line.substr(sp + 1));
    const auto l = by_key.find(left);
    if (l == by_key.end()) fail("{}:{}: '{}' is not in {}", path, line_no, left, kVocabFile);
    const auto r = by_key.find(right);
    if (r == by_key.end()) fail("{}:{}: '{}' is not in {}", path, line_no, right, kVocabFile);
    joined = left + right;
    const auto m = by_key.find(joined);
    if (m == by_key.end()) fail("{}:{}: merged token '{}' is not in {}", path, line_no, joined, kVocabFile);
    const uint64_t pair = (static_cast<uint64_t>(static_cast<uint32_t>(l->second)) << 32) | static_cast<uint32_t>(r->second);
    // A repeated pair keeps its first (best) rank.
    merges_.emplace(pair, Merge{rank, m->second});
    ++rank;
  }
  if (rank == 0) fail("{}: no merges", path);
}

void QwenTokenizer::add_token(const AddedToken& t, const std::string& source) {
  if (t.content.empty()) fail("{}: added token {} has empty content", source, t.id);
  require_utf8(t.content, source);
  if (t.id < 0) fail("{}: added token '{}' has negative id {}", source, t.content, t.id);
  const int32_t existing = added_token_id(t.content);
  if (existing >= 0) {
    if (existing != t.id) fail("{}: added token '{}' has id {} but {} elsewhere", source, t.content, t.id, existing);
    return;
  }
  if (t.id < base_vocab_size_) {
    // An added token may re-mark a vocabulary token as special, but only with the same text.
    if (pieces_[t.id] != t.content)
      fail("{}: added token '{}' reuses id {} of vocabulary token '{}'", source, t.content, t.id, pieces_[t.id]);
  } else {
    if (t.id >= static_cast<int64_t>(pieces_.size())) pieces_.resize(static_cast<size_t>(t.id) + 1);
    if (!pieces_[t.id].empty()) fail("{}: added token '{}' has id {}, already used by '{}'", source, t.content, t.id, pieces_[t.id]);
    pieces_[t.id] = t.content;
  }
  added_.push_back(t);
}

void QwenTokenizer::load_added_tokens(const std::string& dir) {
  const auto parse = [](const std::string& path) {
    try {
      return nlohmann::json::parse(read_file(path));
    } catch (const nlohmann::json::exception& e) {
      fail("{}: not valid JSON ({})", path, e.what());
    }
  };
  const std::string config_path = (fs::path(dir) / kTokenizerConfigFile).string();
  if (fs::is_regular_file(config_path)) {
    const nlohmann::json cfg = parse(config_path);
    if (!cfg.is_object()) fail("{}: expected a JSON object", config_path);
    if (auto it = cfg.find("added_tokens_decoder"); it != cfg.end()) {
      if (!it->is_object()) fail("{}: added_tokens_decoder must be an object", config_path);
      for (const auto& [key, tok] : it->items()) {
        int32_t id = -1;
        size_t used = 0;
        try {
          id = std::stoi(key, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != key.size()) fail("{}: added_tokens_decoder key '{}' is not an id", config_path, key);
        if (!tok.is_object() || !tok.contains("content") || !tok["content"].is_string())
          fail("{}: added_tokens_decoder.{} needs a string 'content'", config_path, key);
        add_token({tok["content"].get<std::string>(), id}, config_path);
      }
    }
  }
  const std::string added_path = (fs::path(dir) / kAddedTokensFile).string();
  if (fs::is_regular_file(added_path)) {
    const nlohmann::json j = parse(added_path);
    if (!j.is_object()) fail("{}: expected a JSON object mapping token -> id", added_path);
    for (const auto& [content, id] : j.items()) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > std::numeric_limits<int32_t>::max())
        fail("{}: '{}' has id {}, not a non-negative 32-bit integer", added_path, content, id.dump());
      add_token({content, static_cast<int32_t>(id.get<int64_t>())}, added_path);
    }
  }
  // Qwen2.5 folders often list only a few of its added tokens; the model knows all 22.
  if (base_vocab_size_ == kQwen2BaseVocabSize) {
    for (const AddedToken& t : qwen25_added_tokens()) {
      const bool id_free = t.id >= static_cast<int64_t>(pieces_.size()) || pieces_[t.id].empty();
      if (added_token_id(t.content) < 0 && id_free) add_token(t, "built-in Qwen2.5 added tokens");
    }
  }
  for (size_t id = static_cast<size_t>(base_vocab_size_); id < pieces_.size(); ++id)
    if (pieces_[id].empty()) fail("{}: added token ids leave a gap at id {}", dir, id);
  // Longest first so that matching at one position prefers the longest token.
  std::stable_sort(added_.begin(), added_.end(), [](const AddedToken& a, const AddedToken& b) { return a.content.size() > b.content.size(); });
  for (const AddedToken& t : added_) added_first_byte_[static_cast<unsigned char>(t.content[0])] = true;
}

int32_t QwenTokenizer::added_token_id(std::string_view content) const {
  for (const AddedToken& t : added_)
    if (t.content == content) return t.id;
  return -1;
}

std::vector<std::string_view> QwenTokenizer::pre_tokenize(std::string_view text) {
  // The regex (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|
  // \s*[\r\n]+|\s+(?!\S)|\s+ , evaluated leftmost-first with backtracking, resolved by hand below.
  std::vector<char32_t> cps;
  std::vector<CharClass> cls;
  std::vector<size_t> offs;
  cps.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    offs.push_back(i);
    char32_t cp = 0;
    if (!next_codepoint(text, i, cp)) fail("text: invalid UTF-8 at byte {}", i);
    cps.push_back(cp);
    cls.push_back(classify(cp));
  }
  offs.push_back(text.size());
  const size_t n = cps.size();
  const auto is = [&](size_t k, CharClass c) { return k < n && cls[k] == c; };
  const auto crlf = [&](size_t k) { return k < n && (cps[k] == '\r' || cps[k] == '\n'); };
  // [^\s\p{L}\p{N}]
  const auto other = [&](size_t k) { return is(k, CharClass::Other); };

  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < n) {
    size_t end = i;
    if (cps[i] == '\'' && i + 1 < n) {
      const char32_t a = fold(cps[i + 1]);
      const char32_t b = i + 2 < n ? fold(cps[i + 2]) : 0;
      if (a == 's' || a == 't' || a == 'm' || a == 'd') end = i + 2;
      else if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) end = i + 3;
    }
    if (end == i) {
      size_t start_letters = n;  // where \p{L}+ would start
      if (is(i, CharClass::Letter)) start_letters = i;
      else if (!crlf(i) && !is(i, CharClass::Number) && is(i + 1, CharClass::Letter)) start_letters = i + 1;
      if (start_letters < n) {
        end = start_letters;
        while (is(end, CharClass::Letter)) ++end;
      }
    }
    if (end == i && is(i, CharClass::Number)) end = i + 1;
    if (end == i) {
      size_t j = n;
      if (cps[i] == ' ' && other(i + 1)) j = i + 1;
      else if (other(i)) j = i;
      if (j < n) {
        while (other(j)) ++j;
        while (crlf(j)) ++j;
        end = j;
      }
    }
    if (end == i && is(i, CharClass::Space)) {
      size_t j = i;
      while (is(j, CharClass::Space)) ++j;
      size_t last_nl = n;
      for (size_t k = i; k < j; ++k)
        if (crlf(k)) last_nl = k;
      if (last_nl < n) end = last_nl + 1;  // \s*[\r\n]+
      else if (j == n || j - 1 == i) end = j;  // \s+(?!\S) at the end, or a lone \s via \s+
      else end = j - 1;                        // \s+(?!\S): leave one space for the next word
    }
    words.emplace_back(text.substr(offs[i], offs[end] - offs[i]));
    i = end;
  }
  return words;
}

void QwenTokenizer::bpe(std::string_view word, std::vector<int32_t>& out) const {
  if (word.size() == 1) {
    out.push_back(byte_token_[static_cast<unsigned char>(word[0])]);
    return;
  }
  if (word.size() <= kMaxCachedWordBytes) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (auto it = cache_.find(std::string(word)); it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  struct Symbol {
    int32_t id, prev, next;
  };
  struct Candidate {
    int32_t rank, left, left_id, right_id, merged_id;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
  };
  const auto n = static_cast<int32_t>(word.size());
  std::vector<Symbol> sym(static_cast<size_t>(n));
  for (int32_t k = 0; k < n; ++k) sym[k] = {byte_token_[static_cast<unsigned char>(word[k])], k - 1, k + 1 < n ? k + 1 : -1};
  // Lowest rank first; among equal ranks the leftmost pair, as HF's BPE does.
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  const auto push = [&](int32_t left) {
    if (left < 0) return;  // the first symbol has no left neighbour (prev == -1)
    const int32_t right = sym[left].next;
    if (right < 0) return;
    const uint64_t pair = (static_cast<uint64_t>(static_cast<uint32_t>(sym[left].id)) << 32) | static_cast<uint32_t>(sym[right].id);
    if (auto it = merges_.find(pair); it != merges_.end())
      heap.push({it->second.rank, left, sym[left].id, sym[right].id, it->second.merged_id});
  };
  for (int32_t k = 0; k + 1 < n; ++k) push(k);
  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    Symbol& l = sym[c.left];
    // Stale when either side has merged since: the left symbol's id or right neighbour changed.
    if (l.id != c.left_id || l.next < 0 || sym[l.next].id != c.right_id) continue;
    const int32_t right = l.next;
    l.id = c.merged_id;
    l.next = sym[right].next;
    if (l.next >= 0) sym[l.next].prev = c.left;
    sym[right].id = -1;
    push(l.prev);
    push(c.left);
  }
  const size_t first_out = out.size();
  for (int32_t k = 0; k >= 0; k = sym[k].next) out.push_back(sym[k].id);
  if (word.size() <= kMaxCachedWordBytes) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() >= kMaxCachedWords) cache_.clear();
    cache_.emplace(std::string(word), std::vector<int32_t>(out.begin() + static_cast<std::ptrdiff_t>(first_out), out.end()));
  }
}

void QwenTokenizer::encode_ordinary(std::string_view text, std::vector<int32_t>& out) const {
  if (text.empty()) return;
  const std::string normalized = nfc_normalize(text);
  for (std::string_view word : pre_tokenize(normalized)) bpe(word, out);
}

std::vector<int32_t> QwenTokenizer::encode(const std::string& text, bool /*add_bos*/) const {
  require_utf8(text, "text");
  std::vector<int32_t> ids;
  // Added tokens are matched in the raw text first (leftmost, then longest); the pieces between
  // them are normalised and tokenized on their own, as HF tokenizers does.
  size_t segment_start = 0;
  for (size_t pos = 0; pos < text.size();) {
    const AddedToken* hit = nullptr;
    if (added_first_byte_[static_cast<unsigned char>(text[pos])]) {
      for (const AddedToken& t : added_) {
        if (text.compare(pos, t.content.size(), t.content) == 0) {
          hit = &t;
          break;
        }
      }
    }
    if (!hit) {
      ++pos;
      continue;
    }
    encode_ordinary(std::string_view(text).substr(segment_start, pos - segment_start), ids);
    ids.push_back(hit->id);
    pos += hit->content.size();
    segment_start = pos;
  }
  encode_ordinary(std::string_view(text).substr(segment_start), ids);
  return ids;
}

std::string QwenTokenizer::decode_token(int32_t /*prev*/, int32_t token) const {
  if (token < 0 || token >= static_cast<int32_t>(pieces_.size()))
    fail("token id {} is outside the vocabulary (0..{})", token, pieces_.size() - 1);
  return pieces_[token];
}

}  // namespace fpgallm
