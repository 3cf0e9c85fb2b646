#include <unistd.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "models/core/Error.h"
#include "models/tokenizer/QwenTokenizer.h"
#include "models/tokenizer/Tokenizer.h"

using namespace fpgallm;
namespace fs = std::filesystem;

namespace {

const std::string kData = FPGALLM_DATA_DIR;
const std::string kQwenDir = kData + "/qwen2.5-tokenizer";
const std::string kTok512 = kData + "/stories260K/tok512.bin";
const std::string kCases = std::string(FPGALLM_SOURCE_DIR) + "/tests/fixtures/qwen_tokenizer/cases.json";
constexpr int64_t kTok512VocabSize = 512;
constexpr int64_t kQwen25VocabSize = 151665;
constexpr int32_t kQwenEndOfText = 151643;
constexpr int kLlama2cByteOffset = 3;  // byte b is token b + 3 in llama2.c tokenizers

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return std::move(ss).str();
}

void spit(const fs::path& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f << bytes;
}

/** Runs `fn`, expects fpgallm::Error whose message contains every one of `parts`. */
template <typename Fn>
void expect_error(Fn fn, std::initializer_list<std::string> parts) {
  try {
    fn();
    ADD_FAILURE() << "expected fpgallm::Error";
  } catch (const Error& e) {
    for (const std::string& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << " lacks " << p;
  }
}

/** A scratch folder under the build tree, fresh per test. */
fs::path scratch_dir(const std::string& name) {
  const fs::path dir = fs::path(FPGALLM_BINARY_DIR) / ("test_tokenizer_tmp_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string utf8(char32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

/** Random valid UTF-8 over ranges that stress the pre-tokenizer and BPE; `nfc_stable` keeps to
 *  ranges NFC leaves alone (not U+2000/U+2001, which NFC maps to U+2002/U+2003), so the round trip
 *  must give the text back byte for byte. */
std::string random_text(std::mt19937& rng, bool nfc_stable) {
  struct Range { char32_t lo, hi; };
  static const std::vector<Range> stable = {
      {0x20, 0x7E}, {'\n', '\n'}, {'\r', '\r'}, {'\t', '\t'}, {' ', ' '}, {'0', '9'}, {0x01, 0x1F},
      {0xA0, 0xFF}, {0x4E00, 0x9FFF}, {0x3040, 0x30FF}, {0x0400, 0x04FF}, {0x1F300, 0x1F64F},
      {0x200D, 0x200D}, {0x3000, 0x3000}, {0x2002, 0x200A}, {0x0660, 0x0669}, {0xE000, 0xE0FF}};
  static const std::vector<Range> any = {
      {0x20, 0x7E}, {0x0300, 0x036F}, {0x1100, 0x11FF}, {0xAC00, 0xD7A3}, {0x0041, 0x005A}, {0xF900, 0xFAFF},
      {0x212B, 0x212B}, {0x0085, 0x0085}, {0xFEFF, 0xFEFF}, {0x10000, 0x10FFFF}, {0x0590, 0x06FF}};
  const auto& ranges = nfc_stable ? stable : any;
  std::uniform_int_distribution<size_t> len_dist(0, 48), pick(0, ranges.size() - 1);
  std::string s;
  const size_t len = len_dist(rng);
  for (size_t i = 0; i < len; ++i) {
    const Range r = ranges[pick(rng)];
    char32_t cp = std::uniform_int_distribution<char32_t>(r.lo, r.hi)(rng);
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 'x';
    s += utf8(cp);
  }
  return s;
}

class QwenTok : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { tok_ = std::make_unique<QwenTokenizer>(kQwenDir); }
  static void TearDownTestSuite() { tok_.reset(); }
  static std::unique_ptr<QwenTokenizer> tok_;
};
std::unique_ptr<QwenTokenizer> QwenTok::tok_;

nlohmann::json load_cases() {
  const nlohmann::json j = nlohmann::json::parse(slurp(kCases));
  return j.at("cases");
}

}  // namespace

// --- Qwen2.5 byte-level BPE against HF reference ids --------------------------------------------

TEST_F(QwenTok, IdsMatchHfReferenceForEveryFixtureCase) {
  const nlohmann::json cases = load_cases();
  ASSERT_GE(cases.size(), 40u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    EXPECT_EQ(tok_->encode(c.at("text").get<std::string>(), false), c.at("ids").get<std::vector<int32_t>>());
  }
}

TEST_F(QwenTok, DecodeOfReferenceIdsGivesTheNfcText) {
  for (const auto& c : load_cases()) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    const std::string nfc = c.at("nfc");
    EXPECT_EQ(tok_->decode(c.at("ids").get<std::vector<int32_t>>()), nfc);
    EXPECT_EQ(tok_->decode(tok_->encode(c.at("text"), false)), nfc);
  }
}

