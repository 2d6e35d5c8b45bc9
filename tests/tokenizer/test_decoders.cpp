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

TEST(Decoders, ByteLevel) {
  expect_decoded("{\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true}",
                 {{{"\304\240Hello", "\304\240w", "orld", "\304\212"}, " Hello world\012"},
                  {{"\342\226\201\342\226\201a\342\226\201b", "\342\226\201c", "d\342\226\201"}, "\342\226\201\342\226\201a\342\226\201b\342\226\201cd\342\226\201"},
                  {{"<0x41>", "<0xE2>", "<0x82>", "<0xAC>", "x", "<0xE2>", "<0x82>", "y", "<0x+A>"}, "<0x41><0xE2><0x82><0xAC>x<0xE2><0x82>y<0x+A>"},
                  {{"  a  ", " b ", "c"}, "  a   b c"},
                  {{}, ""},
                  {{"\303\260\305\201", "<|x|>", "\303\203"}, "\357\277\275<|x|>\357\277\275"}});
}

TEST(Decoders, ReplaceString) {
  expect_decoded("{\"type\": \"Replace\", \"pattern\": {\"String\": \"\\u2581\"}, \"content\": \" \"}",
                 {{{"\304\240Hello", "\304\240w", "orld", "\304\212"}, "\304\240Hello\304\240world\304\212"},
                  {{"\342\226\201\342\226\201a\342\226\201b", "\342\226\201c", "d\342\226\201"}, "  a b cd "},
                  {{"<0x41>", "<0xE2>", "<0x82>", "<0xAC>", "x", "<0xE2>", "<0x82>", "y", "<0x+A>"}, "<0x41><0xE2><0x82><0xAC>x<0xE2><0x82>y<0x+A>"},
                  {{"  a  ", " b ", "c"}, "  a   b c"},
                  {{}, ""},
                  {{"\303\260\305\201", "<|x|>", "\303\203"}, "\303\260\305\201<|x|>\303\203"}});
}

TEST(Decoders, ReplaceRegex) {
  expect_decoded("{\"type\": \"Replace\", \"pattern\": {\"Regex\": \"[a-c]+\"}, \"content\": \"#\"}",
                 {{{"\304\240Hello", "\304\240w", "orld", "\304\212"}, "\304\240Hello\304\240world\304\212"},
                  {{"\342\226\201\342\226\201a\342\226\201b", "\342\226\201c", "d\342\226\201"}, "\342\226\201\342\226\201#\342\226\201#\342\226\201#d\342\226\201"},
                  {{"<0x41>", "<0xE2>", "<0x82>", "<0xAC>", "x", "<0xE2>", "<0x82>", "y", "<0x+A>"}, "<0x41><0xE2><0x82><0xAC>x<0xE2><0x82>y<0x+A>"},
                  {{"  a  ", " b ", "c"}, "  #   # #"},
                  {{}, ""},
                  {{"\303\260\305\201", "<|x|>", "\303\203"}, "\303\260\305\201<|x|>\303\203"}});
}

TEST(Decoders, ByteFallback) {
  expect_decoded("{\"type\": \"ByteFallback\"}",
                 {{{"\304\240Hello", "\304\240w", "orld", "\304\212"}, "\304\240Hello\304\240world\304\212"},
                  {{"\342\226\201\342\226\201a\342\226\201b", "\342\226\201c", "d\342\226\201"}, "\342\226\201\342\226\201a\342\226\201b\342\226\201cd\342\226\201"},
                  {{"<0x41>", "<0xE2>", "<0x82>", "<0xAC>", "x", "<0xE2>", "<0x82>", "y", "<0x+A>"}, "A\342\202\254x\357\277\275\357\277\275y\012"},
                  {{"  a  ", " b ", "c"}, "  a   b c"},
                  {{}, ""},
                  {{"\303\260\305\201", "<|x|>", "\303\203"}, "\303\260\305\201<|x|>\303\203"}});
}

TEST(Decoders, Fuse) {
  expect_decoded("{\"type\": \"Fuse\"}",
                 {{{"\304\240Hello", "\304\240w", "orld", "\304\212"}, "\304\240Hello\304\240world\304\212"},
                  {{"\342\226\201\342\226\201a\342\226\201b", "\342\226\201c", "d\342\226\201"}, "\342\226\201\342\226\201a\342\226\201b\342\226\201cd\342\226\201"},
                  {{"<0x41>", "<0xE2>", "<0x82>", "<0xAC>", "x", "<0xE2>", "<0x82>", "y", "<0x+A>"}, "<0x41><0xE2><0x82><0xAC>x<0xE2><0x82>y<0x+A>"},
                  {{"  a  ", " b ", "c"}, "  a   b c"},
                  {{}, ""},
                  {{"\303\260\305\201", "<|x|>", "\303\203"}, "\303\260\305\201<|x|>\303\203"}});
}

