# Generates tests/tokenizer/test_{normalizers,pre_tokenizers,decoders,encode,offsets}.cpp from tokenizers 0.20.3.
import json, tokenizers
from tokenizers import Tokenizer
assert tokenizers.__version__ == "0.20.3"

def cpp(s):
    out = '"'
    for b in s.encode("utf-8"):
        c = chr(b)
        if c == '"': out += '\\"'
        elif c == '\\': out += '\\\\'
        elif 32 <= b < 127: out += c
        else: out += "\\%03o" % b
    return out + '"'

def cpp_list(xs): return "{" + ", ".join(cpp(x) for x in xs) + "}"
def ids_list(xs): return "{" + ", ".join(str(x) for x in xs) + "}"

def bytes_chars():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]; n = 0
    for b in range(256):
        if b not in bs: bs.append(b); cs.append(256 + n); n += 1
    return [chr(c) for _, c in sorted(zip(bs, cs))]
BYTE_CHARS = bytes_chars()

def doc(model, normalizer=None, pre=None, post=None, decoder=None, added=()):
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": list(added),
            "normalizer": normalizer, "pre_tokenizer": pre, "post_processor": post, "decoder": decoder, "model": model}

def bpe(vocab, merges, **kw):
    m = {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None, "end_of_word_suffix": None,
         "fuse_unk": False, "byte_fallback": False, "ignore_merges": False, "vocab": {t: i for i, t in enumerate(vocab)}, "merges": merges}
    m.update(kw); return m

def byte_level_vocab(merges):
    vocab = list(BYTE_CHARS)
    for a, b in merges:
        if a + b not in vocab: vocab.append(a + b)
    return vocab

CARRIER_MODEL = bpe(byte_level_vocab([]), [])  # any component can be loaded into Python with it

def added(content, special=False, normalized=None, lstrip=False, rstrip=False, single_word=False, id=0):
    return {"id": id, "content": content, "single_word": single_word, "lstrip": lstrip, "rstrip": rstrip,
            "normalized": (not special) if normalized is None else normalized, "special": special}

HEADER = '''// Expected values are the outputs of Hugging Face tokenizers 0.20.3 on the same documents and inputs
// (computed with its Python package when these tests were written).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tokenizer/components.hpp"
#include "tokenizer/tokenizer.hpp"

namespace ftcore::tok {
namespace {
'''
FOOTER = "\n}  // namespace\n}  // namespace ftcore::tok\n"