TEST_F(QwenTok, NfcNormalizeAgreesWithJavaScriptNormalize) {
  int changed = 0;
  for (const auto& c : load_cases()) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    EXPECT_EQ(nfc_normalize(c.at("text").get<std::string>()), c.at("nfc").get<std::string>());
    changed += c.at("text") != c.at("nfc");
  }
  EXPECT_GE(changed, 1) << "fixtures should include text that NFC changes";
}

TEST_F(QwenTok, RandomNfcStableTextRoundTripsExactly) {
  std::mt19937 rng(20240611);
  for (int i = 0; i < 400; ++i) {
    const std::string s = random_text(rng, true);
    ASSERT_EQ(nfc_normalize(s), s);
    const std::vector<int32_t> ids = tok_->encode(s, false);
    for (int32_t id : ids) ASSERT_TRUE(id >= 0 && id < tok_->vocab_size());
    ASSERT_EQ(tok_->decode(ids), s) << "case " << i;
  }
}

TEST_F(QwenTok, RandomTextRoundTripsToItsNfcForm) {
  std::mt19937 rng(7);
  for (int i = 0; i < 400; ++i) {
    const std::string s = random_text(rng, false);
    ASSERT_EQ(tok_->decode(tok_->encode(s, false)), nfc_normalize(s)) << "case " << i;
  }
}

TEST_F(QwenTok, ReportsQwen25SizesAndEosWithoutBos) {
  EXPECT_EQ(tok_->base_vocab_size(), 151643);
  EXPECT_EQ(tok_->vocab_size(), kQwen25VocabSize);
  EXPECT_EQ(tok_->eos_id(), kQwenEndOfText);
  EXPECT_EQ(tok_->bos_id(), -1);
}

TEST_F(QwenTok, EveryQwen25AddedTokenEncodesToItsIdAndBack) {
  ASSERT_EQ(qwen25_added_tokens().size(), 22u);
  for (const AddedToken& t : qwen25_added_tokens()) {
    SCOPED_TRACE(t.content);
    EXPECT_EQ(tok_->added_token_id(t.content), t.id);
    EXPECT_EQ(tok_->encode(t.content, false), std::vector<int32_t>{t.id});
    EXPECT_EQ(tok_->decode_token(-1, t.id), t.content);
  }
}

TEST_F(QwenTok, AddBosIsIgnored) {
  EXPECT_EQ(tok_->encode("hi there", true), tok_->encode("hi there", false));
}

TEST_F(QwenTok, AddedTokenIsSplitBeforeNfcSoItCannotComposeWithTheNextMark) {
  // '>' + U+0338 COMBINING LONG SOLIDUS OVERLAY is U+226F in NFC; HF splits the added token first.
  const std::string text = "<|im_end|>\xCC\xB8";
  const std::vector<int32_t> ids = tok_->encode(text, false);
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids.front(), 151645);
  EXPECT_EQ(tok_->decode(ids), text);
}

