// Automatic mixed precision (torch.autocast's semantics): per-thread state saying whether ops
// entered on a device cast their floating inputs by the op's policy, and the cast cache.
// Matrix products and convolutions run in the autocast dtype (bfloat16 or float16), losses
// and a few precision-sensitive ops in float32, joins in their widest input type; all other
// ops run in their inputs' dtype. docs/mixed_precision.md lists the ops.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "device.hpp"
#include "dtype.hpp"
#include "tensor.hpp"

namespace steepest::autocast {

// Every setting is thread-local: a new thread starts with autocast off on every device,
// bfloat16 as the CPU dtype and float16 as the CUDA one, and the cache on.
bool is_enabled(DeviceType device);
void set_enabled(DeviceType device, bool on);
DType get_dtype(DeviceType device);
void set_dtype(DeviceType device, DType dtype);  // ValueError unless bfloat16 or float16
bool is_cache_enabled();
void set_cache_enabled(bool on);

// Nesting depth of autocast regions on this thread. A region's exit decrements it, and the
// outermost exit (back to 0) should clear the cache.
int64_t increment_nesting();
int64_t decrement_nesting();

// The cast cache holds, for each float32 leaf tensor that requires grad (a weight), its cast
// to the autocast dtype, so a weight used several times in one forward is cast once. An
// entry is valid while the weight's version counter is unchanged (an in-place update such as
// an optimizer step recasts it).
void clear_cache();
size_t cache_size();

// How an op's floating inputs (float64 excepted, as torch) are cast while autocast is on.
enum class Policy {
  LowerPrecision,  // to the autocast dtype: matrix products, convolutions, attention
  Float32,         // to float32: losses and other precision-sensitive ops
  Promote,         // to the widest of them, float32 winning over the autocast dtype: cat, stack
};

// The tensors cast by `policy` when autocast is on for their device on this thread, else
// unchanged; undefined tensors stay undefined. For ops composed outside the core (the
// library's ops apply their policy themselves).
std::vector<Tensor> apply_policy(Policy policy, const std::vector<Tensor>& tensors);

}  // namespace steepest::autocast
