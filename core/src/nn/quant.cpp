// bitsandbytes' quantisation formats (ftcore/nn/quant.hpp). The code books and the dynamic map are
// built as bitsandbytes' functional.get_4bit_type and create_dynamic_map build them; the rounding
// is that of its CUDA kernels (what QLoRA checkpoints and optimizer states are made with): values
// scaled by the fp32 reciprocal of their block's absmax, then the 4-bit decision trees, or the
// nearest 8-bit code with a value exactly on a midpoint going to the even index.
#include "ftcore/nn/quant.hpp"

#include <cmath>
#include <stdexcept>

namespace ftcore::nn::quant {
namespace {

torch::Tensor f32(std::vector<float> values) {
  return torch::tensor(values, torch::TensorOptions().dtype(torch::kFloat32));
}

torch::Tensor build_code_book(Format format) {
  if (format == Format::nf4)  // the quantiles of N(0, 1) normalised to [-1, 1] (QLoRA paper, appendix E)
    return f32({-1.0F, -0.6961928009986877F, -0.5250730514526367F, -0.39491748809814453F, -0.28444138169288635F,
                -0.18477343022823334F, -0.09105003625154495F, 0.0F, 0.07958029955625534F, 0.16093020141124725F,
                0.24611230194568634F, 0.33791524171829224F, 0.44070982933044434F, 0.5626170039176941F,
                0.7229568362236023F, 1.0F});
  // fp4: e2m1 with bitsandbytes' bit order, divided by the largest (12)
  return f32({0.0F, 0.0625F, 8.0F, 12.0F, 4.0F, 6.0F, 2.0F, 3.0F, -0.0F, -0.0625F, -8.0F, -12.0F, -4.0F, -6.0F, -2.0F,
              -3.0F}) / 12.0;
}

torch::Tensor build_dynamic_map(bool is_signed) {
  // create_dynamic_map(signed, max_exponent_bits=7, total_bits=8): for each exponent i, the
  // midpoints of linspace(0.1, 1, k) scaled by 10^(i - 6), with k = 2^i + 1 (signed, mirrored
  // negative) or 2^(i+1) + 1; then 0 and 1; sorted. All in fp32, as torch computes it.
  std::vector<torch::Tensor> parts;
  for (int i = 0; i < 7; ++i) {
    const std::int64_t items = is_signed ? (std::int64_t{1} << i) + 1 : (std::int64_t{1} << (i + 1)) + 1;
    const auto boundaries = torch::linspace(0.1, 1, items, torch::kFloat32);
    const auto means = (boundaries.slice(0, 0, items - 1) + boundaries.slice(0, 1, items)) / 2.0;
    const double scale = std::pow(10.0, -6 + i);
    parts.push_back(means * scale);
    if (is_signed) parts.push_back(-(means * scale));
  }
  parts.push_back(torch::zeros({1}));
  parts.push_back(torch::ones({1}));
  return std::get<0>(torch::cat(parts).sort());
}

/// The tables, built once (the forward and backward passes dequantise with them at every call);
/// never freed, so that no tensor outlives libtorch at exit. Callers must not modify them.
const torch::Tensor& cached_code_book(Format format) {
  static const auto* nf4 = new torch::Tensor(build_code_book(Format::nf4));
  static const auto* fp4 = new torch::Tensor(build_code_book(Format::fp4));
  if (format == Format::int8) throw std::invalid_argument("code_book: int8 has no code book");
  return format == Format::nf4 ? *nf4 : *fp4;
}

const torch::Tensor& cached_dynamic_map(bool is_signed) {
  static const auto* signed_map = new torch::Tensor(build_dynamic_map(true));
  static const auto* unsigned_map = new torch::Tensor(build_dynamic_map(false));
  return is_signed ? *signed_map : *unsigned_map;
}

/// Index of the nearest value of the ascending `sorted` for each element of `x`; a value exactly on
/// a midpoint takes the even index of the two (the CUDA kernels' binary search).
torch::Tensor nearest(const torch::Tensor& x, const torch::Tensor& sorted) {
  const auto n = sorted.size(0);
  const auto midpoints = ((sorted.slice(0, 0, n - 1) + sorted.slice(0, 1, n)) * 0.5).contiguous();
  auto index = torch::bucketize(x.contiguous(), midpoints, /*out_int32=*/false, /*right=*/false);
  const auto on_midpoint = (index < n - 1) & (x == midpoints.index_select(0, index.clamp_max(n - 2).view({-1})).view(x.sizes()));
  return index + (on_midpoint & (index.remainder(2) == 1)).to(torch::kLong);
}

/// `x` flattened and zero-padded to whole blocks, as [blocks, blocksize] fp32.
torch::Tensor as_blocks(const torch::Tensor& x, std::int64_t blocksize) {
  auto flat = x.detach().reshape({-1}).to(torch::kFloat32);
  const auto n = flat.numel();
  const auto padded = (n + blocksize - 1) / blocksize * blocksize;
  if (padded != n) flat = torch::cat({flat, torch::zeros({padded - n}, flat.options())});
  return flat.view({-1, blocksize});
}

/// Each block times the fp32 reciprocal of its absmax, and the absmax [blocks]. An all-zero block
/// scales to NaN, as in bitsandbytes (whose kernels then give it code 0).
std::pair<torch::Tensor, torch::Tensor> scaled_blocks(const torch::Tensor& x, std::int64_t blocksize) {
  auto blocks = as_blocks(x, blocksize);
  auto absmax = blocks.abs().amax(1);
  return {blocks * (1.0 / absmax).unsqueeze(1), absmax};
}

/// Code 0 where the scaled value is NaN (an all-zero block).
torch::Tensor zero_nan(torch::Tensor codes, const torch::Tensor& scaled) {
  return codes.masked_fill_(torch::isnan(scaled), 0);
}

/// 4-bit codes of values already scaled into [-1, 1], by bitsandbytes' CUDA decision trees: NF4's
/// thresholds are the fp32 midpoints of its code book (a value on one takes the lower code); FP4 is
/// sign and magnitude with the kernel's own thresholds (not all exact midpoints), and the sign bit
/// is set for any negative value, even one that rounds to zero.
torch::Tensor codes_4bit(const torch::Tensor& scaled, Format format) {
  const auto on = torch::TensorOptions().device(scaled.device());
  if (format == Format::nf4) {
    const auto book = cached_code_book(format).to(scaled.device());
    const auto thresholds = ((book.slice(0, 0, 15) + book.slice(0, 1, 16)) * 0.5).contiguous();
    return zero_nan(torch::bucketize(scaled.contiguous(), thresholds), scaled);
  }
  const auto thresholds = torch::tensor({0.00260417F, 0.0859375F, 0.20833333F, 0.29166667F, 0.4166667F, 0.583333F, 0.8333333F},
                                        on.dtype(torch::kFloat32));
  // Magnitude codes in ascending order of their values: 0, 1/96, 1/6, 1/4, 1/3, 1/2, 2/3, 1.
  const auto order = torch::tensor({0, 1, 6, 7, 4, 5, 2, 3}, on.dtype(torch::kLong));
  const auto rank = torch::bucketize(scaled.abs().contiguous(), thresholds);
  const auto code = order.index_select(0, rank.view({-1})).view(scaled.sizes());
  return zero_nan(code + (scaled < 0).to(torch::kLong) * 8, scaled);
}

void check_blocksize(std::int64_t blocksize) {
  if (blocksize < 2 || blocksize % 2 != 0)
    throw std::invalid_argument("quantize: blocksize " + std::to_string(blocksize) + " must be a positive even number");
}

}  // namespace

std::string format_name(Format format) {
  switch (format) {
    case Format::nf4: return "nf4";
    case Format::fp4: return "fp4";
    case Format::int8: return "int8";
  }
  return "?";
}

torch::Tensor code_book(Format format) { return cached_code_book(format).clone(); }

torch::Tensor dynamic_map(bool is_signed) { return cached_dynamic_map(is_signed).clone(); }

Blockwise quantize_blockwise(const torch::Tensor& x, const torch::Tensor& map, std::int64_t blocksize) {
  check_blocksize(blocksize);
  const auto n = x.numel();
  auto [scaled, absmax] = scaled_blocks(x, blocksize);
  auto codes = zero_nan(nearest(scaled, map.to(scaled.device())), scaled).view({-1}).slice(0, 0, n).to(torch::kUInt8);
  return {codes, absmax};
}

torch::Tensor dequantize_blockwise(const Blockwise& q, const torch::Tensor& map, std::int64_t blocksize) {
  const auto n = q.codes.numel();
  const auto padded = q.absmax.numel() * blocksize;
  auto values = map.to(q.codes.device()).index_select(0, q.codes.to(torch::kLong));
  if (padded != n) values = torch::cat({values, torch::zeros({padded - n}, values.options())});
  return (values.view({-1, blocksize}) * q.absmax.unsqueeze(1)).view({-1}).slice(0, 0, n);
}

std::int64_t QuantizedWeight::storage_bytes() const {
  auto bytes = [](const torch::Tensor& t) { return t.defined() ? t.numel() * static_cast<std::int64_t>(t.element_size()) : 0; };
  return bytes(codes) + bytes(absmax) + bytes(absmax2) + (double_quant ? 4 : 0);
}

QuantizedWeight quantize(const torch::Tensor& weight, Format format, bool double_quant, std::int64_t blocksize) {
  if (weight.dim() != 2 || weight.numel() == 0)
    throw std::invalid_argument("quantize: expected a non-empty [out, in] weight, got shape " + c10::str(weight.sizes()));
  torch::NoGradGuard no_grad;
  const auto w = weight.detach().to(torch::kFloat32);
  if (!torch::isfinite(w).all().item<bool>()) throw std::invalid_argument("quantize: the weight has non-finite values");
  QuantizedWeight q;
  q.format = format;
  q.rows = w.size(0);
  q.cols = w.size(1);
  if (format == Format::int8) {
    // bitsandbytes' Int8Params: the weight rounded to fp16 first, SCB = its row absmax,
    // codes = round-half-even(w * (127 / SCB)); an all-zero row gets codes 0.
    const auto w16 = w.to(torch::kFloat16).to(torch::kFloat32);
    q.absmax = w16.abs().amax(1);
    const auto scale = torch::where(q.absmax > 0, 127.0 / q.absmax, torch::zeros_like(q.absmax));
    q.codes = torch::round(w16 * scale.unsqueeze(1)).clamp(-127, 127).to(torch::kInt8);
    return q;
  }
  check_blocksize(blocksize);
  q.blocksize = blocksize;
  q.double_quant = double_quant;
  const auto n = w.numel();
  auto [scaled, absmax] = scaled_blocks(w, blocksize);
  // An odd count: the last low nibble is the code of the zero padding.
  auto codes = codes_4bit(scaled, format).view({-1}).slice(0, 0, n + n % 2);
  auto pairs = codes.view({-1, 2});
  q.codes = (pairs.select(1, 0) * 16 + pairs.select(1, 1)).to(torch::kUInt8);
  if (!double_quant) {
    q.absmax = absmax;
    return q;
  }
  q.offset = absmax.mean().item<double>();
  auto nested = quantize_blockwise(absmax - static_cast<float>(q.offset), cached_dynamic_map(true), 256);
  q.absmax = nested.codes;
  q.absmax2 = nested.absmax;
  return q;
}

torch::Tensor dequantize(const QuantizedWeight& q, torch::ScalarType dtype) {
  torch::NoGradGuard no_grad;
  if (q.format == Format::int8)  // (CB * SCB) * f32(1/127), bitsandbytes' int8_vectorwise_dequant
    return ((q.codes.to(torch::kFloat32) * q.absmax.unsqueeze(1)) * (1.0F / 127.0F)).to(dtype);
  const auto n = q.rows * q.cols;
  const auto bytes = q.codes.to(torch::kLong);
  const auto codes = torch::stack({bytes.div(16, "floor"), bytes.remainder(16)}, 1).view({-1});
  auto absmax = q.double_quant ? dequantize_blockwise({q.absmax, q.absmax2}, cached_dynamic_map(true), 256) +
                                     static_cast<float>(q.offset)
                               : q.absmax;
  auto values = cached_code_book(q.format).to(q.codes.device()).index_select(0, codes);
  const auto padded = absmax.numel() * q.blocksize;
  if (values.numel() < padded) values = torch::cat({values, torch::zeros({padded - values.numel()}, values.options())});
  values = values.slice(0, 0, padded).view({-1, q.blocksize}) * absmax.unsqueeze(1);
  return values.view({-1}).slice(0, 0, n).view({q.rows, q.cols}).to(dtype);
}

// ---- QuantizedLinear -------------------------------------------------------------------------

namespace {

/// x W^T with W dequantised in forward and again in backward; W has no gradient.
struct QuantizedMatmul : torch::autograd::Function<QuantizedMatmul> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const QuantizedWeight& w) {
    ctx->saved_data["codes"] = w.codes;
    ctx->saved_data["absmax"] = w.absmax;
    if (w.double_quant) ctx->saved_data["absmax2"] = w.absmax2;
    ctx->saved_data["meta"] = std::vector<std::int64_t>{static_cast<std::int64_t>(w.format), w.rows, w.cols, w.blocksize,
                                                        w.double_quant ? 1 : 0};
    ctx->saved_data["offset"] = w.offset;
    return torch::matmul(x, dequantize(w, x.scalar_type()).t());
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto meta = ctx->saved_data["meta"].toIntVector();
    QuantizedWeight w;
    w.format = static_cast<Format>(meta[0]);
    w.rows = meta[1];
    w.cols = meta[2];
    w.blocksize = meta[3];
    w.double_quant = meta[4] != 0;
    w.codes = ctx->saved_data["codes"].toTensor();
    w.absmax = ctx->saved_data["absmax"].toTensor();
    if (w.double_quant) w.absmax2 = ctx->saved_data["absmax2"].toTensor();
    w.offset = ctx->saved_data["offset"].toDouble();
    const auto& grad = grads[0];
    return {torch::matmul(grad, dequantize(w, grad.scalar_type())), torch::Tensor()};
  }
};

}  // namespace

