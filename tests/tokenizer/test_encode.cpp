// Expected values are the outputs of Hugging Face tokenizers 0.20.3 on the same documents and inputs
// (computed with its Python package when these tests were written).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tokenizer/components.hpp"
#include "tokenizer/tokenizer.hpp"

namespace ftcore::tok {
namespace {

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

// ByteLevelBpe
const char* const kByteLevelBpeDoc = "{\"version\": \"1.0\", \"truncation\": null, \"padding\": null, \"added_tokens\": [{\"id\": 300, \"content\": \"<|bos|>\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}], \"normalizer\": null, \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true}, \"post_processor\": {\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\": {\"id\": \"<|bos|>\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}], \"pair\": [{\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"B\", \"type_id\": 1}}], \"special_tokens\": {\"<|bos|>\": {\"id\": \"<|bos|>\", \"ids\": [300], \"tokens\": [\"<|bos|>\"]}}}, \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true}, \"model\": {\"type\": \"BPE\", \"dropout\": null, \"unk_token\": null, \"continuing_subword_prefix\": null, \"end_of_word_suffix\": null, \"fuse_unk\": false, \"byte_fallback\": false, \"ignore_merges\": false, \"vocab\": {\"\\u0100\": 0, \"\\u0101\": 1, \"\\u0102\": 2, \"\\u0103\": 3, \"\\u0104\": 4, \"\\u0105\": 5, \"\\u0106\": 6, \"\\u0107\": 7, \"\\u0108\": 8, \"\\u0109\": 9, \"\\u010a\": 10, \"\\u010b\": 11, \"\\u010c\": 12, \"\\u010d\": 13, \"\\u010e\": 14, \"\\u010f\": 15, \"\\u0110\": 16, \"\\u0111\": 17, \"\\u0112\": 18, \"\\u0113\": 19, \"\\u0114\": 20, \"\\u0115\": 21, \"\\u0116\": 22, \"\\u0117\": 23, \"\\u0118\": 24, \"\\u0119\": 25, \"\\u011a\": 26, \"\\u011b\": 27, \"\\u011c\": 28, \"\\u011d\": 29, \"\\u011e\": 30, \"\\u011f\": 31, \"\\u0120\": 32, \"!\": 33, \"\\\"\": 34, \"#\": 35, \"$\": 36, \"%\": 37, \"&\": 38, \"'\": 39, \"(\": 40, \")\": 41, \"*\": 42, \"+\": 43, \",\": 44, \"-\": 45, \".\": 46, \"/\": 47, \"0\": 48, \"1\": 49, \"2\": 50, \"3\": 51, \"4\": 52, \"5\": 53, \"6\": 54, \"7\": 55, \"8\": 56, \"9\": 57, \":\": 58, \";\": 59, \"<\": 60, \"=\": 61, \">\": 62, \"?\": 63, \"@\": 64, \"A\": 65, \"B\": 66, \"C\": 67, \"D\": 68, \"E\": 69, \"F\": 70, \"G\": 71, \"H\": 72, \"I\": 73, \"J\": 74, \"K\": 75, \"L\": 76, \"M\": 77, \"N\": 78, \"O\": 79, \"P\": 80, \"Q\": 81, \"R\": 82, \"S\": 83, \"T\": 84, \"U\": 85, \"V\": 86, \"W\": 87, \"X\": 88, \"Y\": 89, \"Z\": 90, \"[\": 91, \"\\\\\": 92, \"]\": 93, \"^\": 94, \"_\": 95, \"`\": 96, \"a\": 97, \"b\": 98, \"c\": 99, \"d\": 100, \"e\": 101, \"f\": 102, \"g\": 103, \"h\": 104, \"i\": 105, \"j\": 106, \"k\": 107, \"l\": 108, \"m\": 109, \"n\": 110, \"o\": 111, \"p\": 112, \"q\": 113, \"r\": 114, \"s\": 115, \"t\": 116, \"u\": 117, \"v\": 118, \"w\": 119, \"x\": 120, \"y\": 121, \"z\": 122, \"{\": 123, \"|\": 124, \"}\": 125, \"~\": 126, \"\\u0121\": 127, \"\\u0122\": 128, \"\\u0123\": 129, \"\\u0124\": 130, \"\\u0125\": 131, \"\\u0126\": 132, \"\\u0127\": 133, \"\\u0128\": 134, \"\\u0129\": 135, \"\\u012a\": 136, \"\\u012b\": 137, \"\\u012c\": 138, \"\\u012d\": 139, \"\\u012e\": 140, \"\\u012f\": 141, \"\\u0130\": 142, \"\\u0131\": 143, \"\\u0132\": 144, \"\\u0133\": 145, \"\\u0134\": 146, \"\\u0135\": 147, \"\\u0136\": 148, \"\\u0137\": 149, \"\\u0138\": 150, \"\\u0139\": 151, \"\\u013a\": 152, \"\\u013b\": 153, \"\\u013c\": 154, \"\\u013d\": 155, \"\\u013e\": 156, \"\\u013f\": 157, \"\\u0140\": 158, \"\\u0141\": 159, \"\\u0142\": 160, \"\\u00a1\": 161, \"\\u00a2\": 162, \"\\u00a3\": 163, \"\\u00a4\": 164, \"\\u00a5\": 165, \"\\u00a6\": 166, \"\\u00a7\": 167, \"\\u00a8\": 168, \"\\u00a9\": 169, \"\\u00aa\": 170, \"\\u00ab\": 171, \"\\u00ac\": 172, \"\\u0143\": 173, \"\\u00ae\": 174, \"\\u00af\": 175, \"\\u00b0\": 176, \"\\u00b1\": 177, \"\\u00b2\": 178, \"\\u00b3\": 179, \"\\u00b4\": 180, \"\\u00b5\": 181, \"\\u00b6\": 182, \"\\u00b7\": 183, \"\\u00b8\": 184, \"\\u00b9\": 185, \"\\u00ba\": 186, \"\\u00bb\": 187, \"\\u00bc\": 188, \"\\u00bd\": 189, \"\\u00be\": 190, \"\\u00bf\": 191, \"\\u00c0\": 192, \"\\u00c1\": 193, \"\\u00c2\": 194, \"\\u00c3\": 195, \"\\u00c4\": 196, \"\\u00c5\": 197, \"\\u00c6\": 198, \"\\u00c7\": 199, \"\\u00c8\": 200, \"\\u00c9\": 201, \"\\u00ca\": 202, \"\\u00cb\": 203, \"\\u00cc\": 204, \"\\u00cd\": 205, \"\\u00ce\": 206, \"\\u00cf\": 207, \"\\u00d0\": 208, \"\\u00d1\": 209, \"\\u00d2\": 210, \"\\u00d3\": 211, \"\\u00d4\": 212, \"\\u00d5\": 213, \"\\u00d6\": 214, \"\\u00d7\": 215, \"\\u00d8\": 216, \"\\u00d9\": 217, \"\\u00da\": 218, \"\\u00db\": 219, \"\\u00dc\": 220, \"\\u00dd\": 221, \"\\u00de\": 222, \"\\u00df\": 223, \"\\u00e0\": 224, \"\\u00e1\": 225, \"\\u00e2\": 226, \"\\u00e3\": 227, \"\\u00e4\": 228, \"\\u00e5\": 229, \"\\u00e6\": 230, \"\\u00e7\": 231, \"\\u00e8\": 232, \"\\u00e9\": 233, \"\\u00ea\": 234, \"\\u00eb\": 235, \"\\u00ec\": 236, \"\\u00ed\": 237, \"\\u00ee\": 238, \"\\u00ef\": 239, \"\\u00f0\": 240, \"\\u00f1\": 241, \"\\u00f2\": 242, \"\\u00f3\": 243, \"\\u00f4\": 244, \"\\u00f5\": 245, \"\\u00f6\": 246, \"\\u00f7\": 247, \"\\u00f8\": 248, \"\\u00f9\": 249, \"\\u00fa\": 250, \"\\u00fb\": 251, \"\\u00fc\": 252, \"\\u00fd\": 253, \"\\u00fe\": 254, \"\\u00ff\": 255, \"\\u0120t\": 256, \"he\": 257, \"\\u0120the\": 258, \"ll\": 259, \"hell\": 260, \"hello\": 261, \"\\u0120d\": 262, \"\\u0120do\": 263, \"\\u0120dog\": 264, \"12\": 265, \"123\": 266, \"\\u0120\\u0120\": 267, \"\\u0120hello\": 268}, \"merges\": [\"\\u0120 t\", \"h e\", \"\\u0120t he\", \"l l\", \"he ll\", \"hell o\", \"\\u0120 d\", \"\\u0120d o\", \"\\u0120do g\", \"1 2\", \"12 3\", \"\\u0120 \\u0120\", \"\\u0120 hello\"]}}";

TEST(Encode, ByteLevelBpe) {
  expect_encodings(kByteLevelBpeDoc,
                   {{"hello the dog", {300, 261, 258, 264}, {261, 258, 264},
     {"<|bos|>", "hello", "\304\240the", "\304\240dog"},
     "hello the dog", "hello the dog"},
                    {" hello", {300, 268}, {268},
     {"<|bos|>", "\304\240hello"},
     " hello", " hello"},
                    {"", {300}, {},
     {"<|bos|>"},
     "", ""},
                    {"hello<|bos|>hello", {300, 261, 269, 261}, {261, 269, 261},
     {"<|bos|>", "hello", "<|bos|>", "hello"},
     "hello<|bos|>hello", "hellohello"},
                    {"123456 12", {300, 266, 52, 53, 54, 32, 265}, {266, 52, 53, 54, 32, 265},
     {"<|bos|>", "123", "4", "5", "6", "\304\240", "12"},
     "123456 12", "123456 12"},
                    {"h\303\251llo \360\237\221\213", {300, 104, 195, 169, 259, 111, 32, 240, 159, 145, 139}, {104, 195, 169, 259, 111, 32, 240, 159, 145, 139},
     {"<|bos|>", "h", "\303\203", "\302\251", "ll", "o", "\304\240", "\303\260", "\305\201", "\304\263", "\304\255"},
     "h\303\251llo \360\237\221\213", "h\303\251llo \360\237\221\213"},
                    {"I'LL   go\012\012", {300, 73, 39, 76, 76, 267, 32, 103, 111, 10, 10}, {73, 39, 76, 76, 267, 32, 103, 111, 10, 10},
     {"<|bos|>", "I", "'", "L", "L", "\304\240\304\240", "\304\240", "g", "o", "\304\212", "\304\212"},
     "I'LL   go\012\012", "I'LL   go\012\012"},
                    {"thethe  the", {300, 116, 257, 116, 257, 32, 258}, {116, 257, 116, 257, 32, 258},
     {"<|bos|>", "t", "he", "t", "he", "\304\240", "\304\240the"},
     "thethe  the", "thethe  the"}});
}

TEST(Vocabulary, ByteLevelBpe) {
  const Tokenizer tok = Tokenizer::from_json(nlohmann::json::parse(kByteLevelBpeDoc), "test.json");
  EXPECT_EQ(tok.vocab_size(), 270u);
  EXPECT_EQ(tok.token_to_id("<|bos|>"), std::optional<std::int32_t>(269));
  EXPECT_EQ(tok.id_to_token(269), "<|bos|>");
  EXPECT_EQ(tok.is_special(269), true);
  EXPECT_EQ(tok.id_to_token(1270), "");
  EXPECT_FALSE(tok.token_to_id("no such token").has_value());
}

// ByteLevelBpeArrayMerges
const char* const kByteLevelBpeArrayMergesDoc = "{\"version\": \"1.0\", \"truncation\": null, \"padding\": null, \"added_tokens\": [{\"id\": 300, \"content\": \"<|bos|>\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}], \"normalizer\": null, \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true}, \"post_processor\": {\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\": {\"id\": \"<|bos|>\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}], \"pair\": [{\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"B\", \"type_id\": 1}}], \"special_tokens\": {\"<|bos|>\": {\"id\": \"<|bos|>\", \"ids\": [300], \"tokens\": [\"<|bos|>\"]}}}, \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true}, \"model\": {\"type\": \"BPE\", \"dropout\": null, \"unk_token\": null, \"continuing_subword_prefix\": null, \"end_of_word_suffix\": null, \"fuse_unk\": false, \"byte_fallback\": false, \"ignore_merges\": false, \"vocab\": {\"\\u0100\": 0, \"\\u0101\": 1, \"\\u0102\": 2, \"\\u0103\": 3, \"\\u0104\": 4, \"\\u0105\": 5, \"\\u0106\": 6, \"\\u0107\": 7, \"\\u0108\": 8, \"\\u0109\": 9, \"\\u010a\": 10, \"\\u010b\": 11, \"\\u010c\": 12, \"\\u010d\": 13, \"\\u010e\": 14, \"\\u010f\": 15, \"\\u0110\": 16, \"\\u0111\": 17, \"\\u0112\": 18, \"\\u0113\": 19, \"\\u0114\": 20, \"\\u0115\": 21, \"\\u0116\": 22, \"\\u0117\": 23, \"\\u0118\": 24, \"\\u0119\": 25, \"\\u011a\": 26, \"\\u011b\": 27, \"\\u011c\": 28, \"\\u011d\": 29, \"\\u011e\": 30, \"\\u011f\": 31, \"\\u0120\": 32, \"!\": 33, \"\\\"\": 34, \"#\": 35, \"$\": 36, \"%\": 37, \"&\": 38, \"'\": 39, \"(\": 40, \")\": 41, \"*\": 42, \"+\": 43, \",\": 44, \"-\": 45, \".\": 46, \"/\": 47, \"0\": 48, \"1\": 49, \"2\": 50, \"3\": 51, \"4\": 52, \"5\": 53, \"6\": 54, \"7\": 55, \"8\": 56, \"9\": 57, \":\": 58, \";\": 59, \"<\": 60, \"=\": 61, \">\": 62, \"?\": 63, \"@\": 64, \"A\": 65, \"B\": 66, \"C\": 67, \"D\": 68, \"E\": 69, \"F\": 70, \"G\": 71, \"H\": 72, \"I\": 73, \"J\": 74, \"K\": 75, \"L\": 76, \"M\": 77, \"N\": 78, \"O\": 79, \"P\": 80, \"Q\": 81, \"R\": 82, \"S\": 83, \"T\": 84, \"U\": 85, \"V\": 86, \"W\": 87, \"X\": 88, \"Y\": 89, \"Z\": 90, \"[\": 91, \"\\\\\": 92, \"]\": 93, \"^\": 94, \"_\": 95, \"`\": 96, \"a\": 97, \"b\": 98, \"c\": 99, \"d\": 100, \"e\": 101, \"f\": 102, \"g\": 103, \"h\": 104, \"i\": 105, \"j\": 106, \"k\": 107, \"l\": 108, \"m\": 109, \"n\": 110, \"o\": 111, \"p\": 112, \"q\": 113, \"r\": 114, \"s\": 115, \"t\": 116, \"u\": 117, \"v\": 118, \"w\": 119, \"x\": 120, \"y\": 121, \"z\": 122, \"{\": 123, \"|\": 124, \"}\": 125, \"~\": 126, \"\\u0121\": 127, \"\\u0122\": 128, \"\\u0123\": 129, \"\\u0124\": 130, \"\\u0125\": 131, \"\\u0126\": 132, \"\\u0127\": 133, \"\\u0128\": 134, \"\\u0129\": 135, \"\\u012a\": 136, \"\\u012b\": 137, \"\\u012c\": 138, \"\\u012d\": 139, \"\\u012e\": 140, \"\\u012f\": 141, \"\\u0130\": 142, \"\\u0131\": 143, \"\\u0132\": 144, \"\\u0133\": 145, \"\\u0134\": 146, \"\\u0135\": 147, \"\\u0136\": 148, \"\\u0137\": 149, \"\\u0138\": 150, \"\\u0139\": 151, \"\\u013a\": 152, \"\\u013b\": 153, \"\\u013c\": 154, \"\\u013d\": 155, \"\\u013e\": 156, \"\\u013f\": 157, \"\\u0140\": 158, \"\\u0141\": 159, \"\\u0142\": 160, \"\\u00a1\": 161, \"\\u00a2\": 162, \"\\u00a3\": 163, \"\\u00a4\": 164, \"\\u00a5\": 165, \"\\u00a6\": 166, \"\\u00a7\": 167, \"\\u00a8\": 168, \"\\u00a9\": 169, \"\\u00aa\": 170, \"\\u00ab\": 171, \"\\u00ac\": 172, \"\\u0143\": 173, \"\\u00ae\": 174, \"\\u00af\": 175, \"\\u00b0\": 176, \"\\u00b1\": 177, \"\\u00b2\": 178, \"\\u00b3\": 179, \"\\u00b4\": 180, \"\\u00b5\": 181, \"\\u00b6\": 182, \"\\u00b7\": 183, \"\\u00b8\": 184, \"\\u00b9\": 185, \"\\u00ba\": 186, \"\\u00bb\": 187, \"\\u00bc\": 188, \"\\u00bd\": 189, \"\\u00be\": 190, \"\\u00bf\": 191, \"\\u00c0\": 192, \"\\u00c1\": 193, \"\\u00c2\": 194, \"\\u00c3\": 195, \"\\u00c4\": 196, \"\\u00c5\": 197, \"\\u00c6\": 198, \"\\u00c7\": 199, \"\\u00c8\": 200, \"\\u00c9\": 201, \"\\u00ca\": 202, \"\\u00cb\": 203, \"\\u00cc\": 204, \"\\u00cd\": 205, \"\\u00ce\": 206, \"\\u00cf\": 207, \"\\u00d0\": 208, \"\\u00d1\": 209, \"\\u00d2\": 210, \"\\u00d3\": 211, \"\\u00d4\": 212, \"\\u00d5\": 213, \"\\u00d6\": 214, \"\\u00d7\": 215, \"\\u00d8\": 216, \"\\u00d9\": 217, \"\\u00da\": 218, \"\\u00db\": 219, \"\\u00dc\": 220, \"\\u00dd\": 221, \"\\u00de\": 222, \"\\u00df\": 223, \"\\u00e0\": 224, \"\\u00e1\": 225, \"\\u00e2\": 226, \"\\u00e3\": 227, \"\\u00e4\": 228, \"\\u00e5\": 229, \"\\u00e6\": 230, \"\\u00e7\": 231, \"\\u00e8\": 232, \"\\u00e9\": 233, \"\\u00ea\": 234, \"\\u00eb\": 235, \"\\u00ec\": 236, \"\\u00ed\": 237, \"\\u00ee\": 238, \"\\u00ef\": 239, \"\\u00f0\": 240, \"\\u00f1\": 241, \"\\u00f2\": 242, \"\\u00f3\": 243, \"\\u00f4\": 244, \"\\u00f5\": 245, \"\\u00f6\": 246, \"\\u00f7\": 247, \"\\u00f8\": 248, \"\\u00f9\": 249, \"\\u00fa\": 250, \"\\u00fb\": 251, \"\\u00fc\": 252, \"\\u00fd\": 253, \"\\u00fe\": 254, \"\\u00ff\": 255, \"\\u0120t\": 256, \"he\": 257, \"\\u0120the\": 258, \"ll\": 259, \"hell\": 260, \"hello\": 261, \"\\u0120d\": 262, \"\\u0120do\": 263, \"\\u0120dog\": 264, \"12\": 265, \"123\": 266, \"\\u0120\\u0120\": 267, \"\\u0120hello\": 268}, \"merges\": [[\"\\u0120\", \"t\"], [\"h\", \"e\"], [\"\\u0120t\", \"he\"], [\"l\", \"l\"], [\"he\", \"ll\"], [\"hell\", \"o\"], [\"\\u0120\", \"d\"], [\"\\u0120d\", \"o\"], [\"\\u0120do\", \"g\"], [\"1\", \"2\"], [\"12\", \"3\"], [\"\\u0120\", \"\\u0120\"], [\"\\u0120\", \"hello\"]]}}";

TEST(Encode, ByteLevelBpeArrayMerges) {
  expect_encodings(kByteLevelBpeArrayMergesDoc,
                   {{"hello the dog", {300, 261, 258, 264}, {261, 258, 264},
     {"<|bos|>", "hello", "\304\240the", "\304\240dog"},
     "hello the dog", "hello the dog"},
                    {"ell hel", {300, 101, 259, 32, 257, 108}, {101, 259, 32, 257, 108},
     {"<|bos|>", "e", "ll", "\304\240", "he", "l"},
     "ell hel", "ell hel"}});
}

TEST(Vocabulary, ByteLevelBpeArrayMerges) {
  const Tokenizer tok = Tokenizer::from_json(nlohmann::json::parse(kByteLevelBpeArrayMergesDoc), "test.json");
  EXPECT_EQ(tok.vocab_size(), 270u);
  EXPECT_EQ(tok.token_to_id("<|bos|>"), std::optional<std::int32_t>(269));
  EXPECT_EQ(tok.id_to_token(269), "<|bos|>");
  EXPECT_EQ(tok.is_special(269), true);
  EXPECT_EQ(tok.id_to_token(1270), "");
  EXPECT_FALSE(tok.token_to_id("no such token").has_value());
}

// IgnoreMerges
const char* const kIgnoreMergesDoc = "{\"version\": \"1.0\", \"truncation\": null, \"padding\": null, \"added_tokens\": [{\"id\": 300, \"content\": \"<|bos|>\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}], \"normalizer\": null, \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true}, \"post_processor\": {\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\": {\"id\": \"<|bos|>\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}], \"pair\": [{\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"B\", \"type_id\": 1}}], \"special_tokens\": {\"<|bos|>\": {\"id\": \"<|bos|>\", \"ids\": [300], \"tokens\": [\"<|bos|>\"]}}}, \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true}, \"model\": {\"type\": \"BPE\", \"dropout\": null, \"unk_token\": null, \"continuing_subword_prefix\": null, \"end_of_word_suffix\": null, \"fuse_unk\": false, \"byte_fallback\": false, \"ignore_merges\": true, \"vocab\": {\"\\u0100\": 0, \"\\u0101\": 1, \"\\u0102\": 2, \"\\u0103\": 3, \"\\u0104\": 4, \"\\u0105\": 5, \"\\u0106\": 6, \"\\u0107\": 7, \"\\u0108\": 8, \"\\u0109\": 9, \"\\u010a\": 10, \"\\u010b\": 11, \"\\u010c\": 12, \"\\u010d\": 13, \"\\u010e\": 14, \"\\u010f\": 15, \"\\u0110\": 16, \"\\u0111\": 17, \"\\u0112\": 18, \"\\u0113\": 19, \"\\u0114\": 20, \"\\u0115\": 21, \"\\u0116\": 22, \"\\u0117\": 23, \"\\u0118\": 24, \"\\u0119\": 25, \"\\u011a\": 26, \"\\u011b\": 27, \"\\u011c\": 28, \"\\u011d\": 29, \"\\u011e\": 30, \"\\u011f\": 31, \"\\u0120\": 32, \"!\": 33, \"\\\"\": 34, \"#\": 35, \"$\": 36, \"%\": 37, \"&\": 38, \"'\": 39, \"(\": 40, \")\": 41, \"*\": 42, \"+\": 43, \",\": 44, \"-\": 45, \".\": 46, \"/\": 47, \"0\": 48, \"1\": 49, \"2\": 50, \"3\": 51, \"4\": 52, \"5\": 53, \"6\": 54, \"7\": 55, \"8\": 56, \"9\": 57, \":\": 58, \";\": 59, \"<\": 60, \"=\": 61, \">\": 62, \"?\": 63, \"@\": 64, \"A\": 65, \"B\": 66, \"C\": 67, \"D\": 68, \"E\": 69, \"F\": 70, \"G\": 71, \"H\": 72, \"I\": 73, \"J\": 74, \"K\": 75, \"L\": 76, \"M\": 77, \"N\": 78, \"O\": 79, \"P\": 80, \"Q\": 81, \"R\": 82, \"S\": 83, \"T\": 84, \"U\": 85, \"V\": 86, \"W\": 87, \"X\": 88, \"Y\": 89, \"Z\": 90, \"[\": 91, \"\\\\\": 92, \"]\": 93, \"^\": 94, \"_\": 95, \"`\": 96, \"a\": 97, \"b\": 98, \"c\": 99, \"d\": 100, \"e\": 101, \"f\": 102, \"g\": 103, \"h\": 104, \"i\": 105, \"j\": 106, \"k\": 107, \"l\": 108, \"m\": 109, \"n\": 110, \"o\": 111, \"p\": 112, \"q\": 113, \"r\": 114, \"s\": 115, \"t\": 116, \"u\": 117, \"v\": 118, \"w\": 119, \"x\": 120, \"y\": 121, \"z\": 122, \"{\": 123, \"|\": 124, \"}\": 125, \"~\": 126, \"\\u0121\": 127, \"\\u0122\": 128, \"\\u0123\": 129, \"\\u0124\": 130, \"\\u0125\": 131, \"\\u0126\": 132, \"\\u0127\": 133, \"\\u0128\": 134, \"\\u0129\": 135, \"\\u012a\": 136, \"\\u012b\": 137, \"\\u012c\": 138, \"\\u012d\": 139, \"\\u012e\": 140, \"\\u012f\": 141, \"\\u0130\": 142, \"\\u0131\": 143, \"\\u0132\": 144, \"\\u0133\": 145, \"\\u0134\": 146, \"\\u0135\": 147, \"\\u0136\": 148, \"\\u0137\": 149, \"\\u0138\": 150, \"\\u0139\": 151, \"\\u013a\": 152, \"\\u013b\": 153, \"\\u013c\": 154, \"\\u013d\": 155, \"\\u013e\": 156, \"\\u013f\": 157, \"\\u0140\": 158, \"\\u0141\": 159, \"\\u0142\": 160, \"\\u00a1\": 161, \"\\u00a2\": 162, \"\\u00a3\": 163, \"\\u00a4\": 164, \"\\u00a5\": 165, \"\\u00a6\": 166, \"\\u00a7\": 167, \"\\u00a8\": 168, \"\\u00a9\": 169, \"\\u00aa\": 170, \"\\u00ab\": 171, \"\\u00ac\": 172, \"\\u0143\": 173, \"\\u00ae\": 174, \"\\u00af\": 175, \"\\u00b0\": 176, \"\\u00b1\": 177, \"\\u00b2\": 178, \"\\u00b3\": 179, \"\\u00b4\": 180, \"\\u00b5\": 181, \"\\u00b6\": 182, \"\\u00b7\": 183, \"\\u00b8\": 184, \"\\u00b9\": 185, \"\\u00ba\": 186, \"\\u00bb\": 187, \"\\u00bc\": 188, \"\\u00bd\": 189, \"\\u00be\": 190, \"\\u00bf\": 191, \"\\u00c0\": 192, \"\\u00c1\": 193, \"\\u00c2\": 194, \"\\u00c3\": 195, \"\\u00c4\": 196, \"\\u00c5\": 197, \"\\u00c6\": 198, \"\\u00c7\": 199, \"\\u00c8\": 200, \"\\u00c9\": 201, \"\\u00ca\": 202, \"\\u00cb\": 203, \"\\u00cc\": 204, \"\\u00cd\": 205, \"\\u00ce\": 206, \"\\u00cf\": 207, \"\\u00d0\": 208, \"\\u00d1\": 209, \"\\u00d2\": 210, \"\\u00d3\": 211, \"\\u00d4\": 212, \"\\u00d5\": 213, \"\\u00d6\": 214, \"\\u00d7\": 215, \"\\u00d8\": 216, \"\\u00d9\": 217, \"\\u00da\": 218, \"\\u00db\": 219, \"\\u00dc\": 220, \"\\u00dd\": 221, \"\\u00de\": 222, \"\\u00df\": 223, \"\\u00e0\": 224, \"\\u00e1\": 225, \"\\u00e2\": 226, \"\\u00e3\": 227, \"\\u00e4\": 228, \"\\u00e5\": 229, \"\\u00e6\": 230, \"\\u00e7\": 231, \"\\u00e8\": 232, \"\\u00e9\": 233, \"\\u00ea\": 234, \"\\u00eb\": 235, \"\\u00ec\": 236, \"\\u00ed\": 237, \"\\u00ee\": 238, \"\\u00ef\": 239, \"\\u00f0\": 240, \"\\u00f1\": 241, \"\\u00f2\": 242, \"\\u00f3\": 243, \"\\u00f4\": 244, \"\\u00f5\": 245, \"\\u00f6\": 246, \"\\u00f7\": 247, \"\\u00f8\": 248, \"\\u00f9\": 249, \"\\u00fa\": 250, \"\\u00fb\": 251, \"\\u00fc\": 252, \"\\u00fd\": 253, \"\\u00fe\": 254, \"\\u00ff\": 255, \"\\u0120t\": 256, \"he\": 257, \"\\u0120the\": 258, \"ll\": 259, \"hell\": 260, \"hello\": 261, \"\\u0120d\": 262, \"\\u0120do\": 263, \"\\u0120dog\": 264, \"12\": 265, \"123\": 266, \"\\u0120\\u0120\": 267, \"\\u0120hello\": 268, \"\\u0120world\": 269}, \"merges\": [\"\\u0120 t\", \"h e\", \"\\u0120t he\", \"l l\", \"he ll\", \"hell o\", \"\\u0120 d\", \"\\u0120d o\", \"\\u0120do g\", \"1 2\", \"12 3\", \"\\u0120 \\u0120\", \"\\u0120 hello\"]}}";

TEST(Encode, IgnoreMerges) {
  expect_encodings(kIgnoreMergesDoc,
                   {{"hello world", {300, 261, 269}, {261, 269},
     {"<|bos|>", "hello", "\304\240world"},
     "hello world", "hello world"},
                    {" world the", {300, 269, 258}, {269, 258},
     {"<|bos|>", "\304\240world", "\304\240the"},
     " world the", " world the"}});
}

TEST(Vocabulary, IgnoreMerges) {
  const Tokenizer tok = Tokenizer::from_json(nlohmann::json::parse(kIgnoreMergesDoc), "test.json");
  EXPECT_EQ(tok.vocab_size(), 271u);
  EXPECT_EQ(tok.token_to_id("<|bos|>"), std::optional<std::int32_t>(270));
  EXPECT_EQ(tok.id_to_token(270), "<|bos|>");
  EXPECT_EQ(tok.is_special(270), true);
  EXPECT_EQ(tok.id_to_token(1271), "");
  EXPECT_FALSE(tok.token_to_id("no such token").has_value());
}

// SentencePieceByteFallback
const char* const kSentencePieceByteFallbackDoc = "{\"version\": \"1.0\", \"truncation\": null, \"padding\": null, \"added_tokens\": [{\"id\": 0, \"content\": \"<unk>\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}, {\"id\": 1, \"content\": \"<s>\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}, {\"id\": 2, \"content\": \"</s>\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}], \"normalizer\": {\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"Prepend\", \"prepend\": \"\\u2581\"}, {\"type\": \"Replace\", \"pattern\": {\"String\": \" \"}, \"content\": \"\\u2581\"}]}, \"pre_tokenizer\": null, \"post_processor\": {\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\": {\"id\": \"<s>\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}, {\"SpecialToken\": {\"id\": \"</s>\", \"type_id\": 0}}], \"pair\": [{\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"B\", \"type_id\": 1}}], \"special_tokens\": {\"<s>\": {\"id\": \"<s>\", \"ids\": [1], \"tokens\": [\"<s>\"]}, \"</s>\": {\"id\": \"</s>\", \"ids\": [2], \"tokens\": [\"</s>\"]}}}, \"decoder\": {\"type\": \"Sequence\", \"decoders\": [{\"type\": \"Replace\", \"pattern\": {\"String\": \"\\u2581\"}, \"content\": \" \"}, {\"type\": \"ByteFallback\"}, {\"type\": \"Fuse\"}, {\"type\": \"Strip\", \"content\": \" \", \"start\": 1, \"stop\": 0}]}, \"model\": {\"type\": \"BPE\", \"dropout\": null, \"unk_token\": \"<unk>\", \"continuing_subword_prefix\": null, \"end_of_word_suffix\": null, \"fuse_unk\": true, \"byte_fallback\": true, \"ignore_merges\": false, \"vocab\": {\"<unk>\": 0, \"<s>\": 1, \"</s>\": 2, \"<0x00>\": 3, \"<0x01>\": 4, \"<0x02>\": 5, \"<0x03>\": 6, \"<0x04>\": 7, \"<0x05>\": 8, \"<0x06>\": 9, \"<0x07>\": 10, \"<0x08>\": 11, \"<0x09>\": 12, \"<0x0A>\": 13, \"<0x0B>\": 14, \"<0x0C>\": 15, \"<0x0D>\": 16, \"<0x0E>\": 17, \"<0x0F>\": 18, \"<0x10>\": 19, \"<0x11>\": 20, \"<0x12>\": 21, \"<0x13>\": 22, \"<0x14>\": 23, \"<0x15>\": 24, \"<0x16>\": 25, \"<0x17>\": 26, \"<0x18>\": 27, \"<0x19>\": 28, \"<0x1A>\": 29, \"<0x1B>\": 30, \"<0x1C>\": 31, \"<0x1D>\": 32, \"<0x1E>\": 33, \"<0x1F>\": 34, \"<0x20>\": 35, \"<0x21>\": 36, \"<0x22>\": 37, \"<0x23>\": 38, \"<0x24>\": 39, \"<0x25>\": 40, \"<0x26>\": 41, \"<0x27>\": 42, \"<0x28>\": 43, \"<0x29>\": 44, \"<0x2A>\": 45, \"<0x2B>\": 46, \"<0x2C>\": 47, \"<0x2D>\": 48, \"<0x2E>\": 49, \"<0x2F>\": 50, \"<0x30>\": 51, \"<0x31>\": 52, \"<0x32>\": 53, \"<0x33>\": 54, \"<0x34>\": 55, \"<0x35>\": 56, \"<0x36>\": 57, \"<0x37>\": 58, \"<0x38>\": 59, \"<0x39>\": 60, \"<0x3A>\": 61, \"<0x3B>\": 62, \"<0x3C>\": 63, \"<0x3D>\": 64, \"<0x3E>\": 65, \"<0x3F>\": 66, \"<0x40>\": 67, \"<0x41>\": 68, \"<0x42>\": 69, \"<0x43>\": 70, \"<0x44>\": 71, \"<0x45>\": 72, \"<0x46>\": 73, \"<0x47>\": 74, \"<0x48>\": 75, \"<0x49>\": 76, \"<0x4A>\": 77, \"<0x4B>\": 78, \"<0x4C>\": 79, \"<0x4D>\": 80, \"<0x4E>\": 81, \"<0x4F>\": 82, \"<0x50>\": 83, \"<0x51>\": 84, \"<0x52>\": 85, \"<0x53>\": 86, \"<0x54>\": 87, \"<0x55>\": 88, \"<0x56>\": 89, \"<0x57>\": 90, \"<0x58>\": 91, \"<0x59>\": 92, \"<0x5A>\": 93, \"<0x5B>\": 94, \"<0x5C>\": 95, \"<0x5D>\": 96, \"<0x5E>\": 97, \"<0x5F>\": 98, \"<0x60>\": 99, \"<0x61>\": 100, \"<0x62>\": 101, \"<0x63>\": 102, \"<0x64>\": 103, \"<0x65>\": 104, \"<0x66>\": 105, \"<0x67>\": 106, \"<0x68>\": 107, \"<0x69>\": 108, \"<0x6A>\": 109, \"<0x6B>\": 110, \"<0x6C>\": 111, \"<0x6D>\": 112, \"<0x6E>\": 113, \"<0x6F>\": 114, \"<0x70>\": 115, \"<0x71>\": 116, \"<0x72>\": 117, \"<0x73>\": 118, \"<0x74>\": 119, \"<0x75>\": 120, \"<0x76>\": 121, \"<0x77>\": 122, \"<0x78>\": 123, \"<0x79>\": 124, \"<0x7A>\": 125, \"<0x7B>\": 126, \"<0x7C>\": 127, \"<0x7D>\": 128, \"<0x7E>\": 129, \"<0x7F>\": 130, \"<0x80>\": 131, \"<0x81>\": 132, \"<0x82>\": 133, \"<0x83>\": 134, \"<0x84>\": 135, \"<0x85>\": 136, \"<0x86>\": 137, \"<0x87>\": 138, \"<0x88>\": 139, \"<0x89>\": 140, \"<0x8A>\": 141, \"<0x8B>\": 142, \"<0x8C>\": 143, \"<0x8D>\": 144, \"<0x8E>\": 145, \"<0x8F>\": 146, \"<0x90>\": 147, \"<0x91>\": 148, \"<0x92>\": 149, \"<0x93>\": 150, \"<0x94>\": 151, \"<0x95>\": 152, \"<0x96>\": 153, \"<0x97>\": 154, \"<0x98>\": 155, \"<0x99>\": 156, \"<0x9A>\": 157, \"<0x9B>\": 158, \"<0x9C>\": 159, \"<0x9D>\": 160, \"<0x9E>\": 161, \"<0x9F>\": 162, \"<0xA0>\": 163, \"<0xA1>\": 164, \"<0xA2>\": 165, \"<0xA3>\": 166, \"<0xA4>\": 167, \"<0xA5>\": 168, \"<0xA6>\": 169, \"<0xA7>\": 170, \"<0xA8>\": 171, \"<0xA9>\": 172, \"<0xAA>\": 173, \"<0xAB>\": 174, \"<0xAC>\": 175, \"<0xAD>\": 176, \"<0xAE>\": 177, \"<0xAF>\": 178, \"<0xB0>\": 179, \"<0xB1>\": 180, \"<0xB2>\": 181, \"<0xB3>\": 182, \"<0xB4>\": 183, \"<0xB5>\": 184, \"<0xB6>\": 185, \"<0xB7>\": 186, \"<0xB8>\": 187, \"<0xB9>\": 188, \"<0xBA>\": 189, \"<0xBB>\": 190, \"<0xBC>\": 191, \"<0xBD>\": 192, \"<0xBE>\": 193, \"<0xBF>\": 194, \"<0xC0>\": 195, \"<0xC1>\": 196, \"<0xC2>\": 197, \"<0xC3>\": 198, \"<0xC4>\": 199, \"<0xC5>\": 200, \"<0xC6>\": 201, \"<0xC7>\": 202, \"<0xC8>\": 203, \"<0xC9>\": 204, \"<0xCA>\": 205, \"<0xCB>\": 206, \"<0xCC>\": 207, \"<0xCD>\": 208, \"<0xCE>\": 209, \"<0xCF>\": 210, \"<0xD0>\": 211, \"<0xD1>\": 212, \"<0xD2>\": 213, \"<0xD3>\": 214, \"<0xD4>\": 215, \"<0xD5>\": 216, \"<0xD6>\": 217, \"<0xD7>\": 218, \"<0xD8>\": 219, \"<0xD9>\": 220, \"<0xDA>\": 221, \"<0xDB>\": 222, \"<0xDC>\": 223, \"<0xDD>\": 224, \"<0xDE>\": 225, \"<0xDF>\": 226, \"<0xE0>\": 227, \"<0xE1>\": 228, \"<0xE2>\": 229, \"<0xE3>\": 230, \"<0xE4>\": 231, \"<0xE5>\": 232, \"<0xE6>\": 233, \"<0xE7>\": 234, \"<0xE8>\": 235, \"<0xE9>\": 236, \"<0xEA>\": 237, \"<0xEB>\": 238, \"<0xEC>\": 239, \"<0xED>\": 240, \"<0xEE>\": 241, \"<0xEF>\": 242, \"<0xF0>\": 243, \"<0xF1>\": 244, \"<0xF2>\": 245, \"<0xF3>\": 246, \"<0xF4>\": 247, \"<0xF5>\": 248, \"<0xF6>\": 249, \"<0xF7>\": 250, \"<0xF8>\": 251, \"<0xF9>\": 252, \"<0xFA>\": 253, \"<0xFB>\": 254, \"<0xFC>\": 255, \"<0xFD>\": 256, \"<0xFE>\": 257, \"<0xFF>\": 258, \"\\u2581\": 259, \"a\": 260, \"b\": 261, \"c\": 262, \"\\u2581a\": 263, \"ab\": 264, \"\\u2581ab\": 265, \"\\u2581\\u2581\": 266, \"bc\": 267}, \"merges\": [\"\\u2581 a\", \"a b\", \"\\u2581a b\", \"\\u2581 \\u2581\", \"b c\"]}}";

TEST(Encode, SentencePieceByteFallback) {
  expect_encodings(kSentencePieceByteFallbackDoc,
                   {{"ab a", {1, 265, 263, 2}, {265, 263},
     {"<s>", "\342\226\201ab", "\342\226\201a", "</s>"},
     "<s> ab a</s>", "ab a"},
                    {"abc", {1, 265, 262, 2}, {265, 262},
     {"<s>", "\342\226\201ab", "c", "</s>"},
     "<s> abc</s>", "abc"},
                    {"a\303\261b", {1, 263, 198, 180, 261, 2}, {263, 198, 180, 261},
     {"<s>", "\342\226\201a", "<0xC3>", "<0xB1>", "b", "</s>"},
     "<s> a\303\261b</s>", "a\303\261b"},
                    {"", {1, 2}, {},
     {"<s>", "</s>"},
     "<s></s>", ""},
                    {" lead", {1, 266, 111, 104, 260, 103, 2}, {266, 111, 104, 260, 103},
     {"<s>", "\342\226\201\342\226\201", "<0x6C>", "<0x65>", "a", "<0x64>", "</s>"},
     "<s>  lead</s>", " lead"},
                    {"a  b", {1, 263, 266, 261, 2}, {263, 266, 261},
     {"<s>", "\342\226\201a", "\342\226\201\342\226\201", "b", "</s>"},
     "<s> a  b</s>", "a  b"},
                    {"<s>ab</s>", {1, 1, 265, 2, 2}, {1, 265, 2},
     {"<s>", "<s>", "\342\226\201ab", "</s>", "</s>"},
     "<s><s> ab</s></s>", "ab"},
                    {"\360\237\230\200", {1, 259, 243, 162, 155, 131, 2}, {259, 243, 162, 155, 131},
     {"<s>", "\342\226\201", "<0xF0>", "<0x9F>", "<0x98>", "<0x80>", "</s>"},
     "<s> \360\237\230\200</s>", "\360\237\230\200"},
                    {"zz", {1, 259, 125, 125, 2}, {259, 125, 125},
     {"<s>", "\342\226\201", "<0x7A>", "<0x7A>", "</s>"},
     "<s> zz</s>", "zz"}});
}

TEST(Vocabulary, SentencePieceByteFallback) {
  const Tokenizer tok = Tokenizer::from_json(nlohmann::json::parse(kSentencePieceByteFallbackDoc), "test.json");
  EXPECT_EQ(tok.vocab_size(), 268u);
  EXPECT_EQ(tok.token_to_id("<unk>"), std::optional<std::int32_t>(0));
  EXPECT_EQ(tok.id_to_token(0), "<unk>");
  EXPECT_EQ(tok.is_special(0), true);
  EXPECT_EQ(tok.token_to_id("<s>"), std::optional<std::int32_t>(1));
  EXPECT_EQ(tok.id_to_token(1), "<s>");
  EXPECT_EQ(tok.is_special(1), true);
  EXPECT_EQ(tok.token_to_id("</s>"), std::optional<std::int32_t>(2));
  EXPECT_EQ(tok.id_to_token(2), "</s>");
  EXPECT_EQ(tok.is_special(2), true);
  EXPECT_EQ(tok.id_to_token(1268), "");
  EXPECT_FALSE(tok.token_to_id("no such token").has_value());
}

// UnkFused
const char* const kUnkFusedDoc = "{\"version\": \"1.0\", \"truncation\": null, \"padding\": null, \"added_tokens\": [], \"normalizer\": null, \"pre_tokenizer\": {\"type\": \"WhitespaceSplit\"}, \"post_processor\": null, \"decoder\": null, \"model\": {\"type\": \"BPE\", \"dropout\": null, \"unk_token\": \"<unk>\", \"continuing_subword_prefix\": null, \"end_of_word_suffix\": null, \"fuse_unk\": true, \"byte_fallback\": false, \"ignore_merges\": false, \"vocab\": {\"<unk>\": 0, \"a\": 1, \"b\": 2, \"ab\": 3}, \"merges\": [\"a b\"]}}";

TEST(Encode, UnkFused) {
  expect_encodings(kUnkFusedDoc,
                   {{"axyzb ab", {1, 0, 2, 3}, {1, 0, 2, 3},
     {"a", "<unk>", "b", "ab"},
     "a <unk> b ab", "a <unk> b ab"},
                    {"xyz", {0}, {0},
     {"<unk>"},
     "<unk>", "<unk>"},
                    {"a\303\251\303\251b", {1, 0, 2}, {1, 0, 2},
     {"a", "<unk>", "b"},
     "a <unk> b", "a <unk> b"}});
}

TEST(Vocabulary, UnkFused) {
  const Tokenizer tok = Tokenizer::from_json(nlohmann::json::parse(kUnkFusedDoc), "test.json");
  EXPECT_EQ(tok.vocab_size(), 4u);
  EXPECT_EQ(tok.id_to_token(1004), "");
  EXPECT_FALSE(tok.token_to_id("no such token").has_value());
}

// UnkNotFused
const char* const kUnkNotFusedDoc = "{\"version\": \"1.0\", \"truncation\": null, \"padding\": null, \"added_tokens\": [], \"normalizer\": null, \"pre_tokenizer\": {\"type\": \"WhitespaceSplit\"}, \"post_processor\": null, \"decoder\": null, \"model\": {\"type\": \"BPE\", \"dropout\": null, \"unk_token\": \"<unk>\", \"continuing_subword_prefix\": null, \"end_of_word_suffix\": null, \"fuse_unk\": false, \"byte_fallback\": false, \"ignore_merges\": false, \"vocab\": {\"<unk>\": 0, \"a\": 1, \"b\": 2, \"ab\": 3}, \"merges\": [\"a b\"]}}";

TEST(Encode, UnkNotFused) {
  expect_encodings(kUnkNotFusedDoc,
                   {{"axyzb ab", {1, 0, 0, 0, 2, 3}, {1, 0, 0, 0, 2, 3},
     {"a", "<unk>", "<unk>", "<unk>", "b", "ab"},
     "a <unk> <unk> <unk> b ab", "a <unk> <unk> <unk> b ab"},
                    {"xyz", {0, 0, 0}, {0, 0, 0},
     {"<unk>", "<unk>", "<unk>"},
     "<unk> <unk> <unk>", "<unk> <unk> <unk>"}});
}

TEST(Vocabulary, UnkNotFused) {
  const Tokenizer tok = Tokenizer::from_json(nlohmann::json::parse(kUnkNotFusedDoc), "test.json");
  EXPECT_EQ(tok.vocab_size(), 4u);
  EXPECT_EQ(tok.id_to_token(1004), "");
  EXPECT_FALSE(tok.token_to_id("no such token").has_value());
}

// NoUnkDropsChars
const char* const kNoUnkDropsCharsDoc = "{\"version\": \"1.0\", \"truncation\": null, \"padding\": null, \"added_tokens\": [], \"normalizer\": null, \"pre_tokenizer\": {\"type\": \"WhitespaceSplit\"}, \"post_processor\": null, \"decoder\": null, \"model\": {\"type\": \"BPE\", \"dropout\": null, \"unk_token\": null, \"continuing_subword_prefix\": null, \"end_of_word_suffix\": null, \"fuse_unk\": false, \"byte_fallback\": false, \"ignore_merges\": false, \"vocab\": {\"<unk>\": 0, \"a\": 1, \"b\": 2, \"ab\": 3}, \"merges\": [\"a b\"]}}";

TEST(Encode, NoUnkDropsChars) {
  expect_encodings(kNoUnkDropsCharsDoc,
                   {{"axyzb ab", {3, 3}, {3, 3},
     {"ab", "ab"},
     "ab ab", "ab ab"},
                    {"xyz", {}, {},
     {},
     "", ""}});
}

TEST(Vocabulary, NoUnkDropsChars) {
  const Tokenizer tok = Tokenizer::from_json(nlohmann::json::parse(kNoUnkDropsCharsDoc), "test.json");
  EXPECT_EQ(tok.vocab_size(), 4u);
  EXPECT_EQ(tok.id_to_token(1004), "");
  EXPECT_FALSE(tok.token_to_id("no such token").has_value());
}

// SubwordPrefixSuffix
const char* const kSubwordPrefixSuffixDoc = "{\"version\": \"1.0\", \"truncation\": null, \"padding\": null, \"added_tokens\": [], \"normalizer\": null, \"pre_tokenizer\": {\"type\": \"WhitespaceSplit\"}, \"post_processor\": null, \"decoder\": null, \"model\": {\"type\": \"BPE\", \"dropout\": null, \"unk_token\": null, \"continuing_subword_prefix\": \"##\", \"end_of_word_suffix\": \"</w>\", \"fuse_unk\": false, \"byte_fallback\": false, \"ignore_merges\": false, \"vocab\": {\"a\": 0, \"##b\": 1, \"##c\": 2, \"c</w>\": 3, \"##c</w>\": 4, \"##bc</w>\": 5, \"ab\": 6, \"##b##c</w>\": 7, \"b</w>\": 8, \"##b</w>\": 9}, \"merges\": [\"##b ##c</w>\", \"a ##b\"]}}";

TEST(Encode, SubwordPrefixSuffix) {
  expect_encodings(kSubwordPrefixSuffixDoc,
                   {{"abc c", {0, 5, 3}, {0, 5, 3},
     {"a", "##bc</w>", "c</w>"},
     "a ##bc</w> c</w>", "a ##bc</w> c</w>"},
                    {"ab b", {0, 9, 8}, {0, 9, 8},
     {"a", "##b</w>", "b</w>"},
     "a ##b</w> b</w>", "a ##b</w> b</w>"},
                    {"cb", {9}, {9},
     {"##b</w>"},
     "##b</w>", "##b</w>"}});
}

TEST(Vocabulary, SubwordPrefixSuffix) {
  const Tokenizer tok = Tokenizer::from_json(nlohmann::json::parse(kSubwordPrefixSuffixDoc), "test.json");
  EXPECT_EQ(tok.vocab_size(), 10u);
  EXPECT_EQ(tok.id_to_token(1010), "");
  EXPECT_FALSE(tok.token_to_id("no such token").has_value());
}

// AddedTokens
const char* const kAddedTokensDoc = "{\"version\": \"1.0\", \"truncation\": null, \"padding\": null, \"added_tokens\": [{\"id\": 300, \"content\": \"<|end|>\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}, {\"id\": 301, \"content\": \"<tool>\", \"single_word\": false, \"lstrip\": true, \"rstrip\": true, \"normalized\": false, \"special\": false}, {\"id\": 302, \"content\": \"<l>\", \"single_word\": false, \"lstrip\": true, \"rstrip\": false, \"normalized\": false, \"special\": false}, {\"id\": 303, \"content\": \"<r>\", \"single_word\": false, \"lstrip\": false, \"rstrip\": true, \"normalized\": false, \"special\": false}, {\"id\": 304, \"content\": \"dog\", \"single_word\": true, \"lstrip\": false, \"rstrip\": false, \"normalized\": true, \"special\": false}, {\"id\": 305, \"content\": \"CAT\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": true, \"special\": false}, {\"id\": 306, \"content\": \"<|end|>x\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}, {\"id\": 307, \"content\": \"\\u00e9t\\u00e9\", \"single_word\": true, \"lstrip\": false, \"rstrip\": false, \"normalized\": true, \"special\": false}], \"normalizer\": {\"type\": \"Lowercase\"}, \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true}, \"post_processor\": null, \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true}, \"model\": {\"type\": \"BPE\", \"dropout\": null, \"unk_token\": null, \"continuing_subword_prefix\": null, \"end_of_word_suffix\": null, \"fuse_unk\": false, \"byte_fallback\": false, \"ignore_merges\": false, \"vocab\": {\"\\u0100\": 0, \"\\u0101\": 1, \"\\u0102\": 2, \"\\u0103\": 3, \"\\u0104\": 4, \"\\u0105\": 5, \"\\u0106\": 6, \"\\u0107\": 7, \"\\u0108\": 8, \"\\u0109\": 9, \"\\u010a\": 10, \"\\u010b\": 11, \"\\u010c\": 12, \"\\u010d\": 13, \"\\u010e\": 14, \"\\u010f\": 15, \"\\u0110\": 16, \"\\u0111\": 17, \"\\u0112\": 18, \"\\u0113\": 19, \"\\u0114\": 20, \"\\u0115\": 21, \"\\u0116\": 22, \"\\u0117\": 23, \"\\u0118\": 24, \"\\u0119\": 25, \"\\u011a\": 26, \"\\u011b\": 27, \"\\u011c\": 28, \"\\u011d\": 29, \"\\u011e\": 30, \"\\u011f\": 31, \"\\u0120\": 32, \"!\": 33, \"\\\"\": 34, \"#\": 35, \"$\": 36, \"%\": 37, \"&\": 38, \"'\": 39, \"(\": 40, \")\": 41, \"*\": 42, \"+\": 43, \",\": 44, \"-\": 45, \".\": 46, \"/\": 47, \"0\": 48, \"1\": 49, \"2\": 50, \"3\": 51, \"4\": 52, \"5\": 53, \"6\": 54, \"7\": 55, \"8\": 56, \"9\": 57, \":\": 58, \";\": 59, \"<\": 60, \"=\": 61, \">\": 62, \"?\": 63, \"@\": 64, \"A\": 65, \"B\": 66, \"C\": 67, \"D\": 68, \"E\": 69, \"F\": 70, \"G\": 71, \"H\": 72, \"I\": 73, \"J\": 74, \"K\": 75, \"L\": 76, \"M\": 77, \"N\": 78, \"O\": 79, \"P\": 80, \"Q\": 81, \"R\": 82, \"S\": 83, \"T\": 84, \"U\": 85, \"V\": 86, \"W\": 87, \"X\": 88, \"Y\": 89, \"Z\": 90, \"[\": 91, \"\\\\\": 92, \"]\": 93, \"^\": 94, \"_\": 95, \"`\": 96, \"a\": 97, \"b\": 98, \"c\": 99, \"d\": 100, \"e\": 101, \"f\": 102, \"g\": 103, \"h\": 104, \"i\": 105, \"j\": 106, \"k\": 107, \"l\": 108, \"m\": 109, \"n\": 110, \"o\": 111, \"p\": 112, \"q\": 113, \"r\": 114, \"s\": 115, \"t\": 116, \"u\": 117, \"v\": 118, \"w\": 119, \"x\": 120, \"y\": 121, \"z\": 122, \"{\": 123, \"|\": 124, \"}\": 125, \"~\": 126, \"\\u0121\": 127, \"\\u0122\": 128, \"\\u0123\": 129, \"\\u0124\": 130, \"\\u0125\": 131, \"\\u0126\": 132, \"\\u0127\": 133, \"\\u0128\": 134, \"\\u0129\": 135, \"\\u012a\": 136, \"\\u012b\": 137, \"\\u012c\": 138, \"\\u012d\": 139, \"\\u012e\": 140, \"\\u012f\": 141, \"\\u0130\": 142, \"\\u0131\": 143, \"\\u0132\": 144, \"\\u0133\": 145, \"\\u0134\": 146, \"\\u0135\": 147, \"\\u0136\": 148, \"\\u0137\": 149, \"\\u0138\": 150, \"\\u0139\": 151, \"\\u013a\": 152, \"\\u013b\": 153, \"\\u013c\": 154, \"\\u013d\": 155, \"\\u013e\": 156, \"\\u013f\": 157, \"\\u0140\": 158, \"\\u0141\": 159, \"\\u0142\": 160, \"\\u00a1\": 161, \"\\u00a2\": 162, \"\\u00a3\": 163, \"\\u00a4\": 164, \"\\u00a5\": 165, \"\\u00a6\": 166, \"\\u00a7\": 167, \"\\u00a8\": 168, \"\\u00a9\": 169, \"\\u00aa\": 170, \"\\u00ab\": 171, \"\\u00ac\": 172, \"\\u0143\": 173, \"\\u00ae\": 174, \"\\u00af\": 175, \"\\u00b0\": 176, \"\\u00b1\": 177, \"\\u00b2\": 178, \"\\u00b3\": 179, \"\\u00b4\": 180, \"\\u00b5\": 181, \"\\u00b6\": 182, \"\\u00b7\": 183, \"\\u00b8\": 184, \"\\u00b9\": 185, \"\\u00ba\": 186, \"\\u00bb\": 187, \"\\u00bc\": 188, \"\\u00bd\": 189, \"\\u00be\": 190, \"\\u00bf\": 191, \"\\u00c0\": 192, \"\\u00c1\": 193, \"\\u00c2\": 194, \"\\u00c3\": 195, \"\\u00c4\": 196, \"\\u00c5\": 197, \"\\u00c6\": 198, \"\\u00c7\": 199, \"\\u00c8\": 200, \"\\u00c9\": 201, \"\\u00ca\": 202, \"\\u00cb\": 203, \"\\u00cc\": 204, \"\\u00cd\": 205, \"\\u00ce\": 206, \"\\u00cf\": 207, \"\\u00d0\": 208, \"\\u00d1\": 209, \"\\u00d2\": 210, \"\\u00d3\": 211, \"\\u00d4\": 212, \"\\u00d5\": 213, \"\\u00d6\": 214, \"\\u00d7\": 215, \"\\u00d8\": 216, \"\\u00d9\": 217, \"\\u00da\": 218, \"\\u00db\": 219, \"\\u00dc\": 220, \"\\u00dd\": 221, \"\\u00de\": 222, \"\\u00df\": 223, \"\\u00e0\": 224, \"\\u00e1\": 225, \"\\u00e2\": 226, \"\\u00e3\": 227, \"\\u00e4\": 228, \"\\u00e5\": 229, \"\\u00e6\": 230, \"\\u00e7\": 231, \"\\u00e8\": 232, \"\\u00e9\": 233, \"\\u00ea\": 234, \"\\u00eb\": 235, \"\\u00ec\": 236, \"\\u00ed\": 237, \"\\u00ee\": 238, \"\\u00ef\": 239, \"\\u00f0\": 240, \"\\u00f1\": 241, \"\\u00f2\": 242, \"\\u00f3\": 243, \"\\u00f4\": 244, \"\\u00f5\": 245, \"\\u00f6\": 246, \"\\u00f7\": 247, \"\\u00f8\": 248, \"\\u00f9\": 249, \"\\u00fa\": 250, \"\\u00fb\": 251, \"\\u00fc\": 252, \"\\u00fd\": 253, \"\\u00fe\": 254, \"\\u00ff\": 255, \"\\u0120t\": 256, \"he\": 257, \"\\u0120the\": 258, \"ll\": 259, \"hell\": 260, \"hello\": 261, \"\\u0120d\": 262, \"\\u0120do\": 263, \"\\u0120dog\": 264, \"12\": 265, \"123\": 266, \"\\u0120\\u0120\": 267, \"\\u0120hello\": 268}, \"merges\": [\"\\u0120 t\", \"h e\", \"\\u0120t he\", \"l l\", \"he ll\", \"hell o\", \"\\u0120 d\", \"\\u0120d o\", \"\\u0120do g\", \"1 2\", \"12 3\", \"\\u0120 \\u0120\", \"\\u0120 hello\"]}}";

TEST(Encode, AddedTokens) {
  expect_encodings(kAddedTokensDoc,
                   {{"hello<|end|>the", {261, 269, 116, 257}, {261, 269, 116, 257},
     {"hello", "<|end|>", "t", "he"},
     "hello<|end|>the", "hellothe"},
                    {"a  <tool>  b", {97, 270, 98}, {97, 270, 98},
     {"a", "  <tool>  ", "b"},
     "a<tool>b", "a<tool>b"},
                    {"x <l>  y", {120, 271, 32, 32, 121}, {120, 271, 32, 32, 121},
     {"x", " <l>", "\304\240", "\304\240", "y"},
     "x<l>  y", "x<l>  y"},
                    {"x  <r>  y", {120, 267, 272, 121}, {120, 267, 272, 121},
     {"x", "\304\240\304\240", "<r>  ", "y"},
     "x  <r>y", "x  <r>y"},
                    {"dog hotdog dogs dog.", {273, 32, 104, 111, 116, 100, 111, 103, 264, 115, 32, 273, 46}, {273, 32, 104, 111, 116, 100, 111, 103, 264, 115, 32, 273, 46},
     {"dog", "\304\240", "h", "o", "t", "d", "o", "g", "\304\240dog", "s", "\304\240", "dog", "."},
     "dog hotdog dogs dog.", "dog hotdog dogs dog."},
                    {"the CAT cat Cat", {116, 257, 32, 274, 32, 274, 32, 274}, {116, 257, 32, 274, 32, 274, 32, 274},
     {"t", "he", "\304\240", "cat", "\304\240", "cat", "\304\240", "cat"},
     "the CAT CAT CAT", "the CAT CAT CAT"},
                    {"<|end|>x<|end|>", {275, 269}, {275, 269},
     {"<|end|>x", "<|end|>"},
     "<|end|>x<|end|>", ""},
                    {"\303\211T\303\211 \303\251t\303\251s", {276, 32, 195, 169, 116, 195, 169, 115}, {276, 32, 195, 169, 116, 195, 169, 115},
     {"\303\251t\303\251", "\304\240", "\303\203", "\302\251", "t", "\303\203", "\302\251", "s"},
     "\357\277\275t\357\277\275 \303\251t\303\251s", "\357\277\275t\357\277\275 \303\251t\303\251s"},
                    {"<TOOL> <Tool>", {60, 116, 111, 111, 108, 62, 32, 60, 116, 111, 111, 108, 62}, {60, 116, 111, 111, 108, 62, 32, 60, 116, 111, 111, 108, 62},
     {"<", "t", "o", "o", "l", ">", "\304\240", "<", "t", "o", "o", "l", ">"},
     "<tool> <tool>", "<tool> <tool>"}});
}

TEST(Vocabulary, AddedTokens) {
  const Tokenizer tok = Tokenizer::from_json(nlohmann::json::parse(kAddedTokensDoc), "test.json");
  EXPECT_EQ(tok.vocab_size(), 277u);
  EXPECT_EQ(tok.token_to_id("<|end|>"), std::optional<std::int32_t>(269));
  EXPECT_EQ(tok.id_to_token(269), "<|end|>");
  EXPECT_EQ(tok.is_special(269), true);
  EXPECT_EQ(tok.token_to_id("<tool>"), std::optional<std::int32_t>(270));
  EXPECT_EQ(tok.id_to_token(270), "<tool>");
  EXPECT_EQ(tok.is_special(270), false);
  EXPECT_EQ(tok.token_to_id("<l>"), std::optional<std::int32_t>(271));
  EXPECT_EQ(tok.id_to_token(271), "<l>");
  EXPECT_EQ(tok.is_special(271), false);
  EXPECT_EQ(tok.token_to_id("<r>"), std::optional<std::int32_t>(272));
  EXPECT_EQ(tok.id_to_token(272), "<r>");
  EXPECT_EQ(tok.is_special(272), false);
  EXPECT_EQ(tok.id_to_token(1277), "");
  EXPECT_FALSE(tok.token_to_id("no such token").has_value());
}

}  // namespace
}  // namespace ftcore::tok
