#include "data/dataset.hpp"

#include <algorithm>
#include <tuple>

#include "data/checks.hpp"
#include "errors.hpp"
#include "util/text.hpp"

namespace ftcore::data {

std::string InvalidRecord::str() const {
  std::string out = where.str() + ": ";
  if (!format.empty()) out += "[" + format + "] ";
  if (!field.empty()) out += field + ": ";
  return out + message;
}

std::string detect_format(const std::vector<RawRecord>& records, const Registry& registry) {
  constexpr std::size_t kScored = 50;
  std::string best;
  double best_score = 0;
  for (const DatasetFormat* format : registry.formats()) {
    double total = 0;
    std::size_t n = std::min(records.size(), kScored);
    for (std::size_t i = 0; i < n; ++i) total += format->score(records[i].value);
    double average = n ? total / static_cast<double>(n) : 0;
    if (average > best_score) {
      best_score = average;
      best = format->name();
    }
  }
  return best;
}

namespace {

const DatasetFormat& require_format(const std::string& name, const Registry& registry) {
  if (const DatasetFormat* format = registry.format(name)) return *format;
  auto installed = registry.names(ComponentKind::format);
  throw UsageError("--format '" + name + "': no such dataset format" + text::did_you_mean(name, installed) +
                   "; installed: " + (installed.empty() ? "none" : text::join(installed, ", ")));
}

class Loader {
 public:
  Loader(const Registry& registry, const LoadOptions& options) : registry_(registry), options_(options) {}

  void load_file(const std::filesystem::path& path) {
    std::size_t first_error = out_.invalid.size();
    FileRecords file = read_records(path);
    FileSummary summary{path, file.kind};
    summary.records = file.records.size() + file.errors.size();
    for (const auto& e : file.errors) out_.invalid.push_back({e.where, "", "", e.message});
    summary.invalid = file.errors.size();

    summary.format = options_.format ? *options_.format : detect_format(file.records, registry_);
    summary.detected = !options_.format;
    if (summary.format.empty()) {
      reject_file(file, summary);
    } else {
      const DatasetFormat& format = require_format(summary.format, registry_);
      for (const auto& record : file.records) convert(record, format, summary);
    }
    out_.files.push_back(std::move(summary));
    sort_this_file_errors(first_error);
  }

  Dataset take() { return std::move(out_); }

 private:
  /// Broken JSON is found while reading, the rest while converting: show them in file order.
  void sort_this_file_errors(std::size_t first) {
    std::stable_sort(out_.invalid.begin() + static_cast<std::ptrdiff_t>(first), out_.invalid.end(),
                     [](const InvalidRecord& a, const InvalidRecord& b) {
                       return std::tie(a.where.line, a.where.column) < std::tie(b.where.line, b.where.column);
                     });
  }

  void reject_file(const FileRecords& file, FileSummary& summary) {
    auto installed = registry_.names(ComponentKind::format);
    std::string why = "no installed format matches this file's records (installed: " +
                      (installed.empty() ? std::string("none") : text::join(installed, ", ")) +
                      "); check the field names against docs/formats.md or pass --format";
    for (const auto& record : file.records) out_.invalid.push_back({record.where, "", "", why});
    summary.invalid += file.records.size();
  }

  void convert(const RawRecord& record, const DatasetFormat& format, FileSummary& summary) {
    if (full()) {
      ++out_.unused;
      return;
    }
    auto reject = [&](const std::string& field, const std::string& message) {
      out_.invalid.push_back({record.where, format.name(), field, message});
      ++summary.invalid;
    };
    Sample sample;
    try {
      sample = format.convert(record.value);
    } catch (const FormatError& e) {
      return reject(e.field(), e.what());
    } catch (const std::exception& e) {
      return reject("", std::string("the format plugin failed on this record: ") + e.what());
    }
    auto problems = check_sample(sample);
    if (!problems.empty()) {
      for (const auto& p : problems) out_.invalid.push_back({record.where, format.name(), p.field, p.message});
      ++summary.invalid;
      return;
    }
    sample.source = record.where;
    sample.format = format.name();
    out_.samples.push_back(std::move(sample));
    ++summary.valid;
  }

  bool full() const {
    return options_.max_examples && static_cast<std::int64_t>(out_.samples.size()) >= *options_.max_examples;
  }

  const Registry& registry_;
  const LoadOptions& options_;
  Dataset out_;
};

}  // namespace

Dataset load_dataset(const std::vector<std::filesystem::path>& files, const Registry& registry,
                     const LoadOptions& options) {
  if (registry.formats().empty())
    throw UsageError("no dataset format plugins are installed; check `ftcore plugins` and FTCORE_PLUGIN_PATH");
  if (options.format) require_format(*options.format, registry);
  if (options.max_examples && *options.max_examples < 1)
    throw UsageError("--max-examples must be at least 1, got " + std::to_string(*options.max_examples));
  Loader loader(registry, options);
  for (const auto& file : files) loader.load_file(file);
  return loader.take();
}

}  // namespace ftcore::data
