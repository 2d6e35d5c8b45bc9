// Checkpoint and save_sharded: one file, an index and its shards, and what is wrong with them.
#include <gtest/gtest.h>

#include "weights_support.hpp"

using namespace ftcore;
using namespace ftcore::testing;
using namespace ftcore::weights;
namespace fs = std::filesystem;

#define EXPECT_CONTAINS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

namespace {

std::vector<std::string> file_names(const std::vector<fs::path>& files) {
  std::vector<std::string> names;
  for (const auto& f : files) names.push_back(f.filename().string());
  return names;
}

std::vector<std::string> directory_listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& item : fs::directory_iterator(dir)) names.push_back(item.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

torch::Tensor bytes(std::int64_t n) { return torch::arange(n, torch::kInt64).remainder(251).to(torch::kUInt8); }

// Shards written by hand: shard-1 holds a and b, shard-2 holds c.
class CheckpointIndex : public ::testing::Test {
 protected:
  void SetUp() override {
    save_file(dir.path() / "shard-1.safetensors", {{"a", torch::ones({2})}, {"b", torch::zeros({3})}});
    save_file(dir.path() / "shard-2.safetensors", {{"c", torch::ones({1})}});
  }
  void write_index(const std::string& weight_map) {
    dir.write("model.safetensors.index.json", R"({"metadata":{"total_size":24},"weight_map":)" + weight_map + "}");
  }
  std::string open_error(const std::string& weight_map) {
    write_index(weight_map);
    return usage_error([&] { Checkpoint::open(dir.path()); });
  }
  TempDir dir;
};

TEST(Checkpoint, OpensASingleFile) {
  TempDir dir;
  save_file(dir.path() / "model.safetensors", {{"w", torch::arange(6, torch::kFloat32).reshape({2, 3})}, {"b", torch::ones({3})}});
  Checkpoint checkpoint = Checkpoint::open(dir.path());
  EXPECT_EQ(checkpoint.names(), (std::vector<std::string>{"b", "w"}));
  EXPECT_EQ(checkpoint.info("w").shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(checkpoint.info("w").dtype, DType::F32);
  EXPECT_TRUE(torch::equal(checkpoint.tensor("w"), torch::arange(6, torch::kFloat32).reshape({2, 3})));
  EXPECT_EQ(checkpoint.file_of("b"), dir.path() / "model.safetensors");
  EXPECT_TRUE(checkpoint.contains("b"));
  EXPECT_FALSE(checkpoint.contains("x"));
  EXPECT_CONTAINS(usage_error([&] { checkpoint.tensor("ww"); }), "the checkpoint has no tensor named 'ww' (did you mean 'w'?)");
}

TEST(Checkpoint, OpensAFileGivenByPath) {
  TempDir dir;
  save_file(dir.path() / "adapter_model.safetensors", {{"lora_A", torch::ones({2, 4})}});
  EXPECT_EQ(Checkpoint::open(dir.path() / "adapter_model.safetensors").names(), (std::vector<std::string>{"lora_A"}));
}

TEST(Checkpoint, SaysWhatToDoWithoutSafetensors) {
  TempDir dir;
  std::string message = usage_error([&] { Checkpoint::open(dir.path()); });
  EXPECT_CONTAINS(message, dir.path().string() + ": no model.safetensors or model.safetensors.index.json");
  EXPECT_CONTAINS(message, "ftcore reads safetensors weights only, not pytorch_model.bin");
  EXPECT_CONTAINS(message, "save_pretrained(DIR, safe_serialization=True)");
  dir.write("pytorch_model.bin", "pickle");
  EXPECT_CONTAINS(usage_error([&] { Checkpoint::open(dir.path()); }), "model.safetensors.index.json (there is a pytorch_model.bin)");
  EXPECT_CONTAINS(usage_error([&] { Checkpoint::open(dir.path() / "absent"); }), "absent: no such model directory");
}

TEST(Checkpoint, PrefersTheSingleFileAsTransformersDoes) {
  TempDir dir;
  save_file(dir.path() / "model.safetensors", {{"single", torch::ones({1})}});
  dir.write("model.safetensors.index.json", "not even JSON");
  EXPECT_EQ(Checkpoint::open(dir.path()).names(), (std::vector<std::string>{"single"}));
}

TEST_F(CheckpointIndex, OpensTheShards) {
  write_index(R"({"a":"shard-1.safetensors","b":"shard-1.safetensors","c":"shard-2.safetensors"})");
  Checkpoint checkpoint = Checkpoint::open(dir.path());
  EXPECT_EQ(checkpoint.names(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(checkpoint.file_of("c"), dir.path() / "shard-2.safetensors");
  EXPECT_EQ(checkpoint.files().size(), 2u);
  EXPECT_TRUE(torch::equal(checkpoint.tensor("b"), torch::zeros({3})));
}

TEST_F(CheckpointIndex, RejectsAMissingShard) {
  EXPECT_CONTAINS(open_error(R"({"a":"shard-1.safetensors","b":"shard-1.safetensors","c":"shard-9.safetensors"})"),
                  "model.safetensors.index.json: weight_map sends 1 tensor(s) (the first is 'c') to 'shard-9.safetensors', "
                  "which does not exist in " + dir.path().string());
}

TEST_F(CheckpointIndex, RejectsAShardOutsideTheDirectory) {
  EXPECT_CONTAINS(open_error(R"({"a":"../shard-1.safetensors"})"), "which is not a file in the model directory");
  EXPECT_CONTAINS(open_error(R"({"a":"/etc/passwd"})"), "which is not a file in the model directory");
}

TEST_F(CheckpointIndex, RejectsATensorMissingFromItsShard) {
  EXPECT_CONTAINS(open_error(R"({"a":"shard-1.safetensors","b":"shard-1.safetensors","c":"shard-1.safetensors"})"),
                  "weight_map sends tensor 'c' to 'shard-1.safetensors', but that file has no such tensor");
}

TEST_F(CheckpointIndex, RejectsATensorTheIndexDoesNotList) {
  EXPECT_CONTAINS(open_error(R"({"a":"shard-1.safetensors","c":"shard-2.safetensors"})"),
                  "shard-1.safetensors: tensor 'b' is not listed in " + (dir.path() / "model.safetensors.index.json").string());
}

TEST_F(CheckpointIndex, RejectsATensorInTwoShards) {
  save_file(dir.path() / "shard-2.safetensors", {{"c", torch::ones({1})}, {"a", torch::ones({2})}});
  EXPECT_CONTAINS(open_error(R"({"a":"shard-1.safetensors","b":"shard-1.safetensors","c":"shard-2.safetensors"})"),
                  "tensor 'a' is in two shards, " + (dir.path() / "shard-1.safetensors").string() + " and " +
                      (dir.path() / "shard-2.safetensors").string());
}

TEST_F(CheckpointIndex, RejectsAMalformedIndex) {
  EXPECT_CONTAINS(open_error("{"), "model.safetensors.index.json is not valid JSON");
  EXPECT_CONTAINS(open_error("[]"), "expected an object with \"weight_map\": {tensor name: shard file}");
  EXPECT_CONTAINS(open_error(R"({"a":1})"), "weight_map['a'] must be a file name, got 1");
  EXPECT_CONTAINS(open_error(R"({"a":"shard-1.safetensors","a":"shard-2.safetensors"})"), "key 'a' appears twice");
}

TEST_F(CheckpointIndex, ReportsABrokenShardByName) {
  dir.write("shard-2.safetensors", "garbage");
  EXPECT_CONTAINS(open_error(R"({"a":"shard-1.safetensors","b":"shard-1.safetensors","c":"shard-2.safetensors"})"),
                  "shard-2.safetensors: is 7 bytes long");
}

// The case checked against huggingface_hub 0.26.2's split_state_dict_into_shards_factory: a tensor
// over the limit gets a shard of its own, placed before the shard being filled.
TEST(CheckpointSharding, ShardsAsTransformersDoes) {
  TempDir dir;
  NamedTensors tensors = {{"t0", bytes(40)}, {"big", bytes(150)}, {"t1", bytes(40)}, {"t2", bytes(40)}, {"t3", bytes(0)}};
  auto written = save_sharded(dir.path(), tensors, 100);
  EXPECT_EQ(file_names(written), (std::vector<std::string>{"model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                                                           "model-00003-of-00003.safetensors", "model.safetensors.index.json"}));
  EXPECT_EQ(read_bytes(dir.path() / "model.safetensors.index.json"),
            "{\n  \"metadata\": {\n    \"total_size\": 270\n  },\n  \"weight_map\": {\n"
            "    \"big\": \"model-00001-of-00003.safetensors\",\n    \"t0\": \"model-00002-of-00003.safetensors\",\n"
            "    \"t1\": \"model-00002-of-00003.safetensors\",\n    \"t2\": \"model-00003-of-00003.safetensors\",\n"
            "    \"t3\": \"model-00003-of-00003.safetensors\"\n  }\n}\n");

  Checkpoint checkpoint = Checkpoint::open(dir.path());
  EXPECT_EQ(checkpoint.names(), (std::vector<std::string>{"big", "t0", "t1", "t2", "t3"}));
  for (const auto& [name, tensor] : tensors) EXPECT_TRUE(torch::equal(checkpoint.tensor(name), tensor)) << name;
  EXPECT_EQ(checkpoint.file_of("t1").filename(), "model-00002-of-00003.safetensors");
  EXPECT_EQ(SafetensorsFile::open(written[0])->metadata(), (std::map<std::string, std::string>{{"format", "pt"}}));
}

TEST(CheckpointSharding, OneShardIsASingleFile) {
  TempDir dir;
  auto written = save_sharded(dir.path() / "out", {{"a", bytes(40)}, {"b", bytes(40)}}, 100);
  EXPECT_EQ(file_names(written), (std::vector<std::string>{"model.safetensors"}));
  EXPECT_EQ(directory_listing(dir.path() / "out"), (std::vector<std::string>{"model.safetensors"}));
  EXPECT_EQ(Checkpoint::open(dir.path() / "out").names(), (std::vector<std::string>{"a", "b"}));
}

TEST(CheckpointSharding, RemovesFilesOfAnEarlierSave) {
  TempDir dir;
  NamedTensors tensors = {{"a", bytes(60)}, {"b", bytes(60)}, {"c", bytes(60)}};
  save_sharded(dir.path(), tensors, 60);
  dir.write("model-other.txt", "kept");
  dir.write("adapter.safetensors", "kept");
  save_sharded(dir.path(), tensors, 120);
  EXPECT_EQ(directory_listing(dir.path()), (std::vector<std::string>{"adapter.safetensors", "model-00001-of-00002.safetensors",
                                                                     "model-00002-of-00002.safetensors", "model-other.txt",
                                                                     "model.safetensors.index.json"}));
  save_sharded(dir.path(), tensors, 1000);
  EXPECT_EQ(directory_listing(dir.path()),
            (std::vector<std::string>{"adapter.safetensors", "model-other.txt", "model.safetensors"}));
}

TEST(CheckpointSharding, UsesTheStemAndChecksNames) {
  TempDir dir;
  auto written = save_sharded(dir.path(), {{"a", bytes(8)}, {"b", bytes(8)}}, 8, "adapter_model");
  EXPECT_EQ(file_names(written), (std::vector<std::string>{"adapter_model-00001-of-00002.safetensors",
                                                           "adapter_model-00002-of-00002.safetensors",
                                                           "adapter_model.safetensors.index.json"}));
  EXPECT_CONTAINS(usage_error([&] { save_sharded(dir.path(), {{"a", bytes(1)}, {"a", bytes(1)}}, 8); }), "tensor 'a' is given twice");
  EXPECT_CONTAINS(usage_error([&] { save_sharded(dir.path(), {}, 8, "a/b"); }), "must be a plain, non-empty file name");
}

}  // namespace
