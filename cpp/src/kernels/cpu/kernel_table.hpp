// The table of CPU kernels for one instruction set. Each ISA build of the files under isa/
// fills its entries; dispatch.cpp picks the table for the running CPU. Ops reach it only
// through their dispatch stubs, whose CPU kernels (kernels/cpu/*.cpp) call cpu_kernels(),
// never an ISA by name; the optimizer drivers still call it directly.
#pragma once
#include <cstdint>

#include "dispatch/op_kinds.hpp"
#include "steepest/dtype.hpp"
#include "kernels/cpu/optim_table.hpp"

namespace steepest::kernels {

template <class T> using UnaryFn = void (*)(int64_t n, const T* x, T* out);
// out[i] = op(a[i], b[i]); the _sa/_sb forms take a broadcast scalar for a or b.
template <class T> using BinaryFn = void (*)(int64_t n, const T* a, const T* b, T* out);
template <class T> using BinarySaFn = void (*)(int64_t n, T a, const T* b, T* out);
template <class T> using BinarySbFn = void (*)(int64_t n, const T* a, T b, T* out);
// Reductions of n contiguous values. Sums are pairwise-blocked; max/min propagate NaN.
template <class T> using ReduceFn = T (*)(const T* x, int64_t n);
// out[j] += x[i*n + j] for i < rows: the column sums of a row-major (rows, n) block,
// accumulated pairwise over rows.
template <class T> using ColumnSumFn = void (*)(const T* x, int64_t rows, int64_t n, T* out);

// Direct convolution (isa/conv.cpp): one image of one group, stride 1 along the width, with
// vectors across the output width. x is the input already padded: `channels` planes `plane`
// apart, rows `ld` apart, so output (oh, ow) reads x[c][oh * stride_h + i * dil_h][ow + j * dil_w]
// with no bounds test; kConvDirectSlack values past the last plane must be readable (a row
// narrower than a vector reads into them, and those lanes are dropped). w is packed in blocks
// of kConvDirectBlock output channels, [block][c][i][j][kConvDirectBlock] (zero past
// out_channels). y (out_channels, out_h, out_w) is overwritten; bias (per output channel) may be
// null. Each output is the fma chain over c, i, j in order from its bias (or 0): the same bits
// on every ISA.
// conv_direct_oc takes the same arguments with vectors across the output channels instead: w
// packed in blocks of conv_oc_block channels, each output position's inputs broadcast (any
// output width fills every lane); the fma chain of each output is the same as above.
constexpr int64_t kConvDirectBlock = 4;
constexpr int64_t kConvDirectSlack = 16;
template <class T>
struct ConvDirectArgs {
  const T* x = nullptr;
  int64_t channels = 0, plane = 0, ld = 0;
  const T* w = nullptr;
  const T* bias = nullptr;
  T* y = nullptr;
  int64_t out_channels = 0, out_h = 0, out_w = 0;
  int64_t kernel_h = 1, kernel_w = 1, dil_h = 1, dil_w = 1, stride_h = 1;
  // conv_direct_oc only: the input offset of each term (c, i, j) in order,
  // c * plane + i * dil_h * ld + j * dil_w (one flat loop instead of three nested ones)
  const int64_t* taps = nullptr;
};

// The weight gradient with vectors across output channels (isa/conv.cpp, conv_weight_oc): for
// one sample of one group, acc[b][t][q] += sum over positions p in order of
// gyt[b][p][q] * x[taps[t] + xo[p]] for every block b < blocks of conv_oc_block channels and
// the terms t in [t0, t1). x: the sample's padded input as for ConvDirectArgs; gyt: its output
// gradient channel-last per block, [block][count][conv_oc_block] (zero past the channels);
// xo: each output position's input offset, oh * stride_h * ld + ow; acc: [block][terms][...].
// Summed over the samples in order, each weight's gradient is one fma chain over (n, p): the
// same bits on every ISA and any split of the terms over threads.
template <class T>
struct ConvWeightOcArgs {
  const T* x = nullptr;
  const T* gyt = nullptr;
  const int64_t* xo = nullptr;
  const int64_t* taps = nullptr;
  int64_t count = 0, terms = 0, t0 = 0, t1 = 0, blocks = 0;
  T* acc = nullptr;
};

template <class T>
struct TypedKernels {
  UnaryFn<T> unary[kNumUnary] = {};
  BinaryFn<T> binary[kNumBinary] = {};
  BinarySaFn<T> binary_sa[kNumBinary] = {};
  BinarySbFn<T> binary_sb[kNumBinary] = {};
  ReduceFn<T> sum = nullptr, max = nullptr, min = nullptr;
  ColumnSumFn<T> column_sum = nullptr;
  // elementwise extras (added by ops/elementwise)
  // out[i] = a[i] + alpha * b[i] as one fused multiply-add (torch's add/sub with alpha).
  void (*add_alpha)(int64_t n, const T* a, const T* b, T alpha, T* out) = nullptr;
  // out[i] = min(max(x[i], lo), hi); NaN in x or in a bound propagates (torch.clamp).
  void (*clamp)(int64_t n, const T* x, T lo, T hi, T* out) = nullptr;
  // Reads nin (1..4) arrays and writes one (none if out is null) with no arithmetic worth the
  // name: the memory-traffic limit that benchmarks of an elementwise op compare against.
  void (*stream)(int64_t n, const T* const* in, int nin, T* out) = nullptr;

