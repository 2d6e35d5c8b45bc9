// SafetensorsFile and save_file: round trips, zero-copy views, and bytes equal to the reference writer's.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>

#include "weights_support.hpp"

using namespace ftcore;
using namespace ftcore::testing;
using namespace ftcore::weights;

#define EXPECT_CONTAINS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

namespace {

std::filesystem::path reference_file() { return std::filesystem::path(FTCORE_WEIGHTS_DATA) / "reference.safetensors"; }

// The address range /proc/self/maps gives for `file`, or {0, 0}.
std::pair<std::uintptr_t, std::uintptr_t> mapped_range(const std::filesystem::path& file) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  const std::string canonical = std::filesystem::canonical(file).string();
  while (std::getline(maps, line)) {
    if (line.size() < canonical.size() || line.compare(line.size() - canonical.size(), canonical.size(), canonical) != 0) continue;
    unsigned long start = 0, end = 0;
    std::sscanf(line.c_str(), "%lx-%lx", &start, &end);
    return {start, end};
  }
  return {0, 0};
}

torch::Tensor sample(torch::ScalarType type) {
  torch::Tensor values = torch::arange(-3, 3, torch::kFloat64).reshape({2, 3}) * 1.5;
  if (type == torch::kBool) return values > 0;
  if (!c10::isSignedType(type)) values = values + 5;
  return values.to(type);
}

TEST(SafetensorsFile, RoundTripsEveryDtypeLibtorchHas) {
  TempDir dir;
  NamedTensors tensors;
  for (int i = 0; i <= static_cast<int>(DType::U64); ++i) {
    if (auto type = to_torch(DType(i))) tensors.emplace_back(std::string("t_") + dtype_name(DType(i)), sample(*type));
  }
  ASSERT_GE(tensors.size(), 10u);
  tensors.emplace_back("scalar", torch::tensor(4.25));
  tensors.emplace_back("zero_rows", torch::zeros({0, 5}, torch::kBFloat16));
  tensors.emplace_back("zero_f16", torch::zeros({3, 0}, torch::kFloat16));
  save_file(dir.path() / "all.safetensors", tensors, {{"format", "pt"}, {"step", "12"}});

  auto file = SafetensorsFile::open(dir.path() / "all.safetensors");
  EXPECT_EQ(file->metadata(), (std::map<std::string, std::string>{{"format", "pt"}, {"step", "12"}}));
  ASSERT_EQ(file->tensors().size(), tensors.size());
  for (const auto& [name, expected] : tensors) {
    torch::Tensor actual = file->tensor(name);
    EXPECT_EQ(actual.scalar_type(), expected.scalar_type()) << name;
    EXPECT_EQ(actual.sizes(), expected.sizes()) << name;
    EXPECT_TRUE(torch::equal(actual, expected)) << name;
    EXPECT_EQ(from_torch(actual.scalar_type()), file->find(name)->dtype) << name;
  }
}

TEST(SafetensorsFile, ListsTensorsByNameAndFindsThem) {
  TempDir dir;
  save_file(dir.path() / "f.safetensors", {{"b", torch::ones({2})}, {"a", torch::ones({1}, torch::kInt64)}});
  auto file = SafetensorsFile::open(dir.path() / "f.safetensors");
  ASSERT_EQ(file->tensors().size(), 2u);
  EXPECT_EQ(file->tensors()[0].name, "a");
  EXPECT_EQ(file->tensors()[1].name, "b");
  EXPECT_EQ(file->find("b")->dtype, DType::F32);
  EXPECT_EQ(file->find("b")->shape, (std::vector<std::int64_t>{2}));
  EXPECT_EQ(file->find("c"), nullptr);
  EXPECT_EQ(file->path(), dir.path() / "f.safetensors");
  EXPECT_CONTAINS(usage_error([&] { file->tensor("bb"); }), "f.safetensors: no tensor named 'bb' (did you mean 'b'?)");
}

