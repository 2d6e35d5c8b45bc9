// save_file and save_sharded: the reference writer's layout, written atomically.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <set>

#include "errors.hpp"
#include "tokenizer/unicode.hpp"
#include "weights/header.hpp"
#include "weights/safetensors.hpp"

namespace ftcore::weights {
namespace fs = std::filesystem;
namespace {

/// A file written under a temporary name in the target's directory and renamed into place by
/// commit(); removed if destroyed before that.
class AtomicFile {
 public:
  explicit AtomicFile(fs::path target) : target_(std::move(target)) {
    fs::path dir = target_.parent_path().empty() ? fs::path(".") : target_.parent_path();
    if (!fs::is_directory(dir)) throw UsageError("cannot write " + target_.string() + ": no directory " + dir.string());
    std::random_device random;
    for (int attempt = 0; fd_ < 0; ++attempt) {
      temp_ = dir / ("." + target_.filename().string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(random()));
      fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd_ < 0 && (errno != EEXIST || attempt > 100)) fail("cannot create");
    }
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(temp_.c_str());
  }

  void write(const void* data, std::size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
      ssize_t n = ::write(fd_, p, size);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail("cannot write");
      p += n;
      size -= static_cast<std::size_t>(n);
    }
  }
  void write(const std::string& bytes) { write(bytes.data(), bytes.size()); }

  void commit() {
    if (::fsync(fd_) != 0) fail("cannot flush");
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) fail("cannot close");
    if (::rename(temp_.c_str(), target_.c_str()) != 0) fail("cannot rename the temporary file to");
    committed_ = true;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw RunError(what + " " + target_.string() + " (temporary " + temp_.filename().string() + "): " + std::strerror(errno));
  }

  fs::path target_, temp_;
  int fd_ = -1;
  bool committed_ = false;
};

struct Entry {
  const std::string* name;
  const torch::Tensor* tensor;
  DType dtype;
};

std::uint64_t byte_size(const torch::Tensor& t) { return static_cast<std::uint64_t>(t.numel()) * t.element_size(); }

void check_utf8(const std::string& s, const std::string& what, const std::string& where) {
  if (tok::uni::find_invalid_utf8(s) != std::string::npos)
    throw UsageError(where + ": " + what + " is not valid UTF-8 (safetensors headers are JSON)");
}

// Checks names and dtypes; the entries come back in the caller's order.
std::vector<Entry> check_tensors(const NamedTensors& tensors, const std::string& where) {
  std::vector<Entry> entries;
  std::set<std::string> seen;
  for (const auto& [name, tensor] : tensors) {
    check_utf8(name, "tensor name '" + name + "'", where);
    if (name == "__metadata__") throw UsageError(where + ": '__metadata__' is reserved and cannot name a tensor");
    if (!seen.insert(name).second) throw UsageError(where + ": tensor '" + name + "' is given twice");
    if (!tensor.defined()) throw UsageError(where + ": tensor '" + name + "' is undefined");
    if (tensor.layout() != torch::kStrided) throw UsageError(where + ": tensor '" + name + "' is sparse; safetensors stores dense tensors");
    auto dtype = from_torch(tensor.scalar_type());
    if (!dtype)
      throw UsageError(where + ": tensor '" + name + "' has dtype " + std::string(c10::toString(tensor.scalar_type())) +
                       ", which safetensors cannot store");
    entries.push_back({&name, &tensor, *dtype});
  }
  return entries;
}

// The reference writer's order: dtype descending in the Dtype enum's order, then name.
void sort_as_reference(std::vector<Entry>& entries) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    if (a.dtype != b.dtype) return a.dtype > b.dtype;
    return *a.name < *b.name;
  });
}

std::vector<TensorInfo> assign_offsets(const std::vector<Entry>& entries) {
  std::vector<TensorInfo> infos;
  std::uint64_t offset = 0;
  for (const Entry& e : entries) {
    TensorInfo info{*e.name, e.dtype, e.tensor->sizes().vec(), offset, offset + byte_size(*e.tensor)};
    offset = info.end;
    infos.push_back(std::move(info));
  }
  return infos;
}

// One tensor at a time, so a model on the GPU is never copied to the host whole.
void write_data(AtomicFile& out, const torch::Tensor& tensor) {
  torch::Tensor host = tensor.detach().to(torch::kCPU).contiguous();
  if (host.numel() > 0) out.write(host.data_ptr(), byte_size(host));
}

void write_file(const fs::path& file, std::vector<Entry> entries, const std::map<std::string, std::string>& metadata) {
  for (const auto& [key, value] : metadata) {
    check_utf8(key, "metadata key '" + key + "'", file.string());
    check_utf8(value, "metadata value of '" + key + "'", file.string());
  }
  sort_as_reference(entries);
  AtomicFile out(file);
  out.write(encode_header(assign_offsets(entries), metadata));
  for (const Entry& e : entries) write_data(out, *e.tensor);
  out.commit();
}

