"""Fit a noisy sine curve with a small MLP regressor, PyTorch style.

    examples/run.sh train_regressor.py            # starts a local server if none is running
    examples/run.sh train_regressor.py --epochs 5

Plain PyTorch code: only the import line names tensord (with
TENSORD_EXAMPLE_BACKEND=torch it runs on real PyTorch and prints the same
losses). SGD with momentum, a cosine learning-rate schedule, MSE loss.
"""

import argparse
import os

if os.environ.get("TENSORD_EXAMPLE_BACKEND") == "torch":
    import torch
else:
    import tensord as torch


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--points", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.05)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    x = torch.rand(args.points, 1) * 6 - 3
    y = torch.sin(x) + 0.1 * torch.randn(args.points, 1)

    model = torch.nn.Sequential(
        torch.nn.Linear(1, 64), torch.nn.Tanh(),
        torch.nn.Linear(64, 1),
    )
    loss_fn = torch.nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

    for epoch in range(args.epochs):
        perm = torch.randperm(args.points)
        total = 0.0
        for start in range(0, args.points, args.batch_size):
            idx = perm[start:start + args.batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        scheduler.step()
        print(f"epoch {epoch + 1:3d}  loss {total / args.points:.6f}")

    with torch.no_grad():
        grid = torch.linspace(-3, 3, 101).unsqueeze(1)
        error = loss_fn(model(grid), torch.sin(grid)).item()
    print(f"mse vs sin(x) on [-3, 3]: {error:.6f}")


if __name__ == "__main__":
    main()