TEST(SafetensorsFile, TensorsAreViewsOfTheMapping) {
  TempDir dir;
  save_file(dir.path() / "f.safetensors", {{"a", torch::arange(16, torch::kFloat32)}, {"b", torch::arange(4, torch::kInt64)}});
  auto file = SafetensorsFile::open(dir.path() / "f.safetensors");
  auto [start, end] = mapped_range(dir.path() / "f.safetensors");
  ASSERT_NE(start, 0u);
  for (const char* name : {"a", "b"}) {
    auto address = reinterpret_cast<std::uintptr_t>(file->tensor(name).data_ptr());
    EXPECT_GE(address, start) << name;
    EXPECT_LT(address, end) << name;
  }
  EXPECT_EQ(file->tensor("a").data_ptr(), file->tensor("a").data_ptr());
}

TEST(SafetensorsFile, WritingIntoATensorLeavesTheFileAlone) {
  TempDir dir;
  auto path = dir.path() / "f.safetensors";
  save_file(path, {{"w", torch::arange(8, torch::kFloat32)}});
  std::string before = read_bytes(path);
  {
    auto file = SafetensorsFile::open(path);
    torch::Tensor w = file->tensor("w");
    w.fill_(42);
    EXPECT_EQ(file->tensor("w")[3].item<float>(), 42);  // the same copy-on-write page
  }
  EXPECT_EQ(read_bytes(path), before);
  EXPECT_TRUE(torch::equal(SafetensorsFile::open(path)->tensor("w"), torch::arange(8, torch::kFloat32)));
}

TEST(SafetensorsFile, TensorsOutliveTheFileObject) {
  TempDir dir;
  save_file(dir.path() / "f.safetensors", {{"w", torch::arange(1000, torch::kFloat32)}});
  torch::Tensor w = SafetensorsFile::open(dir.path() / "f.safetensors")->tensor("w");
  EXPECT_EQ(w[999].item<float>(), 999);
}

TEST(SafetensorsWriter, MatchesTheReferenceWriterByteForByte) {
  auto reference = SafetensorsFile::open(reference_file());
  NamedTensors in_name_order, reversed;
  for (const TensorInfo& t : reference->tensors()) in_name_order.emplace_back(t.name, reference->tensor(t.name));
  reversed.assign(in_name_order.rbegin(), in_name_order.rend());
  TempDir dir;
  save_file(dir.path() / "a.safetensors", in_name_order, reference->metadata());
  save_file(dir.path() / "b.safetensors", reversed);  // default metadata: {"format": "pt"}
  std::string expected = read_bytes(reference_file());
  EXPECT_EQ(read_bytes(dir.path() / "a.safetensors"), expected);
  EXPECT_EQ(read_bytes(dir.path() / "b.safetensors"), expected);
}

TEST(SafetensorsWriter, ReadsTheReferenceValues) {
  auto file = SafetensorsFile::open(reference_file());
  EXPECT_EQ(file->metadata(), (std::map<std::string, std::string>{{"format", "pt"}}));
  EXPECT_EQ(file->tensors().size(), 14u);
  auto t = [&](const std::string& name) { return file->tensor(name); };
  EXPECT_TRUE(torch::equal(t("a_f64"), torch::tensor({0.5, -1.25, 3.0}, torch::kFloat64)));
  EXPECT_TRUE(torch::equal(t("b_i64"), torch::arange(4, torch::kInt64).reshape({2, 2})));
  EXPECT_TRUE(torch::equal(t("model.layers.0.weight"), (torch::arange(6, torch::kFloat32) * 0.5 - 1).to(torch::kBFloat16).reshape({2, 3})));
  EXPECT_TRUE(torch::equal(t("c_f16"), torch::tensor({1.0, -2.0, 0.25, 65504.0}).to(torch::kFloat16)));
  EXPECT_TRUE(torch::equal(t("d_f32"), (torch::arange(8, torch::kFloat32) / 4).reshape({2, 2, 2})));
  EXPECT_TRUE(torch::equal(t("e_i32"), torch::tensor({-1, 0, 2147483647}, torch::kInt32)));
  EXPECT_TRUE(torch::equal(t("f_u8"), torch::tensor({0, 1, 255}).to(torch::kUInt8)));
  EXPECT_TRUE(torch::equal(t("g_i8"), torch::tensor({-128, 0, 127}).to(torch::kInt8)));
  EXPECT_TRUE(torch::equal(t("h_i16"), torch::tensor({-32768, 32767}).to(torch::kInt16)));
  EXPECT_TRUE(torch::equal(t("i_bool"), torch::tensor({true, false, true})));
  EXPECT_EQ(t("scalar").dim(), 0);
  EXPECT_EQ(t("scalar").item<float>(), 3.5f);
  EXPECT_EQ(t("empty").sizes(), (std::vector<std::int64_t>{0, 3}));
  EXPECT_EQ(t("empty_bf16").sizes(), (std::vector<std::int64_t>{4, 0}));
  EXPECT_EQ(t("odd \"name\"\\\t\x01 \xc3\xbc\xf0\x9f\x98\x80").item<float>(), 7.0f);
}