# ------------------------------------------------------------------ normalizers
NORM_INPUTS = ["H\u00e9llo W\u00f6rld", "e\u0301 a\u030a", "\ufb01 \u00bd \u2460 \uff21", "\u03a3\u0391\u03a3 \u0130 \u01c5", "  pad \t\n", "", "a b  c", "\u2003x\u3000"]
NORMALIZERS = [
    ("NFC", {"type": "NFC"}), ("NFD", {"type": "NFD"}), ("NFKC", {"type": "NFKC"}), ("NFKD", {"type": "NFKD"}),
    ("Lowercase", {"type": "Lowercase"}),
    ("StripBoth", {"type": "Strip", "strip_left": True, "strip_right": True}),
    ("StripLeft", {"type": "Strip", "strip_left": True, "strip_right": False}),
    ("StripRight", {"type": "Strip", "strip_left": False, "strip_right": True}),
    ("ReplaceString", {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}),
    ("ReplaceRegex", {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": "_"}),
    ("Prepend", {"type": "Prepend", "prepend": "\u2581"}),
    ("SequenceSentencePiece", {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"}, {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]}),
    ("StripAccents", {"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "StripAccents"}]}),
    ("ByteLevel", {"type": "ByteLevel"}),
]

def gen_normalizers():
    out = [HEADER, '''
void expect_normalized(const char* spec, const std::vector<std::pair<std::string, std::string>>& cases) {
  const auto normalizer = make_normalizer(nlohmann::json::parse(spec), JsonPath{"test", "normalizer"});
  for (const auto& [input, expected] : cases) {
    std::string text = input;
    normalizer->normalize(text);
    EXPECT_EQ(text, expected) << "input: " << input;
  }
}
''']
    for name, spec in NORMALIZERS:
        t = Tokenizer.from_str(json.dumps(doc(CARRIER_MODEL, normalizer=spec)))
        cases = ", ".join("{%s, %s}" % (cpp(s), cpp(t.normalizer.normalize_str(s))) for s in NORM_INPUTS)
        out.append("\nTEST(Normalizers, %s) {\n  expect_normalized(%s,\n                    {%s});\n}\n" % (name, cpp(json.dumps(spec)), cases))
    return "".join(out) + FOOTER

# ------------------------------------------------------------------ pre-tokenizers
PRE_INPUTS = ["Hello, world! 123 4567", "  I'LL go\t\tnow\r\n\n", "a-b--c__d", "\u65e5\u672c\u8a9e\u30c6\u30ad\u30b9\u30c8\uff11\uff12\uff13 \u0661\u0662", "", "x", "don't  stop\u00a0\u00a0me ", "\U0001F44B\U0001F3FD hi\u200dthere"]
LLAMA3_RE = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
def split(pattern, behavior, invert=False): return {"type": "Split", "pattern": pattern, "behavior": behavior, "invert": invert}
PRE_TOKENIZERS = [
    ("SplitRegexIsolated", split({"Regex": "\\s+"}, "Isolated")),
    ("SplitRegexRemoved", split({"Regex": "\\s+"}, "Removed")),
    ("SplitRegexMergedWithPrevious", split({"Regex": "\\s+"}, "MergedWithPrevious")),
    ("SplitRegexMergedWithNext", split({"Regex": "\\s+"}, "MergedWithNext")),
    ("SplitRegexContiguous", split({"Regex": "[-_]"}, "Contiguous")),
    ("SplitRegexInverted", split({"Regex": "\\w+"}, "Removed", True)),
    ("SplitStringMergedWithPrevious", split({"String": " "}, "MergedWithPrevious")),
    ("SplitLlama3Regex", split({"Regex": LLAMA3_RE}, "Isolated")),
    ("ByteLevelDefault", {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}),
    ("ByteLevelNoPrefix", {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}),
    ("ByteLevelNoRegex", {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}),
    ("MetaspaceAlwaysSplit", {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}),
    ("MetaspaceFirstNoSplit", {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": False}),
    ("MetaspaceNever", {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "never", "split": True}),
    ("DigitsIndividual", {"type": "Digits", "individual_digits": True}),
    ("DigitsGrouped", {"type": "Digits", "individual_digits": False}),
    ("WhitespaceSplit", {"type": "WhitespaceSplit"}),
    ("Whitespace", {"type": "Whitespace"}),
    ("PunctuationIsolated", {"type": "Punctuation", "behavior": "Isolated"}),
    ("PunctuationMergedWithNext", {"type": "Punctuation", "behavior": "MergedWithNext"}),
    ("BertPreTokenizer", {"type": "BertPreTokenizer"}),
    ("CharDelimiterSplit", {"type": "CharDelimiterSplit", "delimiter": "-"}),
    ("SequenceQwenStyle", {"type": "Sequence", "pretokenizers": [split({"Regex": LLAMA3_RE.replace("{1,3}", "")}, "Isolated"), {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]}),
]

def gen_pre_tokenizers():
    out = [HEADER, '''
void expect_pieces(const char* spec, const std::vector<std::pair<std::string, std::vector<std::string>>>& cases) {
  const auto pre = make_pre_tokenizer(nlohmann::json::parse(spec), JsonPath{"test", "pre_tokenizer"});
  for (const auto& [input, expected] : cases) {
    Pieces pieces;
    pieces.push_back(Piece{input, -1, true});
    pre->pre_tokenize(pieces);
    std::vector<std::string> got;
    for (const auto& p : pieces) got.push_back(p.text);
    EXPECT_EQ(got, expected) << "input: " << input;
  }
}
''']
    for name, spec in PRE_TOKENIZERS:
        t = Tokenizer.from_str(json.dumps(doc(CARRIER_MODEL, pre=spec)))
        cases = ",\n               ".join("{%s, %s}" % (cpp(s), cpp_list([p for p, _ in t.pre_tokenizer.pre_tokenize_str(s)])) for s in PRE_INPUTS)
        out.append("\nTEST(PreTokenizers, %s) {\n  expect_pieces(%s,\n              {%s});\n}\n" % (name, cpp(json.dumps(spec)), cases))
    return "".join(out) + FOOTER

# ------------------------------------------------------------------ decoders
DEC_INPUTS = [["\u0120Hello", "\u0120w", "orld", "\u010a"], ["\u2581\u2581a\u2581b", "\u2581c", "d\u2581"], ["<0x41>", "<0xE2>", "<0x82>", "<0xAC>", "x", "<0xE2>", "<0x82>", "y", "<0x+A>"],
              ["  a  ", " b ", "c"], [], ["\u00f0\u0141", "<|x|>", "\u00c3"]]
DECODERS = [
    ("ByteLevel", {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}),
    ("ReplaceString", {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "}),
    ("ReplaceRegex", {"type": "Replace", "pattern": {"Regex": "[a-c]+"}, "content": "#"}),
    ("ByteFallback", {"type": "ByteFallback"}),
    ("Fuse", {"type": "Fuse"}),
    ("StripStart", {"type": "Strip", "content": " ", "start": 1, "stop": 0}),
    ("StripBoth", {"type": "Strip", "content": " ", "start": 2, "stop": 1}),
    ("MetaspaceAlways", {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}),
    ("MetaspaceNever", {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "never", "split": True}),
    ("SequenceLlama2", {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}),
]

def gen_decoders():
    out = [HEADER, '''
void expect_decoded(const char* spec, const std::vector<std::pair<std::vector<std::string>, std::string>>& cases) {
  const auto decoder = make_decoder(nlohmann::json::parse(spec), JsonPath{"test", "decoder"});
  for (const auto& [input, expected] : cases) {
    std::vector<std::string> tokens = input;
    decoder->decode_chain(tokens);
    std::string joined;
    for (const auto& t : tokens) joined += t;
    EXPECT_EQ(joined, expected) << "first token: " << (input.empty() ? "" : input[0]);
  }
}
''']
    for name, spec in DECODERS:
        t = Tokenizer.from_str(json.dumps(doc(CARRIER_MODEL, decoder=spec)))
        rows = []
        for toks in DEC_INPUTS:
            try: r = t.decoder.decode(toks)
            except BaseException: continue  # tokenizers panics on some Strip inputs
            rows.append("{%s, %s}" % (cpp_list(toks), cpp(r)))
        out.append("\nTEST(Decoders, %s) {\n  expect_decoded(%s,\n                 {%s});\n}\n" % (name, cpp(json.dumps(spec)), ",\n                  ".join(rows)))
    return "".join(out) + FOOTER

# ------------------------------------------------------------------ end to end
GPT_MERGES = [("\u0120", "t"), ("h", "e"), ("\u0120t", "he"), ("l", "l"), ("he", "ll"), ("hell", "o"), ("\u0120", "d"), ("\u0120d", "o"), ("\u0120do", "g"), ("1", "2"), ("12", "3"), ("\u0120", "\u0120"), ("\u0120", "hello")]
BYTE_LEVEL_DOC = doc(
    bpe(byte_level_vocab(GPT_MERGES), [a + " " + b for a, b in GPT_MERGES]),
    pre={"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
    post={"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<|bos|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
          "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
          "special_tokens": {"<|bos|>": {"id": "<|bos|>", "ids": [300], "tokens": ["<|bos|>"]}}},
    decoder={"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
    added=[added("<|bos|>", special=True, id=300)])
BYTE_LEVEL_ARRAY_DOC = json.loads(json.dumps(BYTE_LEVEL_DOC)); BYTE_LEVEL_ARRAY_DOC["model"]["merges"] = [[a, b] for a, b in GPT_MERGES]
IGNORE_MERGES_DOC = json.loads(json.dumps(BYTE_LEVEL_DOC)); IGNORE_MERGES_DOC["model"]["ignore_merges"] = True
IGNORE_MERGES_DOC["model"]["vocab"]["\u0120world"] = len(IGNORE_MERGES_DOC["model"]["vocab"])

SP_PIECES = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)]
SP_MERGES = [("\u2581", "a"), ("a", "b"), ("\u2581a", "b"), ("\u2581", "\u2581"), ("b", "c")]
SP_VOCAB = SP_PIECES + ["\u2581", "a", "b", "c", "\u2581a", "ab", "\u2581ab", "\u2581\u2581", "bc"]
SP_DOC = doc(
    bpe(SP_VOCAB, [a + " " + b for a, b in SP_MERGES], unk_token="<unk>", fuse_unk=True, byte_fallback=True),
    normalizer={"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"}, {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
    post={"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
          "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
          "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}, "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}}},
    decoder={"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
    added=[added("<unk>", special=True, id=0), added("<s>", special=True, id=1), added("</s>", special=True, id=2)])

UNK_VOCAB = ["<unk>", "a", "b", "ab"]
UNK_FUSED_DOC = doc(bpe(UNK_VOCAB, ["a b"], unk_token="<unk>", fuse_unk=True), pre={"type": "WhitespaceSplit"})
UNK_UNFUSED_DOC = doc(bpe(UNK_VOCAB, ["a b"], unk_token="<unk>", fuse_unk=False), pre={"type": "WhitespaceSplit"})
NO_UNK_DOC = doc(bpe(UNK_VOCAB, ["a b"]), pre={"type": "WhitespaceSplit"})
SUBWORD_VOCAB = ["a", "##b", "##c", "c</w>", "##c</w>", "##bc</w>", "ab", "##b##c</w>", "b</w>", "##b</w>"]
SUBWORD_DOC = doc(bpe(SUBWORD_VOCAB, ["##b ##c</w>", "a ##b"], continuing_subword_prefix="##", end_of_word_suffix="</w>"), pre={"type": "WhitespaceSplit"})

ADDED_DOC = doc(
    bpe(byte_level_vocab(GPT_MERGES), [a + " " + b for a, b in GPT_MERGES]),
    normalizer={"type": "Lowercase"},
    pre={"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
    decoder={"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
    added=[added("<|end|>", special=True, id=300), added("<tool>", lstrip=True, rstrip=True, normalized=False, id=301),
           added("<l>", lstrip=True, normalized=False, id=302), added("<r>", rstrip=True, normalized=False, id=303),
           added("dog", single_word=True, id=304), added("CAT", normalized=True, id=305), added("<|end|>x", special=True, id=306),
           added("\u00e9t\u00e9", normalized=True, single_word=True, id=307)])

E2E = [
    ("ByteLevelBpe", BYTE_LEVEL_DOC, ["hello the dog", " hello", "", "hello<|bos|>hello", "123456 12", "h\u00e9llo \U0001F44B", "I'LL   go\n\n", "thethe  the"]),
    ("ByteLevelBpeArrayMerges", BYTE_LEVEL_ARRAY_DOC, ["hello the dog", "ell hel"]),
    ("IgnoreMerges", IGNORE_MERGES_DOC, ["hello world", " world the"]),
    ("SentencePieceByteFallback", SP_DOC, ["ab a", "abc", "a\u00f1b", "", " lead", "a  b", "<s>ab</s>", "\U0001F600", "zz"]),
    ("UnkFused", UNK_FUSED_DOC, ["axyzb ab", "xyz", "a\u00e9\u00e9b"]),
    ("UnkNotFused", UNK_UNFUSED_DOC, ["axyzb ab", "xyz"]),
    ("NoUnkDropsChars", NO_UNK_DOC, ["axyzb ab", "xyz"]),
    ("SubwordPrefixSuffix", SUBWORD_DOC, ["abc c", "ab b", "cb"]),
    ("AddedTokens", ADDED_DOC, ["hello<|end|>the", "a  <tool>  b", "x <l>  y", "x  <r>  y", "dog hotdog dogs dog.", "the CAT cat Cat", "<|end|>x<|end|>", "\u00c9T\u00c9 \u00e9t\u00e9s", "<TOOL> <Tool>"]),
]

def gen_e2e():
    out = [HEADER, '''
struct Expected {
  std::string input;
  std::vector<std::int32_t> ids;           // add_special_tokens = true
  std::vector<std::int32_t> ids_plain;     // add_special_tokens = false
  std::vector<std::string> tokens;         // add_special_tokens = true
  std::string decoded;                     // decode(ids, skip_special_tokens = false)
  std::string decoded_skip;                // decode(ids, skip_special_tokens = true)
};

void expect_encodings(const char* doc, const std::vector<Expected>& cases) {
  const Tokenizer tok = Tokenizer::from_json(nlohmann::json::parse(doc), "test.json");
  for (const auto& c : cases) {
    const Encoding enc = tok.encode(c.input, true);
    EXPECT_EQ(enc.ids, c.ids) << "input: " << c.input;
    EXPECT_EQ(enc.tokens, c.tokens) << "input: " << c.input;
    EXPECT_EQ(tok.encode_ids(c.input, false), c.ids_plain) << "input: " << c.input;
    EXPECT_EQ(tok.decode(c.ids, false), c.decoded) << "input: " << c.input;
    EXPECT_EQ(tok.decode(c.ids, true), c.decoded_skip) << "input: " << c.input;
  }
}
''']
    for name, d, inputs in E2E:
        t = Tokenizer.from_str(json.dumps(d))
        rows = []
        for s in inputs:
            e = t.encode(s, add_special_tokens=True)
            rows.append("{%s, %s, %s,\n     %s,\n     %s, %s}" % (cpp(s), ids_list(e.ids), ids_list(t.encode(s, add_special_tokens=False).ids), cpp_list(e.tokens),
                        cpp(t.decode(e.ids, skip_special_tokens=False)), cpp(t.decode(e.ids, skip_special_tokens=True))))
        out.append("\n// %s\nconst char* const k%sDoc = %s;\n\nTEST(Encode, %s) {\n  expect_encodings(k%sDoc,\n                   {%s});\n}\n" % (
            name, name, cpp(json.dumps(d, ensure_ascii=True)), name, name, ",\n                    ".join(rows)))
        # vocabulary facts
        v = t.get_vocab_size(True)
        out.append("\nTEST(Vocabulary, %s) {\n  const Tokenizer tok = Tokenizer::from_json(nlohmann::json::parse(k%sDoc), \"test.json\");\n  EXPECT_EQ(tok.vocab_size(), %du);\n" % (name, name, v))
        for tokname in [x["content"] for x in d["added_tokens"]][:4]:
            tid = t.token_to_id(tokname)
            out.append("  EXPECT_EQ(tok.token_to_id(%s), std::optional<std::int32_t>(%d));\n  EXPECT_EQ(tok.id_to_token(%d), %s);\n  EXPECT_EQ(tok.is_special(%d), %s);\n" % (
                cpp(tokname), tid, tid, cpp(t.id_to_token(tid)), tid, "true" if t.get_added_tokens_decoder()[tid].special else "false"))
        out.append("  EXPECT_EQ(tok.id_to_token(%d), \"\");\n  EXPECT_FALSE(tok.token_to_id(\"no such token\").has_value());\n}\n" % (v + 1000))
    return "".join(out) + FOOTER

# ------------------------------------------------------------------ offsets
def byte_offsets(s, offsets):
    # tokenizers' Python offsets are in characters of `s`; ftcore's are UTF-8 bytes.
    starts = [0]
    for ch in s: starts.append(starts[-1] + len(ch.encode("utf-8")))
    return [(starts[a], starts[b]) for a, b in offsets]

def char_to_tokens(s, e):
    # tokenizers' char_to_token for every character, as (byte offset of the character, token or -1).
    out, b = [], 0
    for i, ch in enumerate(s):
        t = e.char_to_token(i)
        out.append((b, -1 if t is None else t))
        b += len(ch.encode("utf-8"))
    return out

def offsets_list(xs): return "{" + ", ".join("{%d, %d}" % o for o in xs) + "}"

BL_CARRIER = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
def carried(normalizer=None, pre=None, post=None, added=()):
    # Any normalizer / pre-tokenizer in front of a ByteLevel carrier: every byte becomes a token of
    # its own, so the offsets show the alignment of every byte.
    pres = [pre, BL_CARRIER] if pre is not None else [BL_CARRIER]
    return doc(CARRIER_MODEL, normalizer=normalizer, pre={"type": "Sequence", "pretokenizers": pres}, post=post, added=added)

def template(bos):
    return {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {bos: {"id": bos, "ids": [300], "tokens": [bos]}}}

BL_TRIM_POST = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}
OFFSETS = [
    ("SentencePiecePrependReplaceByteFallback", SP_DOC, ["ab a", " lead", "a  b", "a\u00f1b", "<s>ab</s>", "\U0001F600", "zz", "", "x\u00e9\u00e9 y"]),
    ("NFC", carried({"type": "NFC"}), ["e\u0301x", "a\u0327\u0301 q\u0301\u0327", "\u1100\u1161\u11a8!", "\u212b\u2126 \u00c5", "\u0301a"]),
    ("NFD", carried({"type": "NFD"}), ["\u00e9t\u00e9", "\u1e69 \uac01", "\ufb01"]),
    ("NFKC", carried({"type": "NFKC"}), ["\ufb01 \u00bd \u2460 \uff21", "\u1e9b\u0323", "x\u00b2"]),
    ("NFKD", carried({"type": "NFKD"}), ["\ufb01\u00e9", "\u1e9b\u0323"]),
    ("Lowercase", carried({"type": "Lowercase"}), ["\u0130STANBUL Hello", "\u03a3\u0391\u03a3"]),
    ("StripBoth", carried({"type": "Strip", "strip_left": True, "strip_right": True}), ["  pad \t\n", "x", "\u3000y\u3000"]),
    ("StripLeft", carried({"type": "Strip", "strip_left": True, "strip_right": False}), ["  pad \t\n"]),
    ("StripAccents", carried({"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "StripAccents"}]}), ["H\u00e9llo na\u00efve", "\u0301x"]),
    ("ReplaceRegex", carried({"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": "_"}), ["a \t b", "  x", "x  "]),
    ("ReplaceRemoves", carried({"type": "Replace", "pattern": {"String": "ab"}, "content": ""}), ["xaby", "abab z"]),
    ("ReplaceLonger", carried({"type": "Replace", "pattern": {"String": "-"}, "content": "<->"}), ["a-b", "-"]),
    ("Prepend", carried({"type": "Prepend", "prepend": "\u2581\u2581"}), ["hi", "\u00e9"]),
    ("ByteLevelNormalizer", doc(CARRIER_MODEL, normalizer={"type": "ByteLevel"}), ["h\u00e9 \U0001F44B"]),
    ("SplitBehaviors", carried(pre={"type": "Sequence", "pretokenizers": [split({"Regex": "\\s+"}, "Removed"), split({"String": "-"}, "MergedWithNext")]}), ["a-b  c--d", " -x"]),
    ("Whitespace", carried(pre={"type": "Whitespace"}), ["Hey man!  ok?"]),
    ("BertPreTokenizer", carried(pre={"type": "BertPreTokenizer"}), ["Hey friend!  How?!"]),
    ("Digits", carried(pre={"type": "Digits", "individual_digits": True}), ["a123b"]),
    ("MetaspaceAlwaysSplit", carried(pre={"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}), ["hello world", " lead", "a  b"]),
    ("MetaspaceFirstNoSplit", carried(pre={"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": False}, added=[added("<x>", special=True, id=300)]), ["hi there", "<x>hi there"]),
    ("ByteLevelPrefixSpaceTrimOffsets", doc(CARRIER_MODEL, pre={"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}, post=BL_TRIM_POST,
                                          added=[added("<|bos|>", special=True, id=300)]), ["hello  world", "  x", "a<|bos|>b  ", " \u00e9 "]),
    ("ByteLevelTrimThenTemplate", doc(bpe(byte_level_vocab(GPT_MERGES), [a + " " + b for a, b in GPT_MERGES]),
                                      pre={"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
                                      post={"type": "Sequence", "processors": [{"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}, template("<|bos|>")]},
                                      added=[added("<|bos|>", special=True, id=300)]), ["hello   the dog ", " hello"]),
    ("RobertaProcessing", doc(CARRIER_MODEL, pre={"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
                              post={"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0], "trim_offsets": True, "add_prefix_space": True}), ["hi  there"]),
    ("BertProcessing", doc(CARRIER_MODEL, pre={"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
                           post={"type": "BertProcessing", "sep": ["[SEP]", 2], "cls": ["[CLS]", 0]}), ["hi  there"]),
    ("ByteLevelBpeMerges", BYTE_LEVEL_DOC, ["hello the dog", "h\u00e9llo \U0001F44B", "I'LL   go\n\n", "hello<|bos|>hello"]),
    ("IgnoreMerges", IGNORE_MERGES_DOC, ["hello world", " world the"]),
    ("AddedTokens", ADDED_DOC, ["hello<|end|>the", "a  <tool>  b", "x <l>  y", "x  <r>  y", "dog hotdog dogs dog.", "the CAT cat Cat", "\u00c9T\u00c9 \u00e9t\u00e9s"]),
    ("UnkFused", UNK_FUSED_DOC, ["axyzb ab", "a\u00e9\u00e9b"]),
    ("UnkNotFused", UNK_UNFUSED_DOC, ["axyzb ab"]),
    ("NoUnkDropsChars", NO_UNK_DOC, ["axyzb ab", "xyza"]),
    ("SubwordPrefixSuffix", SUBWORD_DOC, ["abc c", "ab b"]),
]

OFFSETS_HEADER = '''
struct OffsetCase {
  std::string input;
  std::vector<std::pair<std::size_t, std::size_t>> offsets;        // add_special_tokens = true
  std::vector<std::pair<std::size_t, std::size_t>> offsets_plain;  // add_special_tokens = false
  std::vector<std::pair<std::size_t, int>> char_to_token;          // per character: its byte offset, the token (-1: none)
};

void expect_offsets(const char* doc, const std::vector<OffsetCase>& cases) {
  const Tokenizer tok = Tokenizer::from_json(nlohmann::json::parse(doc), "test.json");
  for (const auto& c : cases) {
    const Encoding enc = tok.encode(c.input, true, true);
    const Encoding plain = tok.encode(c.input, false, true);
    EXPECT_EQ(enc.ids, tok.encode_ids(c.input, true)) << "input: " << c.input;
    EXPECT_EQ(enc.tokens, tok.encode(c.input, true).tokens) << "input: " << c.input;
    EXPECT_EQ(plain.ids, tok.encode_ids(c.input, false)) << "input: " << c.input;
    EXPECT_EQ(enc.offsets, c.offsets) << "input: " << c.input;
    EXPECT_EQ(plain.offsets, c.offsets_plain) << "input: " << c.input;
    for (const auto& [byte, token] : c.char_to_token) {
      const std::optional<std::size_t> got = char_to_token(enc, byte);
      EXPECT_EQ(got ? static_cast<int>(*got) : -1, token) << "input: " << c.input << ", byte " << byte;
    }
  }
}
'''

def gen_offsets():
    out = [HEADER.replace("(computed with its Python package when these tests were written).",
                          "(computed with its Python package when these tests were written); offsets converted from\n// characters to UTF-8 bytes."), OFFSETS_HEADER]
    for name, d, inputs in OFFSETS:
        t = Tokenizer.from_str(json.dumps(d))
        rows = []
        for s in inputs:
            e = t.encode(s, add_special_tokens=True)
            p = t.encode(s, add_special_tokens=False)
            c2t = "{" + ", ".join("{%d, %d}" % x for x in char_to_tokens(s, e)) + "}"
            rows.append("{%s,\n     %s,\n     %s,\n     %s}" % (cpp(s), offsets_list(byte_offsets(s, e.offsets)), offsets_list(byte_offsets(s, p.offsets)), c2t))
        out.append("\nTEST(Offsets, %s) {\n  expect_offsets(%s,\n                 {%s});\n}\n" % (
            name, cpp(json.dumps(d, ensure_ascii=True)), ",\n                  ".join(rows)))
    return "".join(out) + FOOTER

import sys
dest = sys.argv[1]
open(dest + "/test_normalizers.cpp", "w").write(gen_normalizers())
open(dest + "/test_pre_tokenizers.cpp", "w").write(gen_pre_tokenizers())
open(dest + "/test_decoders.cpp", "w").write(gen_decoders())
open(dest + "/test_encode.cpp", "w").write(gen_e2e())
open(dest + "/test_offsets.cpp", "w").write(gen_offsets())