QuantizedLinear::QuantizedLinear(QuantizedWeight weight, torch::Tensor bias_, torch::ScalarType compute_dtype,
                                 bool fan_in_fan_out)
    : weight_(std::move(weight)), compute_dtype_(compute_dtype), fan_in_fan_out_(fan_in_fan_out) {
  // Buffers, so that to(device) moves them (in place: weight_ shares them).
  register_buffer("weight_codes", weight_.codes);
  register_buffer("weight_absmax", weight_.absmax);
  if (weight_.absmax2.defined()) register_buffer("weight_absmax2", weight_.absmax2);
  if (bias_.defined()) bias = register_parameter("bias", bias_, /*requires_grad=*/false);
}

std::shared_ptr<QuantizedLinear> QuantizedLinear::from(const Linear& dense, Format format, bool double_quant,
                                                       torch::ScalarType compute_dtype) {
  torch::NoGradGuard no_grad;
  auto bias = dense.bias.defined() ? dense.bias.detach().clone() : torch::Tensor();
  return std::make_shared<QuantizedLinear>(quantize(dense.weight_out_in(), format, double_quant), bias, compute_dtype,
                                           dense.fan_in_fan_out());
}

torch::Tensor QuantizedLinear::forward(const torch::Tensor& x) {
  const auto input_dtype = x.scalar_type();
  auto y = QuantizedMatmul::apply(x.to(compute_dtype_), weight_);
  if (bias.defined()) y = y + bias.to(compute_dtype_);
  return y.to(input_dtype);
}

}  // namespace ftcore::nn::quant
