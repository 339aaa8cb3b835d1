// Train a small MLP to separate two interleaved spirals: the C++ twin of
// examples/train_mlp.py (same seed, data, model, optimizer and schedule, so
// it prints the same losses as the Python script and as PyTorch).
//
//   build/server/tensord &                             # or scripts/serve.sh
//   build/client/cpp/tensord_example_train_mlp [--epochs N] [--seed S]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <numbers>
#include <string>
#include <string_view>

#include <tensord/nn.h>
#include <tensord/optim.h>
#include <tensord/tensord.h>

namespace nn = tensord::nn;
namespace optim = tensord::optim;
using tensord::Tensor;

// Two interleaved spirals: points (2n, 2) float32 and labels (2n) int64.
std::pair<Tensor, Tensor> TwoSpirals(tensord::Client& client, int64_t n_per_class,
                                     double noise = 0.1) {
  constexpr double kPi = std::numbers::pi;
  Tensor theta = client.Rand({n_per_class}).Sqrt() * 2 * kPi;
  Tensor radius = theta / (2 * kPi);
  Tensor arm = tensord::Stack({radius * theta.Cos(), radius * theta.Sin()}, /*dim=*/1);
  Tensor points = tensord::Cat({arm, -arm}) + noise * client.Randn({2 * n_per_class, 2});
  Tensor labels = tensord::Cat({client.Zeros({n_per_class}, {.dtype = tensord::DType::kInt64}),
                                client.Ones({n_per_class}, {.dtype = tensord::DType::kInt64})});
  return {points, labels};
}

int main(int argc, char** argv) {
  int64_t epochs = 40, seed = 0, points = 200, batch_size = 32;
  double lr = 0.01;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view flag = argv[i];
    if (flag == "--epochs") epochs = std::atoll(argv[i + 1]);
    else if (flag == "--seed") seed = std::atoll(argv[i + 1]);
    else if (flag == "--points") points = std::atoll(argv[i + 1]);
    else if (flag == "--batch-size") batch_size = std::atoll(argv[i + 1]);
    else if (flag == "--lr") lr = std::atof(argv[i + 1]);
    else {
      std::cerr << "usage: " << argv[0]
                << " [--epochs N] [--seed S] [--points N] [--batch-size B] [--lr LR]\n";
      return 2;
    }
  }
  try {
    tensord::Client client;  // $TENSORD_ADDRESS, else localhost:50051
    client.ManualSeed(seed);
    auto [x, y] = TwoSpirals(client, points);
    const int64_t n = x.Size(0);

    nn::Sequential model;
    model.Add(std::make_shared<nn::Linear>(client, 2, 32))
        .Add(std::make_shared<nn::Tanh>())
        .Add(std::make_shared<nn::Linear>(client, 32, 32))
        .Add(std::make_shared<nn::ReLU>())
        .Add(std::make_shared<nn::Linear>(client, 32, 2));
    nn::CrossEntropyLoss loss_fn;
    optim::Adam optimizer(model.Parameters(), {.lr = lr});
    optim::StepLR scheduler(optimizer, /*step_size=*/15, /*gamma=*/0.5);

    for (int64_t epoch = 0; epoch < epochs; ++epoch) {
      Tensor perm = client.Randperm(n);
      double total = 0;
      for (int64_t start = 0; start < n; start += batch_size) {
        Tensor idx = perm.Slice(0, start, start + batch_size);
        optimizer.ZeroGrad();
        Tensor loss = loss_fn(model(x.Index({idx})), y.Index({idx}));
        loss.Backward();
        optimizer.Step();
        total += loss.Item<double>() * static_cast<double>(std::min(batch_size, n - start));
      }
      scheduler.Step();
      std::printf("epoch %3lld  loss %.6f\n", static_cast<long long>(epoch + 1),
                  total / static_cast<double>(n));
    }

    tensord::NoGradGuard no_grad;
    double accuracy =
        model(x).Argmax(1).Eq(y).To(tensord::DType::kFloat32).Mean().Item<double>();
    std::printf("accuracy %.4f\n", accuracy);
  } catch (const tensord::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
