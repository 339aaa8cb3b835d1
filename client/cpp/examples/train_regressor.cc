// Fit a noisy sine curve with a small MLP regressor: the C++ twin of
// examples/train_regressor.py (same seed, data, model, SGD with momentum and
// cosine schedule, so it prints the same losses as the Python script and as
// PyTorch).
//
//   build/server/tensord &                                  # or scripts/serve.sh
//   build/client/cpp/tensord_example_train_regressor [--epochs N] [--seed S]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string_view>

#include <tensord/nn.h>
#include <tensord/optim.h>
#include <tensord/tensord.h>

namespace nn = tensord::nn;
namespace optim = tensord::optim;
using tensord::Tensor;

int main(int argc, char** argv) {
  int64_t epochs = 60, seed = 0, points = 256, batch_size = 32;
  double lr = 0.05;
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
    Tensor x = client.Rand({points, 1}) * 6 - 3;
    Tensor y = x.Sin() + 0.1 * client.Randn({points, 1});

    nn::Sequential model;
    model.Add(std::make_shared<nn::Linear>(client, 1, 64))
        .Add(std::make_shared<nn::Tanh>())
        .Add(std::make_shared<nn::Linear>(client, 64, 1));
    nn::MSELoss loss_fn;
    optim::SGD optimizer(model.Parameters(), {.lr = lr, .momentum = 0.9});
    optim::CosineAnnealingLR scheduler(optimizer, /*t_max=*/epochs);

    for (int64_t epoch = 0; epoch < epochs; ++epoch) {
      Tensor perm = client.Randperm(points);
      double total = 0;
      for (int64_t start = 0; start < points; start += batch_size) {
        Tensor idx = perm.Slice(0, start, start + batch_size);
        optimizer.ZeroGrad();
        Tensor loss = loss_fn(model(x.Index({idx})), y.Index({idx}));
        loss.Backward();
        optimizer.Step();
        total += loss.Item<double>() * static_cast<double>(std::min(batch_size, points - start));
      }
      scheduler.Step();
      std::printf("epoch %3lld  loss %.6f\n", static_cast<long long>(epoch + 1),
                  total / static_cast<double>(points));
    }

    tensord::NoGradGuard no_grad;
    Tensor grid = client.Linspace(-3, 3, 101).Unsqueeze(1);
    double error = loss_fn(model(grid), grid.Sin()).Item<double>();
    std::printf("mse vs sin(x) on [-3, 3]: %.6f\n", error);
  } catch (const tensord::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