  // reduction extras (added by ops/reduce)
  // out[j] = reduction over i < rows of x[i*ld + j], for j < n (written, not accumulated):
  // sums pairwise over rows; max/min NaN-sticky and need rows >= 1.
  void (*column_sum_ld)(const T* x, int64_t rows, int64_t ld, int64_t n, T* out) = nullptr;
  void (*column_max)(const T* x, int64_t rows, int64_t ld, int64_t n, T* out) = nullptr;
  void (*column_min)(const T* x, int64_t rows, int64_t ld, int64_t n, T* out) = nullptr;
  // *sd = sum(x - mean), *sd2 = sum((x - mean)^2), both pairwise: a variance's second pass.
  void (*sum_dev)(const T* x, int64_t n, T mean, T* sd, T* sd2) = nullptr;

  // optimizer updates and grad norms (added by optim; kernels/cpu/optim_table.hpp)
  OptimKernels<T> optim;

  // nn extras (isa/nn.cpp, used by src/nn): one row of n contiguous values each.
  // log(sum(exp(x))) = *max + *logsum, kept apart so that x - lse = (x - max) - logsum loses
  // nothing at large |x| (n >= 1; NaN in, NaN out).
  void (*logsumexp)(const T* x, int64_t n, T* max, T* logsum) = nullptr;
  // y = softmax(x), or log_softmax(x) when `log` (n >= 1; y may alias x).
  void (*softmax)(const T* x, int64_t n, T* y, bool log) = nullptr;
  // From the forward's output y: gx = y (g - sum(g y)), or for log_softmax gx = g - exp(y) sum(g).
  void (*softmax_backward)(const T* y, const T* g, int64_t n, T* gx, bool log) = nullptr;
  // The cross-entropy gradient of one row, recomputing the softmax from x and its (max, logsum):
  // gx[j] = a exp((x[j] - max) - logsum) - b (w ? w[j] : 1) (p ? ps p[j] + pt : 1).
  void (*softmax_xent_grad)(const T* x, int64_t n, T max, T logsum, T a, const T* w, const T* p, T ps, T pt,
                            T b, T* gx) = nullptr;
  // Layer norm of one row: y = (x - mean) rstd (w) (+ b); w, b may be null. Writes mean, rstd.
  void (*layer_norm)(const T* x, int64_t n, const T* w, const T* b, T eps, T* y, T* mean, T* rstd) = nullptr;
  // Its backward: writes gx; adds g xhat into gw and g into gb (each may be null).
  void (*layer_norm_backward)(const T* x, const T* g, int64_t n, T mean, T rstd, const T* w, T* gx, T* gw,
                              T* gb) = nullptr;
  // Elementwise activations and their backward (gx from x and g).
  void (*erf)(int64_t n, const T* x, T* y) = nullptr;
  void (*gelu)(int64_t n, const T* x, T* y, bool tanh_approx) = nullptr;
  void (*gelu_backward)(int64_t n, const T* x, const T* g, T* gx, bool tanh_approx) = nullptr;
  void (*silu)(int64_t n, const T* x, T* y) = nullptr;
  void (*silu_backward)(int64_t n, const T* x, const T* g, T* gx) = nullptr;

  // batch norm (isa/batch_norm.cpp), over one channel: `rows` runs of n values, ld apart.
  // Sums in double: *s1 = sum (x - c), *s2 = sum (x - c)^2; *sg = sum g, *sgx = sum g (x - mean).
  void (*bn_moments)(const T* x, int64_t rows, int64_t n, int64_t ld, T c, double* s1, double* s2) = nullptr;
  void (*bn_grad_sums)(const T* x, const T* g, int64_t rows, int64_t n, int64_t ld, T mean, double* sg,
                       double* sgx) = nullptr;
  // y = x a + b; gx = a g + b (x - mean) + k (y, gx laid out as x).
  void (*bn_apply)(const T* x, int64_t rows, int64_t n, int64_t ld, T a, T b, T* y) = nullptr;
  void (*bn_backward_apply)(const T* g, const T* x, int64_t rows, int64_t n, int64_t ld, T a, T b, T mean, T k,
                            T* gx) = nullptr;
  // The same over the columns j < n of `rows` rows ld apart, with per-column constants (sums
  // written, not accumulated, each column added row by row in order).
  void (*bn_col_moments)(const T* x, int64_t rows, int64_t n, int64_t ld, const T* c, T* s1, T* s2) = nullptr;
  void (*bn_col_grad_sums)(const T* x, const T* g, int64_t rows, int64_t n, int64_t ld, const T* mean, T* sg,
                           T* sgx) = nullptr;
  void (*bn_col_apply)(const T* x, int64_t rows, int64_t n, int64_t ld, const T* a, const T* b, T* y) = nullptr;
  void (*bn_col_backward_apply)(const T* g, const T* x, int64_t rows, int64_t n, int64_t ld, const T* a,
                                const T* b, const T* mean, const T* k, T* gx) = nullptr;

