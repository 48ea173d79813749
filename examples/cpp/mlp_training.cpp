// Trains a small MLP to separate three interleaved spirals by mini-batch gradient descent on
// cross-entropy, using only steepest's C++ API: nn::MLP, autograd (loss.backward()),
// nn::sgd_step, and save/load of the weights. Exits non-zero if it doesn't learn.
#include <cmath>
#include <cstdio>
#include <vector>

#include <steepest/steepest.hpp>

using namespace steepest;
namespace F = steepest::nn::functional;

// n points per class on 3 spiral arms with a little noise: features (3n, 2), labels (3n,).
static std::pair<Tensor, Tensor> spirals(int64_t n, Generator& gen) {
  Tensor noise = randn({3 * n, 2}, {}, &gen);
  std::vector<float> xy(size_t(6 * n));
  std::vector<int64_t> label(size_t(3 * n));
  const float* e = noise.data<float>();
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t i = 0; i < n; ++i) {
      int64_t k = c * n + i;
      double r = double(i) / double(n);
      double angle = 4.0 * r + c * 2.0 * M_PI / 3.0;
      xy[size_t(2 * k)] = float(r * std::sin(angle) + 0.03 * e[2 * k]);
      xy[size_t(2 * k + 1)] = float(r * std::cos(angle) + 0.03 * e[2 * k + 1]);
      label[size_t(k)] = c;
    }
  Tensor x = empty({3 * n, 2}), y = empty({3 * n}, kInt64);
  std::copy(xy.begin(), xy.end(), x.data<float>());
  std::copy(label.begin(), label.end(), y.data<int64_t>());
  return {x, y};
}

static double accuracy(nn::Module& model, const Tensor& x, const Tensor& y) {
  autograd::NoGradGuard no_grad;
  Tensor pred = argmax(model(x), int64_t(1));
  return mean(to_dtype(eq(pred, y), kFloat32)).item<double>();
}

int main() {
  Generator gen(0);
  auto [x, y] = spirals(300, gen);
  nn::MLP model({2, 64, 64, 3}, nn::Activation::ReLU, &gen);
  std::printf("MLP 2-64-64-3, %lld parameters, %lld samples\n", (long long)model.num_parameters(),
              (long long)x.size(0));

  const int64_t batch = 64, epochs = 300;
  const double lr = 0.3;
  for (int64_t epoch = 0; epoch < epochs; ++epoch) {
    Tensor order = randperm(x.size(0), &gen);
    double total = 0;
    int64_t batches = 0;
    for (int64_t i = 0; i < x.size(0); i += batch) {
      Tensor idx = slice(order, 0, i, i + batch);
      Tensor xb = index_select(x, 0, idx), yb = index_select(y, 0, idx);
      Tensor loss = F::cross_entropy(model(xb), yb);
      model.zero_grad();
      loss.backward();
      nn::sgd_step(model.parameters(), lr);
      total += loss.item<double>();
      ++batches;
    }
    if (epoch % 50 == 0 || epoch == epochs - 1)
      std::printf("epoch %3lld  loss %.4f  accuracy %.3f\n", (long long)epoch, total / double(batches),
                  accuracy(model, x, y));
  }

  // Save, load into a fresh model, and check it predicts the same.
  double acc = accuracy(model, x, y);
  save_tensors("mlp_spirals.safetensors", model.named_parameters());
  nn::MLP restored({2, 64, 64, 3});
  restored.load_state(load_tensors("mlp_spirals.safetensors").tensors);
  double acc2 = accuracy(restored, x, y);
  std::printf("final accuracy %.3f (restored from mlp_spirals.safetensors: %.3f)\n", acc, acc2);
  if (acc < 0.95 || acc2 != acc) {
    std::fprintf(stderr, "training failed: accuracy %.3f (restored %.3f)\n", acc, acc2);
    return 1;
  }
  return 0;
}
