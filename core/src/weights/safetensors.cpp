#include "weights/safetensors.hpp"
#include "ftcore/files.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "errors.hpp"
#include "util/text.hpp"
#include "weights/header.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors data is little-endian; so must the host be");

namespace ftcore::weights {
namespace {

struct DTypeFacts {
  DType dtype;
  const char* name;
  std::size_t size;
};

constexpr DTypeFacts kDTypes[] = {
    {DType::BOOL, "BOOL", 1}, {DType::U8, "U8", 1},     {DType::I8, "I8", 1},         {DType::F8_E5M2, "F8_E5M2", 1},
    {DType::F8_E4M3, "F8_E4M3", 1}, {DType::I16, "I16", 2}, {DType::U16, "U16", 2}, {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2}, {DType::I32, "I32", 4},   {DType::U32, "U32", 4},       {DType::F32, "F32", 4},
    {DType::F64, "F64", 8},   {DType::I64, "I64", 8},   {DType::U64, "U64", 8},
};

const DTypeFacts& facts(DType dtype) { return kDTypes[static_cast<int>(dtype)]; }

// DType <-> torch, for the dtypes this libtorch has.
const std::pair<DType, torch::ScalarType> kTorchTypes[] = {
    {DType::BOOL, torch::kBool},     {DType::U8, torch::kUInt8},   {DType::I8, torch::kInt8},
    {DType::I16, torch::kInt16},     {DType::F16, torch::kFloat16}, {DType::BF16, torch::kBFloat16},
    {DType::I32, torch::kInt32},     {DType::F32, torch::kFloat32}, {DType::F64, torch::kFloat64},
    {DType::I64, torch::kInt64},
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
    {DType::F8_E5M2, torch::kFloat8_e5m2}, {DType::F8_E4M3, torch::kFloat8_e4m3fn},
#endif
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
    {DType::U16, torch::kUInt16},    {DType::U32, torch::kUInt32}, {DType::U64, torch::kUInt64},
#endif
};

std::string system_error(const std::string& what) { return what + ": " + std::strerror(errno); }

// Maps the whole file copy-on-write; a file too short to map gets no mapping (the header check
// reports it).
std::shared_ptr<char> map_file(const std::filesystem::path& file, std::size_t& size) {
  if (!std::filesystem::exists(file)) {
    errno = ENOENT;
    throw UsageError(system_error("cannot open " + file.string()));
  }
  int fd = files::open_regular(file, "safetensors file");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw UsageError(system_error("cannot read " + file.string()));
  }
  size = static_cast<std::size_t>(st.st_size);
  if (size < 8) {
    ::close(fd);
    return nullptr;
  }
  // MAP_NORESERVE: the kernel need not set aside memory for copies of pages nobody writes, so a
  // model larger than RAM + swap still maps.
  void* data = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, fd, 0);
  ::close(fd);
  if (data == MAP_FAILED) throw RunError(system_error("cannot memory-map " + file.string()));
  return std::shared_ptr<char>(static_cast<char*>(data), [size](char* p) { ::munmap(p, size); });
}

std::string torch_version() { return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR); }

}  // namespace

const char* dtype_name(DType dtype) { return facts(dtype).name; }
std::size_t dtype_size(DType dtype) { return facts(dtype).size; }

std::optional<DType> dtype_from_name(const std::string& name) {
  for (const DTypeFacts& f : kDTypes)
    if (name == f.name) return f.dtype;
  return std::nullopt;
}

std::optional<torch::ScalarType> to_torch(DType dtype) {
  for (const auto& [ours, theirs] : kTorchTypes)
    if (ours == dtype) return theirs;
  return std::nullopt;
}

std::optional<DType> from_torch(torch::ScalarType type) {
  for (const auto& [ours, theirs] : kTorchTypes)
    if (theirs == type) return ours;
  return std::nullopt;
}

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& file) {
  std::shared_ptr<SafetensorsFile> result(new SafetensorsFile());
  std::size_t size = 0;
  result->path_ = file;
  result->mapping_ = map_file(file, size);
  static const char kTooShort[8] = {};  // stands in for a file too short to map; the check rejects it
  Header header = parse_header(std::string_view(result->mapping_ ? result->mapping_.get() : kTooShort, size), file.string());
  result->data_start_ = header.data_start;
  result->tensors_ = std::move(header.tensors);
  result->metadata_ = std::move(header.metadata);
  return result;
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
  auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                             [](const TensorInfo& t, const std::string& n) { return t.name < n; });
  return it != tensors_.end() && it->name == name ? &*it : nullptr;
}

const TensorInfo& SafetensorsFile::require(const std::string& name) const {
  if (const TensorInfo* info = find(name)) return *info;
  std::vector<std::string> names;
  for (const TensorInfo& t : tensors_) names.push_back(t.name);
  throw UsageError(path_.string() + ": no tensor named '" + name + "'" + text::did_you_mean(name, names));
}

torch::Tensor SafetensorsFile::tensor(const std::string& name) const {
  const TensorInfo& info = require(name);
  auto type = to_torch(info.dtype);
  if (!type)
    throw UsageError(path_.string() + ": tensor '" + name + "' has dtype " + dtype_name(info.dtype) + ", which libtorch " +
                     torch_version() + " does not have");
  auto options = torch::TensorOptions().dtype(*type);
  char* data = mapping_.get() + data_start_ + info.begin;
  if (reinterpret_cast<std::uintptr_t>(data) % dtype_size(info.dtype) != 0) {
    // A header length that is not a multiple of 8 can misalign the data; torch expects alignment.
    torch::Tensor copy = torch::empty(info.shape, options);
    std::memcpy(copy.data_ptr(), data, info.end - info.begin);
    return copy;
  }
  std::shared_ptr<char> keep_alive = mapping_;
  return torch::from_blob(data, info.shape, [keep_alive](void*) {}, options);
}

}  // namespace ftcore::weights
