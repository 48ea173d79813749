// Fits y = X w + b by full-batch gradient descent using only steepest's C++ API: the
// gradient of the mean squared error is written out by hand (X^T r * 2/n).
#include <cmath>
#include <cstdio>

#include <steepest/steepest.hpp>

using namespace steepest;

int main() {
  manual_seed(0);
  const int64_t n = 512, d = 8;
  Tensor X = randn({n, d});
  Tensor w_true = arange(Scalar(1), Scalar(d + 1), Scalar(1), kFloat32);  // 1..8
  Tensor y = add(matmul(X, w_true), Scalar(0.5));                           // intercept 0.5
  y = add(y, mul(randn({n}), Scalar(0.01)));                               // a little noise

  Tensor w = zeros({d});
  Tensor b = zeros({});
  const double lr = 0.1;
  double loss = 0;
  for (int step = 0; step < 200; ++step) {
    Tensor r = sub(add(matmul(X, w), b), y);               // residuals
    loss = mean(mul(r, r)).item<double>();
    Tensor grad_w = mul(matmul(t(X), r), Scalar(2.0 / n));  // d loss / d w
    Tensor grad_b = mul(mean(r), Scalar(2.0));
    sub_(w, grad_w, Scalar(lr));
    sub_(b, grad_b, Scalar(lr));
    if (step % 50 == 0) std::printf("step %3d  mse %.6f\n", step, loss);
  }
  double err = amax(abs(sub(w, w_true))).item<double>();
  std::printf("final mse %.6f, max |w - w_true| = %.4f, b = %.4f (true 0.5), ISA %s\n", loss, err,
              b.item<double>(), current_isa().c_str());
  if (!(err < 0.01 && std::fabs(b.item<double>() - 0.5) < 0.01)) {
    std::printf("FAILED: gradient descent did not recover the weights\n");
    return 1;
  }
  std::printf("OK\n");
  return 0;
}