  // direct convolution (isa/conv.cpp; ConvDirectArgs above); conv_lanes: its vector width.
  void (*conv_direct)(const ConvDirectArgs<T>& a) = nullptr;
  int conv_lanes = 1;
  // the same with vectors across output channels; conv_oc_block: channels per packed block
  void (*conv_direct_oc)(const ConvDirectArgs<T>& a) = nullptr;
  int conv_oc_block = 1;
  // the weight gradient with vectors across output channels (ConvWeightOcArgs above)
  void (*conv_weight_oc)(const ConvWeightOcArgs<T>& a) = nullptr;

  // the LSTM cell over n hidden units of one batch row (gates H apart), forward and backward
  // (isa/rnn.cpp; kernels/cpu/rnn.cpp)
  void (*lstm_cell)(int64_t n, int64_t H, const T* xp, const T* hp, const T* b, const T* cp, T* ws, T* h) = nullptr;
  void (*lstm_cell_backward)(int64_t n, int64_t H, const T* ws, const T* cp, const T* go, const T* dh, T* dc,
                             T* g) = nullptr;

  // deterministic linear algebra (isa/gemm.cpp, used under use_deterministic_algorithms)
  // C = alpha op(A) op(B) + beta C, row-major (op transposes when ta / tb); each C element
  // is the fma chain over k = 0..K-1 from 0, then alpha * acc (+ beta * C): the same bits on
  // every ISA and thread split. ws: scratch of (kGemmFixedRows + kGemmFixedPanel<T>) * k values.
  void (*gemm_fixed)(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
                     const T* b, int64_t ldb, T beta, T* c, int64_t ldc, T* ws) = nullptr;
  // The same product with B packed once and reused (isa/gemm.cpp): gemm_pack stores B (k, n),
  // element (p, j) at b[p * rs + j * cs], as ceil(n / gemm_panel) panels of gemm_panel columns
  // (k * gemm_panel values each); gemm_packed computes C (m, n) = A (m, k; lda) B + beta C from
  // them, the same fma chain per element as gemm_fixed.
  int64_t gemm_panel = 0;
  void (*gemm_pack)(int64_t k, int64_t n, const T* b, int64_t rs, int64_t cs, T* packed) = nullptr;
  void (*gemm_packed)(int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* bp, T beta, T* c,
                      int64_t ldc) = nullptr;
  // sum x[i] y[i] over unit-stride x, y in fixed lanes (simd/fixed_sum.hpp).
  T (*dot_fixed)(const T* x, const T* y, int64_t n) = nullptr;
};

// Widest packed panel of B any ISA's gemm_fixed uses (two 64-byte vectors), and the rows of
// op(A) it packs at a time.
template <class T> constexpr int64_t kGemmFixedPanel = 128 / int64_t(sizeof(T));
constexpr int64_t kGemmFixedRows = 96;

// Runs of n conversions between float32 and a 16-bit float (isa/convert.cpp): widen is exact;
// narrow rounds to nearest, ties to even. Both give steepest/half.hpp's bits for every input,
// NaN included, on every ISA.
struct Convert16 {
  void (*widen)(int64_t n, const uint16_t* x, float* y) = nullptr;
  void (*narrow)(int64_t n, const float* x, uint16_t* y) = nullptr;
};

struct KernelTable {
  const char* isa = "";
  TypedKernels<float> f32;
  TypedKernels<double> f64;
  Convert16 bf16, f16;
};

// The active table: chosen once (CPU detection, or STEEPEST_ISA), changeable by set_isa().
const KernelTable& cpu_kernels();

// The 16-bit floats that Convert16 serves, and the active table's runs for one of them.
inline bool is_16bit(DType d) { return d == kBFloat16 || d == kFloat16; }
inline const Convert16& convert16(DType d) { return d == kFloat16 ? cpu_kernels().f16 : cpu_kernels().bf16; }

}  // namespace steepest::kernels