TEST(Decoders, StripStart) {
  expect_decoded("{\"type\": \"Strip\", \"content\": \" \", \"start\": 1, \"stop\": 0}",
                 {{{"\304\240Hello", "\304\240w", "orld", "\304\212"}, "\304\240Hello\304\240world\304\212"},
                  {{"\342\226\201\342\226\201a\342\226\201b", "\342\226\201c", "d\342\226\201"}, "\342\226\201\342\226\201a\342\226\201b\342\226\201cd\342\226\201"},
                  {{"<0x41>", "<0xE2>", "<0x82>", "<0xAC>", "x", "<0xE2>", "<0x82>", "y", "<0x+A>"}, "<0x41><0xE2><0x82><0xAC>x<0xE2><0x82>y<0x+A>"},
                  {{"  a  ", " b ", "c"}, " a  b c"},
                  {{}, ""},
                  {{"\303\260\305\201", "<|x|>", "\303\203"}, "\303\260\305\201<|x|>\303\203"}});
}

TEST(Decoders, StripBoth) {
  expect_decoded("{\"type\": \"Strip\", \"content\": \" \", \"start\": 2, \"stop\": 1}",
                 {{{"\304\240Hello", "\304\240w", "orld", "\304\212"}, "\304\240Hello\304\240world\304\212"},
                  {{"\342\226\201\342\226\201a\342\226\201b", "\342\226\201c", "d\342\226\201"}, "\342\226\201\342\226\201a\342\226\201b\342\226\201cd\342\226\201"},
                  {{"<0x41>", "<0xE2>", "<0x82>", "<0xAC>", "x", "<0xE2>", "<0x82>", "y", "<0x+A>"}, "<0x41><0xE2><0x82><0xAC>x<0xE2><0x82>y<0x+A>"},
                  {{"  a  ", " b ", "c"}, "a bc"},
                  {{}, ""},
                  {{"\303\260\305\201", "<|x|>", "\303\203"}, "\303\260\305\201<|x|>\303\203"}});
}

TEST(Decoders, MetaspaceAlways) {
  expect_decoded("{\"type\": \"Metaspace\", \"replacement\": \"\\u2581\", \"prepend_scheme\": \"always\", \"split\": true}",
                 {{{"\304\240Hello", "\304\240w", "orld", "\304\212"}, "\304\240Hello\304\240world\304\212"},
                  {{"\342\226\201\342\226\201a\342\226\201b", "\342\226\201c", "d\342\226\201"}, "ab cd "},
                  {{"<0x41>", "<0xE2>", "<0x82>", "<0xAC>", "x", "<0xE2>", "<0x82>", "y", "<0x+A>"}, "<0x41><0xE2><0x82><0xAC>x<0xE2><0x82>y<0x+A>"},
                  {{"  a  ", " b ", "c"}, "  a   b c"},
                  {{}, ""},
                  {{"\303\260\305\201", "<|x|>", "\303\203"}, "\303\260\305\201<|x|>\303\203"}});
}

TEST(Decoders, MetaspaceNever) {
  expect_decoded("{\"type\": \"Metaspace\", \"replacement\": \"\\u2581\", \"prepend_scheme\": \"never\", \"split\": true}",
                 {{{"\304\240Hello", "\304\240w", "orld", "\304\212"}, "\304\240Hello\304\240world\304\212"},
                  {{"\342\226\201\342\226\201a\342\226\201b", "\342\226\201c", "d\342\226\201"}, "  a b cd "},
                  {{"<0x41>", "<0xE2>", "<0x82>", "<0xAC>", "x", "<0xE2>", "<0x82>", "y", "<0x+A>"}, "<0x41><0xE2><0x82><0xAC>x<0xE2><0x82>y<0x+A>"},
                  {{"  a  ", " b ", "c"}, "  a   b c"},
                  {{}, ""},
                  {{"\303\260\305\201", "<|x|>", "\303\203"}, "\303\260\305\201<|x|>\303\203"}});
}

TEST(Decoders, SequenceLlama2) {
  expect_decoded("{\"type\": \"Sequence\", \"decoders\": [{\"type\": \"Replace\", \"pattern\": {\"String\": \"\\u2581\"}, \"content\": \" \"}, {\"type\": \"ByteFallback\"}, {\"type\": \"Fuse\"}, {\"type\": \"Strip\", \"content\": \" \", \"start\": 1, \"stop\": 0}]}",
                 {{{"\304\240Hello", "\304\240w", "orld", "\304\212"}, "\304\240Hello\304\240world\304\212"},
                  {{"\342\226\201\342\226\201a\342\226\201b", "\342\226\201c", "d\342\226\201"}, " a b cd "},
                  {{"<0x41>", "<0xE2>", "<0x82>", "<0xAC>", "x", "<0xE2>", "<0x82>", "y", "<0x+A>"}, "A\342\202\254x\357\277\275\357\277\275y\012"},
                  {{"  a  ", " b ", "c"}, " a   b c"},
                  {{}, ""},
                  {{"\303\260\305\201", "<|x|>", "\303\203"}, "\303\260\305\201<|x|>\303\203"}});
}

}  // namespace
}  // namespace ftcore::tok
