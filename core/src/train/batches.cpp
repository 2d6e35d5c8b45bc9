#include "train/batches.hpp"

#include <algorithm>
#include <numeric>

namespace ftcore::train {

namespace {

constexpr std::int64_t kIgnore = -100;
constexpr std::int64_t kMegabatch = 50;  // transformers' LengthGroupedSampler mega_batch_mult

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::vector<Row> pack_rows(const std::vector<Example>& examples, const std::vector<std::size_t>& order, std::int64_t max_length) {
  std::vector<Row> rows;
  std::size_t used = 0;
  for (auto index : order) {
    const std::size_t length = examples[index].ids.size();
    if (rows.empty() || used + length > static_cast<std::size_t>(max_length)) {
      rows.push_back({});
      used = 0;
    }
    rows.back().push_back(index);
    used += length;
  }
  return rows;
}

std::vector<Row> length_grouped_rows(const std::vector<Example>& examples, std::vector<std::size_t> order,
                                     std::int64_t batch_size, bool group) {
  if (group) {
    const std::size_t mega = static_cast<std::size_t>(kMegabatch * batch_size);
    for (std::size_t start = 0; start < order.size(); start += mega) {
      auto first = order.begin() + static_cast<std::ptrdiff_t>(start);
      auto last = order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), start + mega));
      std::stable_sort(first, last, [&](std::size_t a, std::size_t b) { return examples[a].ids.size() > examples[b].ids.size(); });
    }
  }
  std::vector<Row> rows;
  for (auto index : order) rows.push_back({index});
  return rows;
}

}  // namespace

std::vector<std::size_t> shuffled(std::size_t count, std::uint64_t seed) {
  std::vector<std::size_t> order(count);
  std::iota(order.begin(), order.end(), 0);
  std::uint64_t state = seed;
  for (std::size_t i = count; i > 1; --i) std::swap(order[i - 1], order[splitmix64(state) % i]);
  return order;
}

std::vector<MicroBatch> plan_epoch(const std::vector<Example>& examples, const Batching& batching, std::int64_t epoch) {
  std::vector<std::size_t> order(examples.size());
  std::iota(order.begin(), order.end(), 0);
  if (batching.shuffle) order = shuffled(examples.size(), batching.seed * 1000003ULL + static_cast<std::uint64_t>(epoch));
  std::vector<Row> rows = batching.packing ? pack_rows(examples, order, batching.max_length)
                                           : length_grouped_rows(examples, order, batching.batch_size, batching.shuffle);
  std::vector<MicroBatch> batches;
  for (std::size_t i = 0; i < rows.size(); i += static_cast<std::size_t>(batching.batch_size)) {
    auto end = std::min(rows.size(), i + static_cast<std::size_t>(batching.batch_size));
    batches.emplace_back(rows.begin() + static_cast<std::ptrdiff_t>(i), rows.begin() + static_cast<std::ptrdiff_t>(end));
  }
  if (batching.shuffle && !batching.packing) {
    // Grouping by length sorts; the batches themselves still come in a seeded random order.
    std::vector<MicroBatch> ordered;
    for (auto index : shuffled(batches.size(), batching.seed * 7919ULL + static_cast<std::uint64_t>(epoch)))
      ordered.push_back(std::move(batches[index]));
    batches = std::move(ordered);
  }
  return batches;
}

std::int64_t count_targets(const std::vector<Example>& examples, const MicroBatch& batch) {
  std::int64_t n = 0;
  for (const auto& row : batch)
    for (auto index : row) n += static_cast<std::int64_t>(examples[index].trained_targets());
  return n;
}

Batch collate(const std::vector<Example>& examples, const MicroBatch& batch, std::int32_t pad_id) {
  const bool packed = std::any_of(batch.begin(), batch.end(), [](const Row& row) { return row.size() > 1; });
  std::size_t width = 0;
  for (const auto& row : batch) {
    std::size_t length = 0;
    for (auto index : row) length += examples[index].ids.size();
    width = std::max(width, length);
  }
  const auto rows = static_cast<std::int64_t>(batch.size()), cols = static_cast<std::int64_t>(width);
  auto ids = torch::full({rows, cols}, pad_id, torch::kInt64);
  auto labels = torch::full({rows, cols}, kIgnore, torch::kInt64);
  auto mask = torch::zeros({rows, cols}, torch::kInt64);
  auto positions = torch::zeros({rows, cols}, torch::kInt64);
  auto segments = torch::full({rows, cols}, -1, torch::kInt64);
  auto* id = ids.data_ptr<std::int64_t>();
  auto* label = labels.data_ptr<std::int64_t>();
  auto* m = mask.data_ptr<std::int64_t>();
  auto* pos = positions.data_ptr<std::int64_t>();
  auto* seg = segments.data_ptr<std::int64_t>();
  Batch out;
  for (std::int64_t r = 0; r < rows; ++r) {
    std::int64_t at = r * cols, segment = 0;
    for (auto index : batch[static_cast<std::size_t>(r)]) {
      const Example& e = examples[index];
      for (std::size_t t = 0; t < e.ids.size(); ++t, ++at) {
        id[at] = e.ids[t];
        // The first token of an example is never predicted (nothing of its own comes before it).
        label[at] = t > 0 && e.trained[t] ? e.ids[t] : kIgnore;
        m[at] = 1;
        pos[at] = static_cast<std::int64_t>(t);
        seg[at] = segment;
        out.targets += label[at] != kIgnore;
      }
      ++segment;
      out.tokens += static_cast<std::int64_t>(e.ids.size());
    }
  }
  out.input_ids = ids;
  out.labels = labels;
  if (packed) {
    out.position_ids = positions;
    out.segment_ids = segments;
  } else {
    out.attention_mask = mask;
  }
  return out;
}

}  // namespace ftcore::train