TEST_F(QwenTok, DecodeTokenGivesRawBytesEvenForPartialCharacters) {
  // U+1F355 (pizza) is split across byte-level tokens in the reference ids (11162 235 243).
  EXPECT_EQ(tok_->decode_token(-1, 11162) + tok_->decode_token(11162, 235) + tok_->decode_token(235, 243), " \xF0\x9F\x8D\x95");
  EXPECT_EQ(tok_->decode_token(-1, 220), " ");
  EXPECT_EQ(tok_->decode_token(-1, 198), "\n");
}

TEST_F(QwenTok, BadTokenIdAndInvalidUtf8AreErrors) {
  expect_error([&] { tok_->decode_token(-1, static_cast<int32_t>(kQwen25VocabSize)); }, {"151665", "outside"});
  expect_error([&] { tok_->decode_token(-1, -1); }, {"outside"});
  expect_error([&] { tok_->encode("ok \xC3\x28 bad", false); }, {"invalid UTF-8", "byte 3"});
  expect_error([&] { tok_->encode("\xED\xA0\x80", false); }, {"invalid UTF-8"});  // surrogate
  expect_error([&] { tok_->encode("\xC0\xAF", false); }, {"invalid UTF-8"});      // overlong '/'
}

TEST_F(QwenTok, AMegabyteOfMixedTextRoundTrips) {
  std::string text;
  const std::string para = slurp(kCases);
  while (text.size() < (1u << 20)) text += para;
  const std::vector<int32_t> ids = tok_->encode(text, false);
  EXPECT_GT(ids.size(), text.size() / 8);
  EXPECT_EQ(tok_->decode(ids), nfc_normalize(text));
}

// --- Pre-tokenizer: the Qwen2 regex as Oniguruma reads it ---------------------------------------

TEST(QwenPreTokenizer, SplitsLikeTheQwen2Regex) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(QwenTokenizer::pre_tokenize("Hello world"), (V{"Hello", " world"}));
  EXPECT_EQ(QwenTokenizer::pre_tokenize("  hello"), (V{" ", " hello"}));
  EXPECT_EQ(QwenTokenizer::pre_tokenize("a\n\n  b"), (V{"a", "\n\n", " ", " b"}));
  EXPECT_EQ(QwenTokenizer::pre_tokenize("x  \n"), (V{"x", "  \n"}));
  EXPECT_EQ(QwenTokenizer::pre_tokenize("end   "), (V{"end", "   "}));
  EXPECT_EQ(QwenTokenizer::pre_tokenize("123"), (V{"1", "2", "3"}));
  EXPECT_EQ(QwenTokenizer::pre_tokenize("it's IT'S"), (V{"it", "'s", " IT", "'S"}));
  EXPECT_EQ(QwenTokenizer::pre_tokenize("we'LL go"), (V{"we", "'LL", " go"}));
  EXPECT_EQ(QwenTokenizer::pre_tokenize("f(x):\n"), (V{"f", "(x", "):\n"}));
  EXPECT_EQ(QwenTokenizer::pre_tokenize(" ... !!"), (V{" ...", " !!"}));
  EXPECT_EQ(QwenTokenizer::pre_tokenize(""), V{});
}

TEST(QwenPreTokenizer, UsesUnicodeWhiteSpaceForBackslashS) {
  using V = std::vector<std::string_view>;
  // U+0085 (NEL) is \s for Oniguruma (HF tokenizers) though not for JavaScript; U+FEFF is not \s.
  EXPECT_EQ(QwenTokenizer::pre_tokenize("a\xC2\x85\xC2\x85" "b"), (V{"a", "\xC2\x85", "\xC2\x85" "b"}));
  EXPECT_EQ(QwenTokenizer::pre_tokenize("a\xEF\xBB\xBF\xEF\xBB\xBF" "b"), (V{"a", "\xEF\xBB\xBF\xEF\xBB\xBF", "b"}));
  // U+3000 IDEOGRAPHIC SPACE is \s and may lead a word like ' ' does.
  EXPECT_EQ(QwenTokenizer::pre_tokenize("x\xE3\x80\x80y"), (V{"x", "\xE3\x80\x80y"}));
}