TEST(SafetensorsWriter, PadsTheHeaderWithSpacesToAMultipleOf8) {
  TempDir dir;
  for (std::string name = "w"; name.size() < 10; name += "x") {
    save_file(dir.path() / "f.safetensors", {{name, torch::ones({1})}}, {});
    std::string bytes = read_bytes(dir.path() / "f.safetensors");
    std::uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    EXPECT_EQ(n % 8, 0u) << name;
    std::string header = bytes.substr(8, n);
    std::string json = "{\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
    EXPECT_EQ(header, json + std::string(n - json.size(), ' ')) << "no __metadata__ when it is empty";
  }
}

TEST(SafetensorsWriter, WritesAnyLayoutRowMajor) {
  TempDir dir;
  torch::Tensor base = torch::arange(6, torch::kFloat32).reshape({2, 3});
  save_file(dir.path() / "f.safetensors", {{"t", base.t()}, {"s", base.index({torch::indexing::Slice(), 1})}});
  auto file = SafetensorsFile::open(dir.path() / "f.safetensors");
  EXPECT_TRUE(torch::equal(file->tensor("t"), base.t().contiguous()));
  EXPECT_TRUE(torch::equal(file->tensor("s"), torch::tensor({1.0f, 4.0f})));
}

TEST(SafetensorsWriter, RejectsWhatSafetensorsCannotHold) {
  TempDir dir;
  auto path = dir.path() / "f.safetensors";
  auto error = [&](const NamedTensors& tensors) { return usage_error([&] { save_file(path, tensors); }); };
  EXPECT_CONTAINS(error({{"a", torch::ones({1})}, {"a", torch::ones({2})}}), "f.safetensors: tensor 'a' is given twice");
  EXPECT_CONTAINS(error({{"__metadata__", torch::ones({1})}}), "'__metadata__' is reserved");
  EXPECT_CONTAINS(error({{"c", torch::ones({1}, torch::kComplexFloat)}}), "tensor 'c' has dtype ComplexFloat, which safetensors cannot store");
  EXPECT_CONTAINS(error({{"bad\xff", torch::ones({1})}}), "is not valid UTF-8");
  EXPECT_CONTAINS(usage_error([&] { save_file(path, {}, {{"k", "\xff"}}); }), "metadata value of 'k' is not valid UTF-8");
  EXPECT_CONTAINS(usage_error([&] { save_file(dir.path() / "no" / "f.safetensors", {}); }), "no directory");
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(SafetensorsWriter, LeavesNothingBehindWhenWritingFails) {
  TempDir dir;
  auto path = dir.path() / "f.safetensors";
  save_file(path, {{"old", torch::ones({1})}});
  std::string before = read_bytes(path);
  // A meta tensor has no data: copying it to the host fails after the header is written.
  NamedTensors tensors = {{"a", torch::ones({4})}, {"meta", torch::empty({4}, torch::TensorOptions().device(torch::kMeta))}};
  EXPECT_ANY_THROW(save_file(path, tensors));
  EXPECT_EQ(read_bytes(path), before);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()), 1);
}

TEST(SafetensorsWriter, ReplacesAnExistingFile) {
  TempDir dir;
  auto path = dir.path() / "f.safetensors";
  save_file(path, {{"old", torch::ones({100})}});
  save_file(path, {{"new", torch::zeros({2})}});
  auto file = SafetensorsFile::open(path);
  ASSERT_EQ(file->tensors().size(), 1u);
  EXPECT_EQ(file->tensors()[0].name, "new");
}

}  // namespace
