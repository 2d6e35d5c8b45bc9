#pragma once
// safetensors: reading files zero-copy from a memory mapping, writing them byte for byte as the
// reference implementation (huggingface/safetensors 0.4.5) does, and model directories holding one
// file or an index plus shards. The format and every check are in docs/safetensors.md.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

namespace ftcore::weights {

// Declared in the order of the reference's Dtype enum: the writer orders tensors by it.
enum class DType { BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64 };

const char* dtype_name(DType dtype);  // "BF16", ...
std::size_t dtype_size(DType dtype);  // bytes per element
std::optional<DType> dtype_from_name(const std::string& name);
// nullopt where this libtorch has no such dtype (U16/U32/U64 before 2.3, F8 before 2.1).
std::optional<torch::ScalarType> to_torch(DType dtype);
// nullopt for torch dtypes safetensors cannot store (complex, quantized).
std::optional<DType> from_torch(torch::ScalarType type);

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0, end = 0;  // byte offsets into the data buffer, end exclusive
};

/// One safetensors file, checked in full when opened and memory-mapped copy-on-write: tensors are
/// views of the mapping, and writing into them never reaches the file.
class SafetensorsFile {
 public:
  static std::shared_ptr<SafetensorsFile> open(const std::filesystem::path& file);

  const std::filesystem::path& path() const { return path_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }  // sorted by name
  const TensorInfo* find(const std::string& name) const;               // nullptr when absent
  const std::map<std::string, std::string>& metadata() const { return metadata_; }  // __metadata__

  /// A view of the mapping that keeps it alive (a copy only when the data is not aligned for its
  /// dtype). UsageError for an unknown name or a dtype this libtorch lacks.
  torch::Tensor tensor(const std::string& name) const;

 private:
  SafetensorsFile() = default;
  const TensorInfo& require(const std::string& name) const;

  std::filesystem::path path_;
  std::shared_ptr<char> mapping_;  // the whole file; unmapped when the last tensor view is gone
  std::uint64_t data_start_ = 0;   // 8 + header length
  std::vector<TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
};

/// A model directory's weights: model.safetensors, or model.safetensors.index.json and its shards.
/// A path to a single .safetensors file is accepted too (adapters).
class Checkpoint {
 public:
  static Checkpoint open(const std::filesystem::path& model_dir);

  std::vector<std::string> names() const;  // sorted
  bool contains(const std::string& name) const { return owner_.count(name) > 0; }
  const TensorInfo& info(const std::string& name) const;
  torch::Tensor tensor(const std::string& name) const;
  std::filesystem::path file_of(const std::string& name) const;
  const std::vector<std::shared_ptr<SafetensorsFile>>& files() const { return files_; }

 private:
  void add_file(std::shared_ptr<SafetensorsFile> file);
  void add_index(const std::filesystem::path& index);
  const SafetensorsFile& owner(const std::string& name) const;

  std::filesystem::path source_;
  std::vector<std::shared_ptr<SafetensorsFile>> files_;
  std::map<std::string, std::size_t> owner_;  // tensor name -> index into files_
};

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

/// Writes `file` as the reference writer does: compact JSON header, "__metadata__" first (when not
/// empty), tensors by dtype (reference order, descending) then name, header padded with spaces to a
/// multiple of 8, data little-endian and row-major. Tensors may live on any device and have any
/// strides. The file appears atomically (temporary file + rename); nothing is left on error.
void save_file(const std::filesystem::path& file, const NamedTensors& tensors,
               const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

/// Writes `dir` as transformers' save_pretrained does: shards of at most max_shard_bytes of tensor
/// data filled in the given order (a larger tensor gets a shard of its own), named
/// STEM-00001-of-00003.safetensors, plus STEM.safetensors.index.json; a single shard is just
/// STEM.safetensors. Files of an earlier save under the same stem that this one does not replace are
/// removed. Returns the files written.
std::vector<std::filesystem::path> save_sharded(const std::filesystem::path& dir, const NamedTensors& tensors,
                                                std::uint64_t max_shard_bytes, const std::string& stem = "model");

}  // namespace ftcore::weights