// --- A tiny hand-made BPE: merge order by rank, leftmost first ---------------------------------

namespace {
/** Folder with the 256 byte tokens of the Qwen vocab plus `extra` tokens and `merges`. */
fs::path make_tiny_bpe(const std::string& name, const std::vector<std::string>& extra, const std::string& merges) {
  const fs::path dir = scratch_dir(name);
  const nlohmann::json full = nlohmann::json::parse(slurp(kQwenDir + "/vocab.json"));
  nlohmann::json v = nlohmann::json::object();
  for (const auto& [k, id] : full.items())
    if (id.get<int>() < 256) v[k] = id;
  int next = 256;
  for (const std::string& e : extra) v[e] = next++;
  spit(dir / "vocab.json", v.dump());
  spit(dir / "merges.txt", "#version: 0.2\n" + merges);
  return dir;
}
}  // namespace

TEST(QwenTinyBpe, MergesLowestRankFirstAndLeftmostAmongEqualRanks) {
  const fs::path dir = make_tiny_bpe("tiny_rank", {"bc", "ab", "aa"}, "b c\na b\na a\n");
  QwenTokenizer t(dir.string());
  EXPECT_EQ(t.vocab_size(), 259);  // no Qwen2.5 added tokens on a foreign vocabulary
  EXPECT_EQ(t.eos_id(), -1);
  const int32_t a = t.encode("a", false).at(0), bc = 256, ab = 257, aa = 258;
  EXPECT_EQ(t.encode("abc", false), (std::vector<int32_t>{a, bc}));  // "b c" outranks "a b"
  EXPECT_EQ(t.encode("ab", false), (std::vector<int32_t>{ab}));
  EXPECT_EQ(t.encode("aaa", false), (std::vector<int32_t>{aa, a}));
  EXPECT_EQ(t.encode("aaaa", false), (std::vector<int32_t>{aa, aa}));
  EXPECT_EQ(t.decode(t.encode("aaa abc", false)), "aaa abc");
}

TEST(QwenTinyBpe, AddedTokensJsonIsHonoured) {
  const fs::path dir = make_tiny_bpe("tiny_added", {"ab"}, "a b\n");
  spit(dir / "added_tokens.json", R"({"<|stop|>": 257})");
  QwenTokenizer t(dir.string());
  EXPECT_EQ(t.vocab_size(), 258);
  EXPECT_EQ(t.encode("ab<|stop|>ab", false), (std::vector<int32_t>{256, 257, 256}));
}

// --- Bad input ---------------------------------------------------------------------------------

TEST(QwenTokBadInput, MissingVocabJsonNamesTheFile) {
  const fs::path dir = scratch_dir("no_vocab");
  spit(dir / "merges.txt", "#version: 0.2\n");
  expect_error([&] { QwenTokenizer t(dir.string()); }, {(dir / "vocab.json").string(), "missing"});
  expect_error([&] { load_tokenizer(dir.string(), 0); }, {dir.string(), "vocab.json"});
}

TEST(QwenTokBadInput, TruncatedMergesLineNamesFileAndLine) {
  const fs::path dir = scratch_dir("bad_merges");
  fs::copy_file(kQwenDir + "/vocab.json", dir / "vocab.json");
  spit(dir / "merges.txt", "#version: 0.2\n\xC4\xA0 \xC4\xA0\n\xC4\xA0\xC4\xA0");
  expect_error([&] { QwenTokenizer t(dir.string()); }, {(dir / "merges.txt").string() + ":3", "two tokens"});
  spit(dir / "merges.txt", "#version: 0.2\n\xC4\xA0 \xC4\n");  // cut inside a UTF-8 character
  expect_error([&] { QwenTokenizer t(dir.string()); }, {(dir / "merges.txt").string() + ":2", "not in vocab.json"});
  spit(dir / "merges.txt", "#version: 0.2\na b\n\nc d\n");
  expect_error([&] { QwenTokenizer t(dir.string()); }, {(dir / "merges.txt").string() + ":3", "empty line"});
}

