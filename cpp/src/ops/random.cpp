// Random tensors: argument checks, generators and results here; the Philox draws (the stream
// documented in steepest/ops/random.hpp) in the device's kernels (dispatch/random.hpp).
#include "steepest/ops/random.hpp"
#include "steepest/ops/random_default.hpp"

#include <cmath>
#include <limits>
#include <random>

#include "dispatch/random.hpp"
#include "steepest/autograd.hpp"
#include "steepest/ops.hpp"
#include "steepest/ops/device.hpp"

namespace steepest {

namespace dispatch {
STEEPEST_DEFINE_STUB(RandomKernel, random_stub);
STEEPEST_DEFINE_STUB(RandintKernel, randint_stub);
STEEPEST_DEFINE_STUB(BernoulliTensorKernel, bernoulli_tensor_stub);
STEEPEST_DEFINE_STUB(RandpermKernel, randperm_stub);
STEEPEST_DEFINE_STUB(MultinomialKernel, multinomial_stub);
}  // namespace dispatch

namespace {

Generator& pick(Generator* g) { return g ? *g : default_generator(); }

void check_floating(const Tensor& t, const char* op) {
  STEEPEST_CHECK(is_floating(t.dtype()), TypeError, op, ": expected a floating point dtype, got ",
                 dtype_name(t.dtype()));
}

// Runs fill(dense) on t itself if it is dense, else on a dense buffer copied into t, so
// element i of the draw always lands at logical (row-major) position i.
template <class Fill>
Tensor& fill_logical(Tensor& t, const Fill& fill) {
  if (t.is_contiguous()) {
    fill(t);
    t.bump_version();
  } else {
    Tensor tmp = Tensor::empty(t.shape(), t.dtype(), t.device());
    fill(tmp);
    copy_(t, tmp);
  }
  return t;
}

// Fills t with draws of `dist` from the generator (the default one when null).
Tensor& draw(Tensor& t, dispatch::RandomDist dist, double a, double b, Generator* gen, const char* op) {
  auto kernel = dispatch::random_stub().get(t.device(), op);
  Generator& g = pick(gen);
  return fill_logical(t, [&](const Tensor& dense) { kernel(dist, dense, a, b, g); });
}

void check_int_range(int64_t low, int64_t high, DType dt, const char* op) {
  STEEPEST_CHECK(low < high, ValueError, op, " expects 'low' to be less than 'high', but got low=", low,
                 " >= high=", high);
  if (dt == kInt32)
    STEEPEST_CHECK(low >= std::numeric_limits<int32_t>::min() && high - 1 <= std::numeric_limits<int32_t>::max(),
                   ValueError, op, ": range [", low, ", ", high, ") does not fit in int32");
  if (dt == kBool)
    STEEPEST_CHECK(low >= 0 && high <= 2, ValueError, op, ": range [", low, ", ", high, ") does not fit in bool");
}

}  // namespace

uint64_t Generator::nondeterministic_seed() {
  std::random_device rd;
  uint64_t s = ((uint64_t(rd()) << 32) | rd()) & 0x7fffffffffffffffull;
  manual_seed(s);
  return s;
}

Generator& default_generator() {
  static Generator g;
  return g;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

Tensor& uniform_(Tensor& t, double low, double high, Generator* gen) {
  check_floating(t, "uniform_");
  STEEPEST_CHECK(std::isfinite(low) && std::isfinite(high), ValueError, "uniform_: bounds must be finite, got from=",
                 low, ", to=", high);
  STEEPEST_CHECK(low <= high, ValueError, "uniform_ expects to return a [from, to) range, but found from=", low,
                 " > to=", high);
  return draw(t, dispatch::RandomDist::Uniform, low, high, gen, "uniform_");
}

Tensor& normal_(Tensor& t, double mean, double sd, Generator* gen) {
  check_floating(t, "normal_");
  STEEPEST_CHECK(sd >= 0, ValueError, "normal_ expects std >= 0.0, but found std ", sd);
  return draw(t, dispatch::RandomDist::Normal, mean, sd, gen, "normal_");
}

Tensor& random_(Tensor& t, int64_t low, int64_t high, Generator* gen) {
  check_int_range(low, high, t.dtype(), "random_");
  auto kernel = dispatch::randint_stub().get(t.device(), "random_");
  Generator& g = pick(gen);
  return fill_logical(t, [&](const Tensor& dense) { kernel(dense, low, high, g); });
}

Tensor& random_from_(Tensor& t, int64_t low, Generator* gen) {
  // The largest integer the dtype holds with every smaller one (2^digits for floating types).
  uint64_t top = 0;
  switch (t.dtype()) {
    case kFloat64: top = uint64_t(1) << 53; break;
    case kFloat32: top = uint64_t(1) << 24; break;
    case kFloat16: top = uint64_t(1) << 11; break;
    case kBFloat16: top = uint64_t(1) << 8; break;
    case kInt64: top = uint64_t(std::numeric_limits<int64_t>::max()); break;
    case kInt32: top = uint64_t(std::numeric_limits<int32_t>::max()); break;
    case kBool: top = 1; break;
    default:  // float8: no arithmetic kernel takes it (torch refuses too)
      STEEPEST_CHECK(false, NotImplementedError, "\"random_\" not implemented for '", dtype_name(t.dtype()), "'");
  }
  STEEPEST_CHECK(low <= int64_t(top), ValueError, "random_ expects 'from' to be at most ", top, " for ",
                 dtype_name(t.dtype()), " (the largest value it draws), but got from=", low);
  STEEPEST_CHECK(low > std::numeric_limits<int64_t>::min(), ValueError,
                 "random_: from=", low, " to the int64 maximum spans 2^64 values, more than one draw covers");
  if (t.dtype() == kInt32)
    STEEPEST_CHECK(low >= std::numeric_limits<int32_t>::min(), ValueError, "random_: from=", low,
                   " does not fit in int32");
  if (t.dtype() == kBool) STEEPEST_CHECK(low >= 0, ValueError, "random_: from=", low, " does not fit in bool");
  // [low, top] inclusive: the kernel's exclusive end is top + 1, which for int64 wraps to
  // -2^63; the kernel works in uint64, where high - low is still the count of values.
  int64_t high = int64_t(top + 1);
  auto kernel = dispatch::randint_stub().get(t.device(), "random_");
  Generator& g = pick(gen);
  return fill_logical(t, [&](const Tensor& dense) { kernel(dense, low, high, g); });
}

Tensor& bernoulli_(Tensor& t, double prob, Generator* gen) {
  STEEPEST_CHECK(prob >= 0 && prob <= 1, ValueError, "bernoulli_ expects p to be in [0, 1], but got p=", prob);
  return draw(t, dispatch::RandomDist::Bernoulli, prob, 0.0, gen, "bernoulli_");
}

Tensor bernoulli(const Tensor& probs, Generator* gen) {
  check_floating(probs, "bernoulli");
  Tensor p = to_dtype(contiguous(probs), kFloat64);
  Tensor out = Tensor::empty(probs.shape(), probs.dtype(), probs.device());
  dispatch::bernoulli_tensor_stub().get(probs.device(), "bernoulli")(out, p, pick(gen));
  return out;
}

Tensor& exponential_(Tensor& t, double lambd, Generator* gen) {
  check_floating(t, "exponential_");
  STEEPEST_CHECK(lambd > 0 && std::isfinite(lambd), ValueError,
                 "exponential_ expects lambda > 0.0, but found lambda=", lambd);
  return draw(t, dispatch::RandomDist::Exponential, lambd, 0.0, gen, "exponential_");
}

Tensor& geometric_(Tensor& t, double p, Generator* gen) {
  STEEPEST_CHECK(p > 0 && p < 1, ValueError, "geometric_ expects p to be in (0, 1), but got p=", p);
  STEEPEST_CHECK(t.dtype() != kBool, TypeError, "geometric_: bool tensors can't hold trial counts");
  return draw(t, dispatch::RandomDist::Geometric, p, 0.0, gen, "geometric_");
}

Tensor& cauchy_(Tensor& t, double median, double sigma, Generator* gen) {
  check_floating(t, "cauchy_");
  STEEPEST_CHECK(sigma > 0 && std::isfinite(median), ValueError, "cauchy_ expects sigma > 0.0, but found sigma=",
                 sigma);
  return draw(t, dispatch::RandomDist::Cauchy, median, sigma, gen, "cauchy_");
}

Tensor& log_normal_(Tensor& t, double mean, double sd, Generator* gen) {
  check_floating(t, "log_normal_");
  STEEPEST_CHECK(sd > 0, ValueError, "log_normal_ expects std > 0.0, but found std=", sd);
  return draw(t, dispatch::RandomDist::LogNormal, mean, sd, gen, "log_normal_");
}

Tensor multinomial(const Tensor& probs, int64_t n, bool replacement, Generator* gen) {
  STEEPEST_CHECK(probs.dim() == 1 || probs.dim() == 2, ValueError, "multinomial: prob_dist must be 1 or 2 dim, got ",
                 probs.dim(), " dims");
  STEEPEST_CHECK(is_floating(probs.dtype()), TypeError, "multinomial only supports floating-point dtypes for input, "
                 "got ", dtype_name(probs.dtype()));
  STEEPEST_CHECK(n > 0, ValueError, "multinomial: cannot sample n_sample <= 0 samples (got ", n, ")");
  int64_t k = probs.shape().back(), rows = probs.dim() == 2 ? probs.shape()[0] : 1;
  STEEPEST_CHECK(k > 0, ValueError, "multinomial: number of categories cannot be zero");
  STEEPEST_CHECK(replacement || n <= k, ValueError, "multinomial: cannot sample n_sample > prob_dist.size(-1) "
                 "samples without replacement (n_sample=", n, ", categories=", k, ")");
  Tensor p = contiguous(to_dtype(probs.detach(), kFloat64));
  // The rows are checked on the host before any draw (a refused call leaves the generator
  // untouched); a CUDA tensor's probabilities are copied over once for it.
  const Tensor ph = p.device().is_cpu() ? p : to_device(p, kCPU);
  const double* pv = ph.data<double>();
  for (int64_t r = 0; r < rows; ++r) {
    double total = 0;
    int64_t nonzero = 0;
    for (int64_t j = 0; j < k; ++j) {
      double v = pv[r * k + j];
      STEEPEST_CHECK(std::isfinite(v), ValueError, "multinomial: probability tensor contains either `inf`, `nan` "
                     "or element < 0 (", v, " in row ", r, ")");
      STEEPEST_CHECK(v >= 0, ValueError, "multinomial: probability tensor contains either `inf`, `nan` or element "
                     "< 0 (", v, " in row ", r, ")");
      total += v;
      nonzero += v > 0;
    }
    STEEPEST_CHECK(total > 0, ValueError, "multinomial: invalid multinomial distribution (sum of probabilities <= 0) "
                   "in row ", r);
    STEEPEST_CHECK(replacement || nonzero >= n, ValueError, "multinomial: invalid multinomial distribution (with "
                   "replacement=False, not enough non-negative category to sample): row ", r, " has ", nonzero,
                   " non-zero probabilities for ", n, " samples");
  }
  Tensor out = Tensor::empty(probs.dim() == 2 ? Shape{rows, n} : Shape{n}, kInt64, probs.device());
  if (rows > 0) dispatch::multinomial_stub().get(probs.device(), "multinomial")(out, p, rows, replacement, pick(gen));
  return out;
}

namespace {
void check_std(const Tensor& sd) {
  check_floating(sd, "normal");
  if (sd.numel() == 0) return;
  autograd::NoGradGuard ng;
  STEEPEST_CHECK(to_dtype(amin(sd), kFloat64).item<double>() >= 0, ValueError,
                 "normal expects all elements of std >= 0.0");
}
Tensor standard(const Shape& shape, DType dt, Device dev, Generator* gen) {
  Tensor z = Tensor::empty(shape, dt, dev);
  return normal_(z, 0.0, 1.0, gen);
}
}  // namespace

Tensor normal(const Tensor& mean, const Tensor& sd, Generator* gen) {
  check_floating(mean, "normal");
  check_std(sd);
  Device dev = dispatch::common_device(mean, sd);
  Tensor z = standard(broadcast_shapes(mean.shape(), sd.shape()), promote_types(mean.dtype(), sd.dtype()), dev, gen);
  return add(mean, mul(sd, z));
}

Tensor normal(const Tensor& mean, double sd, Generator* gen) {
  check_floating(mean, "normal");
  STEEPEST_CHECK(sd >= 0, ValueError, "normal expects std >= 0.0, but found std ", sd);
  return add(mean, mul(standard(mean.shape(), mean.dtype(), mean.device(), gen), Scalar(sd)));
}

Tensor normal(double mean, const Tensor& sd, Generator* gen) {
  check_std(sd);
  return add(mul(sd, standard(sd.shape(), sd.dtype(), sd.device(), gen)), Scalar(mean));
}

Tensor rand(const Shape& shape, TensorOptions opts, Generator* gen) {
  Tensor t = Tensor::empty(shape, opts.dtype, opts.device);
  check_floating(t, "rand");
  uniform_(t, 0.0, 1.0, gen);
  if (opts.requires_grad) t.set_requires_grad(true);
  return t;
}

Tensor randn(const Shape& shape, TensorOptions opts, Generator* gen) {
  Tensor t = Tensor::empty(shape, opts.dtype, opts.device);
  check_floating(t, "randn");
  normal_(t, 0.0, 1.0, gen);
  if (opts.requires_grad) t.set_requires_grad(true);
  return t;
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, TensorOptions opts, Generator* gen) {
  check_int_range(low, high, opts.dtype, "randint");
  Tensor t = Tensor::empty(shape, opts.dtype, opts.device);
  random_(t, low, high, gen);
  if (opts.requires_grad) t.set_requires_grad(true);
  return t;
}

Tensor randperm(int64_t n, Generator* gen) { return randperm(n, TensorOptions(kInt64), gen); }

Tensor randperm(int64_t n, TensorOptions opts, Generator* gen) {
  STEEPEST_CHECK(n >= 0, ValueError, "randperm: n must be non-negative, got ", n);
  STEEPEST_CHECK(opts.dtype != kBool, TypeError, "randperm: bool is not a valid dtype for a permutation");
  // The largest n whose values the dtype holds exactly.
  int64_t limit = opts.dtype == kInt32     ? (int64_t(1) << 31)
                  : opts.dtype == kBFloat16 ? 257
                  : opts.dtype == kFloat16  ? 2049
                  : opts.dtype == kFloat32  ? (int64_t(1) << 24) + 1
                  : opts.dtype == kFloat64  ? (int64_t(1) << 53) + 1
                                            : std::numeric_limits<int64_t>::max();
  STEEPEST_CHECK(n <= limit, ValueError, "randperm: n=", n, " is too large for dtype ", dtype_name(opts.dtype));
  Tensor out = Tensor::empty(Shape{n}, opts.dtype, opts.device);
  dispatch::randperm_stub().get(out.device(), "randperm")(out, pick(gen));
  if (opts.requires_grad) out.set_requires_grad(true);
  return out;
}

}  // namespace steepest
