#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/core.h>

#include "apps/fpgallm/Command.h"
#include "models/core/Error.h"
#include "models/tokenizer/Tokenizer.h"

namespace {

struct TokenizeArgs {
  std::string tokenizer, text, file, decode;
  int64_t vocab_size = 0;
  bool show = false, no_bos = false;
};

/** A piece as one printable line: control bytes, '\' and bytes >= 0x80 of broken UTF-8 escaped. */
std::string escape_piece(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c == '\\') out += "\\\\";
    else if (c < 0x20 || c == 0x7F) out += fmt::format("\\x{:02x}", c);
    else if (c < 0x80) out += static_cast<char>(c);
    else {
      // Keep complete UTF-8 sequences readable; a piece may hold only part of a character.
      const size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
      bool whole = len > 0 && i + len <= s.size();
      for (size_t k = 1; whole && k < len; ++k) whole = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
      if (whole) {
        out.append(s, i, len);
        i += len - 1;
      } else {
        out += fmt::format("\\x{:02x}", c);
      }
    }
  }
  return out;
}

std::vector<int32_t> parse_ids(const std::string& text, int64_t vocab_size) {
  std::vector<int32_t> ids;
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    if (std::isspace(static_cast<unsigned char>(*p)) || *p == ',') {
      ++p;
      continue;
    }
    int32_t id = 0;
    const auto [next, ec] = std::from_chars(p, end, id);
    if (ec != std::errc() || (next < end && !std::isspace(static_cast<unsigned char>(*next)) && *next != ','))
      fpgallm::fail("--decode: '{}' is not a token id", std::string(p, std::min<size_t>(end - p, 20)));
    if (id < 0 || id >= vocab_size) fpgallm::fail("--decode: id {} is outside the vocabulary (0..{})", id, vocab_size - 1);
    ids.push_back(id);
    p = next;
  }
  return ids;
}

void run_tokenize(const TokenizeArgs& a, bool decoding) {
  using namespace fpgallm;
  if (a.vocab_size == 0 && a.tokenizer.size() >= 4 && a.tokenizer.compare(a.tokenizer.size() - 4, 4, ".bin") == 0)
    fail("{}: a llama2.c tokenizer needs --vocab-size (the model's vocab size, 512 for tok512.bin)", a.tokenizer);
  auto tok = load_tokenizer(a.tokenizer, a.vocab_size);
  if (decoding) {
    fmt::print("{}\n", tok->decode(parse_ids(a.decode, tok->vocab_size())));
    return;
  }
  std::string text = a.text;
  if (!a.file.empty()) {
    std::ifstream f(a.file, std::ios::binary);
    if (!f) fail("{}: cannot open", a.file);
    std::ostringstream ss;
    ss << f.rdbuf();
    text = std::move(ss).str();
  }
  std::vector<int32_t> ids;
  try {
    ids = tok->encode(text, !a.no_bos);
  } catch (const Error& e) {
    if (a.file.empty()) throw;
    fail("{}: {}", a.file, e.what());  // name the file the bad text came from
  }
  if (a.show) {
    int32_t prev = -1;
    for (int32_t id : ids) {
      fmt::print("{}\t{}\n", id, escape_piece(tok->decode_token(prev, id)));
      prev = id;
    }
    return;
  }
  std::string line;
  for (size_t i = 0; i < ids.size(); ++i) line += (i ? " " : "") + std::to_string(ids[i]);
  fmt::print("{}\n", line);
}

void setup(CLI::App& app) {
  auto a = std::make_shared<TokenizeArgs>();
  auto* c = app.add_subcommand("tokenize", "Encode text to token ids (or decode ids back to text)");
  c->add_option("--tokenizer", a->tokenizer, "llama2.c .bin, or a Qwen2 tokenizer folder (vocab.json + merges.txt) or a file in it")
      ->required();
  auto* text = c->add_option("--text", a->text, "text to encode");
  auto* file = c->add_option("--file", a->file, "file whose UTF-8 contents to encode");
  auto* decode = c->add_option("--decode", a->decode, "token ids to decode, separated by spaces or commas");
  text->excludes(file, decode);
  file->excludes(decode);
  c->add_option("--vocab-size", a->vocab_size, "number of tokens in a llama2.c .bin tokenizer (512 for tok512.bin)")
      ->check(CLI::PositiveNumber);
  c->add_flag("--show", a->show, "print one token per line: id, tab, piece (escaped)");
  c->add_flag("--no-bos", a->no_bos, "do not prepend BOS (llama2.c; Qwen has none)");
  c->callback([a, text, file, decode] {
    if (!*text && !*file && !*decode) throw CLI::RequiredError("one of --text, --file or --decode");
    run_tokenize(*a, static_cast<bool>(*decode));
  });
}

}  // namespace

FPGALLM_REGISTER_COMMAND("tokenize", setup);