TEST(QwenTokBadInput, VocabThatIsNotAnObjectOrNotJsonIsAnError) {
  const fs::path dir = scratch_dir("bad_vocab");
  spit(dir / "merges.txt", "#version: 0.2\na b\n");
  spit(dir / "vocab.json", "[1, 2, 3]");
  expect_error([&] { QwenTokenizer t(dir.string()); }, {(dir / "vocab.json").string(), "JSON object"});
  spit(dir / "vocab.json", R"({"a": 0, "b": )");
  expect_error([&] { QwenTokenizer t(dir.string()); }, {(dir / "vocab.json").string(), "not valid JSON"});
  spit(dir / "vocab.json", R"({"a": 0, "b": 0})");
  expect_error([&] { QwenTokenizer t(dir.string()); }, {(dir / "vocab.json").string(), "two tokens"});
  spit(dir / "vocab.json", R"({"a": "zero"})");
  expect_error([&] { QwenTokenizer t(dir.string()); }, {(dir / "vocab.json").string(), "not an integer"});
  spit(dir / "vocab.json", R"({"a": 0})");
  expect_error([&] { QwenTokenizer t(dir.string()); }, {(dir / "vocab.json").string(), "no token for byte"});
}

TEST(QwenTokBadInput, ConflictingAddedTokenIsAnError) {
  const fs::path dir = make_tiny_bpe("bad_added", {"ab"}, "a b\n");
  spit(dir / "added_tokens.json", R"({"<|x|>": 256})");
  expect_error([&] { QwenTokenizer t(dir.string()); }, {(dir / "added_tokens.json").string(), "reuses id 256"});
  spit(dir / "added_tokens.json", R"({"<|x|>": -5})");
  expect_error([&] { QwenTokenizer t(dir.string()); }, {(dir / "added_tokens.json").string(), "non-negative"});
  spit(dir / "added_tokens.json", R"({"<|x|>": 300})");
  expect_error([&] { QwenTokenizer t(dir.string()); }, {"gap at id 257"});
}

// --- load_tokenizer dispatch --------------------------------------------------------------------

TEST(LoadTokenizer, OpensQwenFromItsFolderOrAFileInIt) {
  for (const std::string& p : {kQwenDir, kQwenDir + "/vocab.json", kQwenDir + "/tokenizer_config.json"}) {
    SCOPED_TRACE(p);
    auto t = load_tokenizer(p, 0);
    EXPECT_EQ(t->vocab_size(), kQwen25VocabSize);
    EXPECT_EQ(t->encode("Hello, world!", true), (std::vector<int32_t>{9707, 11, 1879, 0}));
  }
}

TEST(LoadTokenizer, OpensLlama2cBinAndRejectsUnknownPaths) {
  EXPECT_EQ(load_tokenizer(kTok512, kTok512VocabSize)->vocab_size(), kTok512VocabSize);
  expect_error([&] { load_tokenizer(kData + "/does-not-exist", 0); }, {"does-not-exist", "no such"});
  expect_error([&] { load_tokenizer(kQwenDir + "/LICENSE", 0); }, {"LICENSE", "not a recognised tokenizer"});
}

// --- llama2.c tok512.bin -----------------------------------------------------------------------

