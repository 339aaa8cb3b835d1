"""Train a small MLP to separate two interleaved spirals, PyTorch style.

    examples/run.sh train_mlp.py              # starts a local server if none is running
    examples/run.sh train_mlp.py --epochs 5

The code is plain PyTorch: only the import line names tensord. With
TENSORD_EXAMPLE_BACKEND=torch the same file runs on real PyTorch, and prints
the same losses (the data and the initial weights come from the seeded
generator, which draws PyTorch's numbers).
"""

import argparse
import math
import os

if os.environ.get("TENSORD_EXAMPLE_BACKEND") == "torch":
    import torch
else:
    import tensord as torch


def two_spirals(n_per_class, noise=0.1):
    """Two interleaved spirals in 2-D: points (n, 2) float32 and labels (n,) int64."""
    theta = torch.sqrt(torch.rand(n_per_class)) * 2 * math.pi
    radius = theta / (2 * math.pi)
    arm = torch.stack([radius * torch.cos(theta), radius * torch.sin(theta)], dim=1)
    points = torch.cat([arm, -arm]) + noise * torch.randn(2 * n_per_class, 2)
    labels = torch.cat([torch.zeros(n_per_class, dtype=torch.long),
                        torch.ones(n_per_class, dtype=torch.long)])
    return points, labels


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--points", type=int, default=200, help="points per class")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.01)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    x, y = two_spirals(args.points)
    n = x.shape[0]

    model = torch.nn.Sequential(
        torch.nn.Linear(2, 32), torch.nn.Tanh(),
        torch.nn.Linear(32, 32), torch.nn.ReLU(),
        torch.nn.Linear(32, 2),
    )
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=15, gamma=0.5)

    for epoch in range(args.epochs):
        perm = torch.randperm(n)
        total = 0.0
        for start in range(0, n, args.batch_size):
            idx = perm[start:start + args.batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        scheduler.step()
        print(f"epoch {epoch + 1:3d}  loss {total / n:.6f}")

    with torch.no_grad():
        accuracy = (model(x).argmax(dim=1) == y).float().mean().item()
    print(f"accuracy {accuracy:.4f}")


if __name__ == "__main__":
    main()
