#pragma once
// Weight quantisation as bitsandbytes does it (the formats behind QLoRA, load_in_8bit and the 8-bit
// optimizers), so that ftcore's quantised training computes what the Python stack computes:
//   4-bit  NF4 or FP4 codes in blocks of 64, one absmax per block, two codes per byte (the first
//          element in the high nibble); with double quantisation the absmax values, less their
//          mean, are themselves 8-bit codes of the signed dynamic map in blocks of 256:
//          4 + 8/64 + 32/(64*256) = 4.127 bits per weight
//   int8   bitsandbytes' Int8Params: the weight rounded to fp16, one fp32 absmax per output row,
//          codes round(w * 127 / absmax)
//   8-bit blockwise  bitsandbytes' dynamic maps, the nearest code (on a midpoint: the even index),
//          as double quantisation and the 8-bit optimizer states store values
// All maths in fp32 on the tensor's device.
#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "ftcore/export.hpp"
#include "ftcore/nn/modules.hpp"

namespace ftcore::nn::quant {

enum class Format { nf4, fp4, int8 };
FTCORE_API std::string format_name(Format format);  ///< "nf4", "fp4", "int8"

/// bitsandbytes' 4-bit code book (get_4bit_type): 16 fp32 values, indexed by the code.
FTCORE_API torch::Tensor code_book(Format format);
/// bitsandbytes' create_dynamic_map(signed): 256 sorted fp32 values in [-1, 1] (signed) or [0, 1].
FTCORE_API torch::Tensor dynamic_map(bool is_signed);

/// 8-bit blockwise codes: `codes` uint8 [n], `absmax` fp32 [ceil(n / blocksize)].
struct Blockwise {
  torch::Tensor codes, absmax;
};
/// Each block of the flattened `x` scaled by its absmax and coded to the nearest value of `map`.
FTCORE_API Blockwise quantize_blockwise(const torch::Tensor& x, const torch::Tensor& map, std::int64_t blocksize);
/// map[codes] * absmax, fp32, flat [n].
FTCORE_API torch::Tensor dequantize_blockwise(const Blockwise& q, const torch::Tensor& map, std::int64_t blocksize);

/// A quantised [out, in] weight.
struct QuantizedWeight {
  Format format = Format::nf4;
  std::int64_t rows = 0, cols = 0;  ///< out, in
  std::int64_t blocksize = 64;      ///< 4-bit only
  bool double_quant = false;        ///< 4-bit only
  torch::Tensor codes;    ///< 4-bit: uint8 [ceil(n / 2)] packed; int8: int8 [rows, cols]
  torch::Tensor absmax;   ///< 4-bit: fp32 [blocks], or uint8 [blocks] with double_quant; int8: fp32 [rows] scales
  torch::Tensor absmax2;  ///< double_quant: fp32 [ceil(blocks / 256)]
  double offset = 0;      ///< double_quant: the mean subtracted from the absmax values

  /// Bytes of storage (codes and constants); bits per weight = 8 * bytes / (rows * cols).
  std::int64_t storage_bytes() const;
};

/// Quantises `weight` [out, in] (any floating dtype). std::invalid_argument for another rank, an
/// empty tensor, a non-finite value, or a blocksize that is not a positive even number.
FTCORE_API QuantizedWeight quantize(const torch::Tensor& weight, Format format, bool double_quant = true,
                                    std::int64_t blocksize = 64);
/// The weight back, [out, in] in `dtype`.
FTCORE_API torch::Tensor dequantize(const QuantizedWeight& q, torch::ScalarType dtype);

/// A frozen linear layer with a quantised weight (bitsandbytes' Linear4bit / Linear8bitLt):
/// y = x dequantize(W)^T + b, in `compute_dtype`. The dequantised weight is not kept: backward
/// dequantises again to give the input its gradient (the weight has none; the bias, when present,
/// is a parameter).
class FTCORE_API QuantizedLinear : public LinearLayer {
 public:
  QuantizedLinear(QuantizedWeight weight, torch::Tensor bias, torch::ScalarType compute_dtype, bool fan_in_fan_out);
  /// Quantises a dense layer (its weight as [out, in]; the bias is copied).
  static std::shared_ptr<QuantizedLinear> from(const Linear& dense, Format format, bool double_quant,
                                               torch::ScalarType compute_dtype);

  torch::Tensor forward(const torch::Tensor& x) override;
  std::int64_t in_features() const override { return weight_.cols; }
  std::int64_t out_features() const override { return weight_.rows; }
  const QuantizedWeight& weight() const { return weight_; }
  torch::ScalarType compute_dtype() const { return compute_dtype_; }
  /// Whether the original layer stored its weight [in, out] (GPT-2's Conv1D).
  bool fan_in_fan_out() const { return fan_in_fan_out_; }

  torch::Tensor bias;  ///< undefined when the layer has none

 private:
  QuantizedWeight weight_;
  torch::ScalarType compute_dtype_;
  bool fan_in_fan_out_;
};

}  // namespace ftcore::nn::quant
