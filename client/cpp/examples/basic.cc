// A tiny autograd example: y = sum(w * x + b)^2 ... on a tensord server.
//
//   build/server/tensord &                       # or scripts/serve.sh
//   build/client/cpp/tensord_example_basic       # uses $TENSORD_ADDRESS
#include <iostream>
#include <vector>

#include <tensord/tensord.h>

int main() {
  try {
    tensord::Client client;  // $TENSORD_ADDRESS, else localhost:50051
    client.ManualSeed(0);

    auto x = client.Tensor(std::vector<float>{1, 2, 3, 4}, {2, 2});
    auto w = client.Tensor(std::vector<float>{0.5, -1, 2, 0}, {2, 2}, {.requires_grad = true});
    auto b = client.Zeros({2}, {.requires_grad = true});

    auto y = tensord::Matmul(x, w) + b;  // [2, 2], broadcasting b
    auto loss = (y * y).Mean();
    loss.Backward();

    std::cout << "loss = " << loss.Item<float>() << "\n";
    std::cout << "loss.grad_fn = " << loss.GradFn() << "\n";
    std::cout << "w.grad = " << w.Grad() << "\n";
    std::cout << "b.grad = " << b.Grad() << "\n";

    try {
      auto bad = x.Matmul(client.Ones({3, 2}));
      bad.Shape();  // a sync point: the deferred error is raised here
    } catch (const tensord::Error& e) {
      std::cout << "caught: " << e.what() << "\n";
    }
    std::cout << "session still usable: " << (x + 1).Sum().Item<float>() << "\n";
  } catch (const tensord::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