// transformers' split_torch_state_dict_into_shards: fill shards in the given order; a tensor
// larger than the limit becomes a shard of its own, placed before the shard being filled.
std::vector<std::vector<Entry>> plan_shards(const std::vector<Entry>& entries, std::uint64_t max_shard_bytes) {
  std::vector<std::vector<Entry>> shards;
  std::vector<Entry> current;
  std::uint64_t current_bytes = 0;
  for (const Entry& e : entries) {
    std::uint64_t bytes = byte_size(*e.tensor);
    if (bytes > max_shard_bytes) {
      shards.push_back({e});
      continue;
    }
    if (current_bytes + bytes > max_shard_bytes) {
      shards.push_back(std::move(current));
      current.clear();
      current_bytes = 0;
    }
    current.push_back(e);
    current_bytes += bytes;
  }
  if (!current.empty() || shards.empty()) shards.push_back(std::move(current));
  return shards;
}

std::string shard_name(const std::string& stem, std::size_t number, std::size_t count) {
  char suffix[64];
  std::snprintf(suffix, sizeof suffix, "-%05zu-of-%05zu.safetensors", number, count);
  return stem + suffix;
}

bool is_digits(const std::string& s, std::size_t pos, std::size_t count) {
  if (s.size() < pos + count) return false;
  return std::all_of(s.begin() + pos, s.begin() + pos + count, [](char c) { return c >= '0' && c <= '9'; });
}

// STEM.safetensors, STEM.safetensors.index.json or STEM-NNNNN-of-NNNNN.safetensors.
bool is_checkpoint_file(const std::string& name, const std::string& stem) {
  if (name == stem + ".safetensors" || name == stem + ".safetensors.index.json") return true;
  std::size_t n = stem.size();
  return name.size() == n + 27 && name.compare(0, n, stem) == 0 && name[n] == '-' && is_digits(name, n + 1, 5) &&
         name.compare(n + 6, 4, "-of-") == 0 && is_digits(name, n + 10, 5) && name.compare(n + 15, 12, ".safetensors") == 0;
}

// Left over from an earlier save with another shard count, they would make the directory ambiguous.
void remove_stale_files(const fs::path& dir, const std::string& stem, const std::vector<fs::path>& written) {
  for (const auto& item : fs::directory_iterator(dir)) {
    std::string name = item.path().filename().string();
    bool ours = std::any_of(written.begin(), written.end(), [&](const fs::path& p) { return p.filename() == name; });
    std::error_code error;
    if (!ours && item.is_regular_file() && is_checkpoint_file(name, stem) && !fs::remove(item.path(), error) && error)
      throw RunError("cannot remove " + item.path().string() + ", left from an earlier save: " + error.message());
  }
}

void write_index(const fs::path& file, const std::map<std::string, std::string>& weight_map, std::uint64_t total_size) {
  nlohmann::json index = {{"metadata", {{"total_size", total_size}}}, {"weight_map", weight_map}};
  AtomicFile out(file);
  out.write(index.dump(2, ' ', true) + "\n");  // json.dumps(index, indent=2, sort_keys=True) + "\n"
  out.commit();
}

}  // namespace

void save_file(const fs::path& file, const NamedTensors& tensors, const std::map<std::string, std::string>& metadata) {
  write_file(file, check_tensors(tensors, file.string()), metadata);
}

std::vector<fs::path> save_sharded(const fs::path& dir, const NamedTensors& tensors, std::uint64_t max_shard_bytes,
                                   const std::string& stem) {
  if (stem.empty() || stem.find('/') != std::string::npos)
    throw UsageError("save_sharded: the file stem '" + stem + "' must be a plain, non-empty file name");
  std::vector<Entry> entries = check_tensors(tensors, dir.string());
  std::vector<std::vector<Entry>> shards = plan_shards(entries, max_shard_bytes);
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) throw RunError("cannot create " + dir.string() + ": " + error.message());
  const std::map<std::string, std::string> metadata = {{"format", "pt"}};
  std::vector<fs::path> written;
  if (shards.size() == 1) {
    written.push_back(dir / (stem + ".safetensors"));
    write_file(written.back(), entries, metadata);
  } else {
    std::map<std::string, std::string> weight_map;
    std::uint64_t total_size = 0;
    for (std::size_t i = 0; i < shards.size(); ++i) {
      std::string name = shard_name(stem, i + 1, shards.size());
      for (const Entry& e : shards[i]) {
        weight_map[*e.name] = name;
        total_size += byte_size(*e.tensor);
      }
      written.push_back(dir / name);
      write_file(written.back(), shards[i], metadata);
    }
    written.push_back(dir / (stem + ".safetensors.index.json"));
    write_index(written.back(), weight_map, total_size);
  }
  remove_stale_files(dir, stem, written);
  return written;
}

}  // namespace ftcore::weights
