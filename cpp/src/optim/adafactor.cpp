// torch.optim.Adafactor's step (optimizers.md §7): factored second moments over the last two
// dims of >= 2-D params, a full one for 0-D/1-D params, update clipping by RMS(U)/d. The
// reductions are plain loops in double (the same bits on every ISA); the per-element math is
// updates/adafactor.hpp. Params run in parallel (one param per thread).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "optim/driver.hpp"
#include "optim/updates/adafactor.hpp"
#include "steepest/ops/creation.hpp"

namespace steepest::optim {

namespace {
namespace up = updates;

struct Job {
  const detail::Row* row;
  Tensor param, row_var, col_var, variance;
  double t;
};

template <class T>
void adafactor_one(const Job& j, const AdafactorOptions& o, double gscale) {
  T* p = static_cast<T*>(j.row->arrays[0]);
  const T* graw = static_cast<const T*>(j.row->arrays[1]);
  const int64_t N = j.row->numel;
  if (N == 0) return;
  const T gs = T(gscale);
  const double w = std::pow(j.t, o.beta2_decay);  // 1 - beta2_t, the lerp weight
  const double rho = std::min(o.lr, 1.0 / std::pow(j.t, 0.5));
  double psq = 0;
  for (int64_t i = 0; i < N; ++i) psq += double(p[i]) * double(p[i]);
  const double alpha = std::max(o.eps2, std::sqrt(psq) / std::sqrt(double(N))) * rho;
  const double eps1 = o.eps1 < 0 ? double(std::numeric_limits<T>::epsilon()) : o.eps1;
  const T eps1_t = T(eps1), eps1_sq = T(eps1 * eps1);
  const up::Lerp<T> lerp(w);
  const T decay = T(1 - o.lr * o.weight_decay);
  const bool wd = o.weight_decay != 0;

  double usq = 0;
  if (j.row_var.defined()) {
    const auto& shape = j.param.shape();
    const int64_t n = shape[shape.size() - 2], m = shape[shape.size() - 1];
    const int64_t batches = (n * m) == 0 ? 0 : N / (n * m);
    T* rv = j.row_var.data<T>();
    T* cv = j.col_var.data<T>();
    std::vector<T> rmc(static_cast<size_t>(batches));
    std::vector<double> col(static_cast<size_t>(m));
    for (int64_t b = 0; b < batches; ++b) {
      const T* g = graw + b * n * m;
      T* r = rv + b * n;
      T* cc = cv + b * m;
      std::fill(col.begin(), col.end(), 0.0);
      for (int64_t i = 0; i < n; ++i) {
        double s = 0;
        for (int64_t k = 0; k < m; ++k) {
          const double x = double(g[i * m + k] * gs);
          s += x * x;
          col[size_t(k)] += x * x;
        }
        r[i] = lerp(r[i], T(s / double(m)));
      }
      for (int64_t k = 0; k < m; ++k) cc[k] = lerp(cc[k], T(col[size_t(k)] / double(n)));
      double rs = 0;
      for (int64_t i = 0; i < n; ++i) rs += double(r[i]);
      const T rm = T(rs / double(n));
      rmc[size_t(b)] = rm < eps1_t ? eps1_t : rm;  // clamp_(min=eps1) (NaN kept)
      for (int64_t i = 0; i < n; ++i)
        for (int64_t k = 0; k < m; ++k) {
          const T u = up::adafactor_update(T(g[i * m + k] * gs), up::adafactor_factored_var(r[i], cc[k], rmc[size_t(b)]),
                                           eps1_sq);
          usq += double(u) * double(u);
        }
    }
    const T step = T(-alpha / std::max(1.0, std::sqrt(usq) / (std::sqrt(double(N)) * o.d)));
    for (int64_t b = 0; b < batches; ++b) {
      const T* g = graw + b * n * m;
      const T* r = rv + b * n;
      const T* cc = cv + b * m;
      T* pb = p + b * n * m;
      for (int64_t i = 0; i < n; ++i)
        for (int64_t k = 0; k < m; ++k) {
          const T u = up::adafactor_update(T(g[i * m + k] * gs), up::adafactor_factored_var(r[i], cc[k], rmc[size_t(b)]),
                                           eps1_sq);
          pb[i * m + k] = up::adafactor_apply(pb[i * m + k], wd ? decay : T(1), step, u);
        }
    }
  } else {
    T* v = j.variance.data<T>();
    for (int64_t i = 0; i < N; ++i) {
      const T g = graw[i] * gs;
      v[i] = lerp(v[i], g * g);
      const T u = up::adafactor_update(g, v[i], eps1_sq);
      usq += double(u) * double(u);
    }
    const T step = T(-alpha / std::max(1.0, std::sqrt(usq) / (std::sqrt(double(N)) * o.d)));
    for (int64_t i = 0; i < N; ++i) {
      const T u = up::adafactor_update(T(graw[i] * gs), v[i], eps1_sq);
      p[i] = up::adafactor_apply(p[i], wd ? decay : T(1), step, u);
    }
  }
}

void check_state(const Tensor& s, const Tensor& p, const Shape& want, size_t i, const char* name) {
  STEEPEST_CHECK(s.dtype() == p.dtype() && s.shape() == want && s.is_contiguous(), ValueError, "Adafactor: ", name,
                 " of param ", i, " must be a contiguous ", dtype_name(p.dtype()), " tensor of shape ", want,
                 ", got ", dtype_name(s.dtype()), " ", s.shape());
}
}  // namespace

int adafactor_step(TensorLists& lists, const AdafactorOptions& o, const StepControl& c) {
  if (detail::skip_step(c)) return 0;
  detail::GroupPlan plan{"Adafactor", {}, {1, 2, 3, 4}, nullptr};
  // gather() creates list 1 (step); the moment lists depend on the param's rank, made below.
  plan.used_lists = {1};
  plan.make_state = [](int, const Tensor&, const Tensor&) { return detail::scalar_state(0); };
  for (int k = 2; k <= 4; ++k)
    STEEPEST_CHECK(lists.size() > size_t(k) && lists[k].size() == lists[0].size(), ValueError,
                   "Adafactor: expected lists params, step, row_var, col_var, variance of equal lengths");
  auto g = detail::gather(lists, plan);
  int created = g.created;
  std::vector<Job> jobs;
  for (size_t r = 0; r < g.rows.size(); ++r) {
    const size_t i = size_t(g.index[r]);
    const Tensor& p = lists[0][i];
    Job j{&g.rows[r], p, {}, {}, {}, detail::increment_step(lists[1][i])};
    if (p.dim() > 1) {
      Shape rs = p.shape(), cs = p.shape();
      rs[rs.size() - 1] = 1;
      cs[cs.size() - 2] = 1;
      if (!lists[2][i].defined()) {
        lists[2][i] = zeros(rs, TensorOptions(p.dtype()));
        ++created;
      }
      if (!lists[3][i].defined()) {
        lists[3][i] = zeros(cs, TensorOptions(p.dtype()));
        ++created;
      }
      check_state(lists[2][i], p, rs, i, "row_var");
      check_state(lists[3][i], p, cs, i, "col_var");
      j.row_var = lists[2][i];
      j.col_var = lists[3][i];
    } else {
      if (!lists[4][i].defined()) {
        lists[4][i] = detail::zeros_state(p);
        ++created;
      }
      check_state(lists[4][i], p, p.shape(), i, "variance");
      j.variance = lists[4][i];
    }
    jobs.push_back(j);
  }
  const double gs = detail::signed_scale(c, o.maximize);
  const int64_t nj = int64_t(jobs.size());
  int64_t total = 0;
  for (const auto& r : g.rows) total += r.numel;
#pragma omp parallel for schedule(dynamic) if (total >= 65536 && nj > 1)
  for (int64_t k = 0; k < nj; ++k) {
    const Job& j = jobs[size_t(k)];
    if (j.row->f64) adafactor_one<double>(j, o, gs);
    else adafactor_one<float>(j, o, gs);
  }
  return created;
}

}  // namespace steepest::optim