TEST(Llama2cTok, EncodePrependsBosAndDecodesBack) {
  Llama2cTokenizer t(kTok512, kTok512VocabSize);
  EXPECT_EQ(t.vocab_size(), kTok512VocabSize);
  EXPECT_EQ(t.bos_id(), 1);
  EXPECT_EQ(t.eos_id(), 2);
  const std::vector<int32_t> ids = t.encode("Once upon a time", true);
  // Greedy best-score merges of " Once upon a time" over tok512's vocabulary.
  EXPECT_EQ(ids, (std::vector<int32_t>{1, 403, 407, 261, 378}));
  EXPECT_EQ(t.decode(ids), "Once upon a time");
  EXPECT_EQ(t.encode("Once upon a time", false), (std::vector<int32_t>{403, 407, 261, 378}));
}

TEST(Llama2cTok, AsciiTextRoundTrips) {
  Llama2cTokenizer t(kTok512, kTok512VocabSize);
  for (const std::string s : {"Lily's mom said, \"Let's go to the park.\"", "One day,\nshe saw a big, red ball!",
                              "x", "   spaced   out  ", "Tom & Sam: 3 + 4 = 7?"}) {
    SCOPED_TRACE(s);
    EXPECT_EQ(t.decode(t.encode(s, true)), s);
  }
  EXPECT_EQ(t.encode("", true), std::vector<int32_t>{1});
  EXPECT_EQ(t.decode(t.encode("", true)), "");
}

TEST(Llama2cTok, NonAsciiFallsBackToByteTokens) {
  Llama2cTokenizer t(kTok512, kTok512VocabSize);
  // U+4F60 is not in tok512's vocabulary, so its three UTF-8 bytes become byte tokens.
  const std::vector<int32_t> ids = t.encode("a\xE4\xBD\xA0", true);
  ASSERT_GE(ids.size(), 3u);
  const std::vector<int32_t> tail(ids.end() - 3, ids.end());
  EXPECT_EQ(tail, (std::vector<int32_t>{0xE4 + kLlama2cByteOffset, 0xBD + kLlama2cByteOffset, 0xA0 + kLlama2cByteOffset}));
  EXPECT_EQ(t.decode(ids), "a\xE4\xBD\xA0");
  // U+00E9 is a whole token in tok512; a codepoint in the vocabulary needs no fallback.
  EXPECT_EQ(t.decode(t.encode("caf\xC3\xA9", true)), "caf\xC3\xA9");
  EXPECT_EQ(t.decode(t.encode("\xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x8D\x95", true)), "\xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x8D\x95");
}

TEST(Llama2cTok, TruncatedFileOrWrongSizeIsAnErrorNamingTheFile) {
  const fs::path dir = scratch_dir("tok512_bad");
  const std::string full = slurp(kTok512);
  const std::string cut = (dir / "tok512_cut.bin").string();
  spit(cut, full.substr(0, full.size() - 10));
  expect_error([&] { Llama2cTokenizer t(cut, kTok512VocabSize); }, {cut, "truncated"});
  spit(cut, full.substr(0, 2));
  expect_error([&] { Llama2cTokenizer t(cut, kTok512VocabSize); }, {cut});
  expect_error([&] { Llama2cTokenizer t(kTok512, int64_t{1} << 40); }, {kTok512, "cannot hold"});
  expect_error([&] { Llama2cTokenizer t(kTok512, 0); }, {kTok512, "vocab size"});
  Llama2cTokenizer t(kTok512, kTok512VocabSize);
  expect_error([&] { t.decode_token(1, 512); }, {"512", "outside"});
}

TEST(Llama2cTok, ByteFallbackBeyondASmallVocabularyIsAnErrorNotAnOutOfBoundsRead) {
  // Found by fuzz_llama2c_tokenizer: the first 100 tokens of tok512.bin load as a 100-token
  // vocabulary, whose byte-fallback ids (byte + 3) for most bytes lie past its end.
  Llama2cTokenizer t(kTok512, 100);
  EXPECT_NO_THROW(t.encode("\x01", false));  // 0x01 + 3 = 4 is inside
  expect_error([&] { t.encode("\xC3\xA9", false); }, {"0xC3", "100 tokens"});
}
