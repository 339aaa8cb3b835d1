"""Tutorial snippets (shared/seeds) run with `import tensord as torch`; printed output
must equal what PyTorch printed. Random values also check that the server's
generator reproduces PyTorch's CPU generator for the same seed."""

import textwrap

import numpy as np
import pytest


def _run(td, code, capsys):
    capsys.readouterr()
    exec(textwrap.dedent(code), {"torch": td, "np": np})  # noqa: S102 - test snippets
    return capsys.readouterr().out


def test_repr_of_created_tensors(td, capsys):
    out = _run(td, """
        x_data = torch.tensor([[1, 2], [2, 3]])
        print(f"x_data: {x_data}")
        print(f"type(x_data): {type(x_data)}")
        print(f"x_data.dtype: {x_data.dtype}")
        print(f"x_data.shape: {x_data.shape}")
        print(f"x_data.device: {x_data.device}")
        print(f"x_data.requires_grad: {x_data.requires_grad}")
        print(f"x_data.is_leaf: {x_data.is_leaf}")
        y_data = torch.tensor([[0.1, 1.2], [2.2, 3.1]])
        print(f"y_data: {y_data}")
        print(f"y_data.dtype: {y_data.dtype}")
    """, capsys)
    assert out == (
        "x_data: tensor([[1, 2],\n"
        "        [2, 3]])\n"
        "type(x_data): <class 'tensord.Tensor'>\n"
        "x_data.dtype: torch.int64\n"
        "x_data.shape: torch.Size([2, 2])\n"
        "x_data.device: cpu\n"
        "x_data.requires_grad: False\n"
        "x_data.is_leaf: True\n"
        "y_data: tensor([[0.1000, 1.2000],\n"
        "        [2.2000, 3.1000]])\n"
        "y_data.dtype: torch.float32\n")


def test_repr_of_op_results(td, capsys):
    out = _run(td, """
        V = torch.tensor([1., 2., 3.])
        print(V)
        x = torch.tensor([1., 2., 3])
        y = torch.tensor([4., 5., 6.])
        print(x + y)
        print(torch.zeros(2, 3))
        ones = torch.ones((2, 3))
        print(f"Ones Tensor: \\n {ones} \\n")
        a = torch.arange(1, 7).view(2, 3)
        print(a)
        print(torch.tensor([1., 2.]) * 2.5)
        print(torch.tensor([[1, 2], [3, 4]]) * torch.tensor([[5, 6], [7, 8]]))
        print(torch.tensor([1, 2, 3]).dot(torch.tensor([4, 5, 6])))
    """, capsys)
    assert out == (
        "tensor([1., 2., 3.])\n"
        "tensor([5., 7., 9.])\n"
        "tensor([[0., 0., 0.],\n        [0., 0., 0.]])\n"
        "Ones Tensor: \n tensor([[1., 1., 1.],\n        [1., 1., 1.]]) \n\n"
        "tensor([[1, 2, 3],\n        [4, 5, 6]])\n"
        "tensor([2.5000, 5.0000])\n"
        "tensor([[ 5, 12],\n        [21, 32]])\n"
        "tensor(32)\n")


def test_autograd_reprs(td, capsys):
    out = _run(td, """
        x = torch.tensor([1., 2., 3], requires_grad=True)
        y = torch.tensor([4., 5., 6], requires_grad=True)
        z = x + y
        print(z)
        print(z.grad_fn.name())
        s = z.sum()
        print(s)
        s.backward()
        print(x.grad)
        x = torch.tensor([1.0], requires_grad=True)
        print(x)
        g1 = x**2
        print(g1)
        g = g1 + 1
        print(g)
        h = torch.log(g)
        print(h)
        k = torch.sin(h)
        print(k)
        with torch.no_grad():
            print((x ** 2).requires_grad)
        d = torch.tensor([[0.97449152, 0.68652824, 0.51496251]], dtype=torch.float64)
        print(d)
    """, capsys)
    assert out == (
        "tensor([5., 7., 9.], grad_fn=<AddBackward0>)\n"
        "AddBackward0\n"
        "tensor(21., grad_fn=<SumBackward0>)\n"
        "tensor([1., 1., 1.])\n"
        "tensor([1.], requires_grad=True)\n"
        "tensor([1.], grad_fn=<PowBackward0>)\n"
        "tensor([2.], grad_fn=<AddBackward0>)\n"
        "tensor([0.6931], grad_fn=<LogBackward0>)\n"
        "tensor([0.6390], grad_fn=<SinBackward0>)\n"
        "False\n"
        "tensor([[0.9745, 0.6865, 0.5150]], dtype=torch.float64)\n")


def test_zero_dim_format_uses_item(td, capsys):
    out = _run(td, """
        t1 = torch.tensor([4, 9, 3])
        t2 = torch.tensor([0, 3, 9])
        t3 = torch.matmul(t1, t2)
        print(f"tensor3 = tensor1 @ tensor2: {t3}")
        print(f"tensor3.size(): {t3.size()}")
        print("Inner product is", t3)
        agg = torch.tensor([[1., 2.], [3., 4.]]).sum()
        print(agg.item(), type(agg.item()))
        print(f"{agg:.2f}")
    """, capsys)
    assert out == ("tensor3 = tensor1 @ tensor2: 54\n"
                   "tensor3.size(): torch.Size([])\n"
                   "Inner product is tensor(54)\n"
                   "10.0 <class 'float'>\n"
                   "10.00\n")


# ------------------------------------------------------------- generator fidelity

def test_seeded_sigmoid_network_matches_pytorch(td, capsys):
    """shared/seeds/001: torch.manual_seed(7) single-layer and two-layer networks."""
    out = _run(td, """
        def activation(x):
            return 1/(1+torch.exp(-x))
        torch.manual_seed(7)
        features = torch.randn((1, 5))
        weights = torch.randn_like(features)
        bias = torch.randn((1, 1))
        print(features)
        print(weights)
        print(bias)
        output = activation((features * weights).sum() + bias)
        print(output)
        output = activation(torch.mm(features, weights.view(5, 1)).sum() + bias)
        print(output.shape, output)
        torch.manual_seed(7)
        features = torch.randn((1, 3))
        n_input = features.shape[1]
        W1 = torch.randn(n_input, 2)
        W2 = torch.randn(2, 1)
        B1 = torch.randn((1, 2))
        B2 = torch.randn((1, 1))
        print(W1)
        hidden = activation(torch.mm(features, W1) + B1)
        output = activation(torch.mm(hidden, W2) + B2)
        print(hidden)
        print(output)
    """, capsys)
    assert out == (
        "tensor([[-0.1468,  0.7861,  0.9468, -1.1143,  1.6908]])\n"
        "tensor([[-0.8948, -0.3556,  1.2324,  0.1382, -1.6822]])\n"
        "tensor([[0.3177]])\n"
        "tensor([[0.1595]])\n"
        "torch.Size([1, 1]) tensor([[0.1595]])\n"
        "tensor([[-1.1143,  1.6908],\n"
        "        [-0.8948, -0.3556],\n"
        "        [ 1.2324,  0.1382]])\n"
        "tensor([[0.6813, 0.4355]])\n"
        "tensor([[0.3171]])\n")


def test_seeded_relu_network_matches_pytorch(td, capsys):
    """shared/seeds/000: fully connected layer with torch.manual_seed(42)."""
    out = _run(td, """
        torch.manual_seed(42)
        input_tensor = torch.tensor([[1.0, 2.0, 3.0]])
        weights_hidden = torch.randn(3, 4)
        bias_hidden = torch.randn(4)
        weights_output = torch.randn(4, 2)
        bias_output = torch.randn(2)
        hidden_layer = torch.matmul(input_tensor, weights_hidden) + bias_hidden
        hidden_layer_activated = torch.relu(hidden_layer)
        output_layer = torch.matmul(hidden_layer_activated, weights_output) + bias_output
        print("Output:", output_layer)
    """, capsys)
    assert out == "Output: tensor([[7.4129, 6.0104]])\n"


def test_seeded_randint_matmul_matches_pytorch(td, capsys):
    """shared/seeds/000: torch.manual_seed(0) then randint vectors and batches."""
    out = _run(td, """
        torch.manual_seed(0)
        tensor1 = torch.randint(low=0, high=10, size=(3,))
        tensor2 = torch.randint(low=0, high=10, size=(3,))
        print(tensor1, tensor2)
        tensor3 = torch.matmul(tensor1, tensor2)
        print(f"tensor3 = tensor1 @ tensor2: {tensor3}")
        tensor1 = torch.randint(low=0, high=10, size=(5, 3, 4))
        tensor2 = torch.randint(low=0, high=10, size=(4,))
        print(tensor2)
        print(torch.matmul(tensor1, tensor2))
    """, capsys)
    assert out == (
        "tensor([4, 9, 3]) tensor([0, 3, 9])\n"
        "tensor3 = tensor1 @ tensor2: 54\n"
        "tensor([8, 2, 8, 2])\n"
        "tensor([[124,  86, 140],\n"
        "        [104,  50, 162],\n"
        "        [ 36,  84,  94],\n"
        "        [ 88,  52,  44],\n"
        "        [ 44, 146,  72]])\n")


def test_seeded_randn_3d_matches_pytorch(td, capsys):
    """shared/seeds/002: torch.manual_seed(1); torch.randn((3, 4, 5))."""
    out = _run(td, """
        torch.manual_seed(1)
        x = torch.randn((3, 4, 5))
        print(x.reshape(12, 5).t().t().view(3, 4, 5).permute(0, 1, 2).contiguous().sum(2)
              .shape)
        print(torch.randn(2, 3, 4).view(2, 12).shape)
    """, capsys)
    assert out == "torch.Size([3, 4])\ntorch.Size([2, 12])\n"
    td.manual_seed(1)
    x = td.randn((3, 4, 5))
    first = x.tolist()[0]
    np.testing.assert_allclose(first[0], [-1.5256, -0.7502, -0.6540, -1.6095, -0.1002],
                               atol=1e-4)
    np.testing.assert_allclose(first[3], [0.4676, -0.6970, -1.1608, 0.6995, 0.1991],
                               atol=1e-4)


@pytest.mark.parametrize("v,expected", [
    (1.0, "Iteration 0, x: 1.0000, y: 0.638961, Auto Gradient of x: 0.769239, "
          "Manual Gradient of x: 0.769239"),
    (0.9, "Iteration 0, x: 0.9000, y: 0.559122, Auto Gradient of x: 0.824505, "
          "Manual Gradient of x: 0.824505"),
])
def test_seed_003_gradient_printout(td, capsys, v, expected):
    """shared/seeds/003 without the optimizer: y = sin(log(x^2 + 1)), auto vs manual grad."""
    out = _run(td, f"""
        def func(x):
            g = x**2 + 1
            h = torch.log(g)
            k = torch.sin(h)
            return k
        x = torch.tensor([{v}], requires_grad=True)
        i = 0
        y = func(x)
        manual = 2*x*torch.cos(torch.log(x**2+1))/(x**2+1)
        y.backward()
        print(f"Iteration {{i}}, x: {{x.item():.4f}}, y: {{y.item():.6f}}, Auto Gradient of x: "
              f"{{x.grad.item():.6f}}, Manual Gradient of x: {{manual.item():.6f}}")
    """, capsys)
    assert out == expected + "\n"


def test_seed_004_indexing_views_and_strides(td, capsys):
    """shared/seeds/004: seeded rand, list/mask/row indexing, view/reshape strides.

    The seed's printed values came from a notebook state its code does not
    reproduce; the expected output below is what PyTorch 1.13 (Debian
    python3-torch, /usr/bin/python3) prints for exactly this code.
    """
    out = _run(td, """
        import warnings
        torch.random.manual_seed(42)
        torch.zeros(3, 4, dtype=torch.float16)
        torch.zeros(2, 4, 5, dtype=torch.int16)
        torch.rand(2, 3, 4, 5)
        a = torch.rand(5)
        print(a[2])
        print(a[[2, 4]])
        print(a[[True, False, False, True, True]])
        tensor = torch.rand((5, 3))
        print(tensor[0])
        print(tensor[0, 2])
        rows = torch.tensor([0, 2, 4])
        print(tensor[rows])
        tensor = torch.rand(2, 3, 4)
        reshaped = tensor.reshape(24)
        view = tensor.view(3, 2, 4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert tensor.data_ptr() == view.data_ptr()
        assert np.all(np.equal(tensor.numpy().flat, reshaped.numpy().flat))
        print('Original stride: ', tensor.stride())
        print('Reshaped stride: ', reshaped.stride())
        print('Viewed stride: ', view.stride())
        print(view[0])
    """, capsys)
    assert out == (
        "tensor(0.4654)\n"
        "tensor([0.4654, 0.1568])\n"
        "tensor([0.5014, 0.1612, 0.1568])\n"
        "tensor([0.2083, 0.3289, 0.1054])\n"
        "tensor(0.1054)\n"
        "tensor([[0.2083, 0.3289, 0.1054],\n"
        "        [0.6558, 0.0766, 0.8460],\n"
        "        [0.0029, 0.6431, 0.3908]])\n"
        "Original stride:  (12, 4, 1)\n"
        "Reshaped stride:  (1,)\n"
        "Viewed stride:  (8, 4, 1)\n"
        "tensor([[0.6947, 0.0897, 0.8712, 0.1330],\n"
        "        [0.4137, 0.6044, 0.7581, 0.9037]])\n")


def test_seed_003_module_subclass(td, capsys):
    """shared/seeds/003: the computation graph as an nn.Module (without tensorboard)."""
    out = _run(td, """
        class OurNet(torch.nn.Module):
            def __init__(self):
                super(OurNet, self).__init__()

            def forward(self, x):
                g1 = x**2
                g = g1 + 1
                h = torch.log(g)
                k = torch.sin(h)
                return k

        graph = OurNet()
        print(graph)
        print(graph(torch.tensor([1.0], requires_grad=True)))
        print(graph(torch.randn((1))).shape)
    """, capsys)
    assert out == "OurNet()\ntensor([0.6390], grad_fn=<SinBackward0>)\ntorch.Size([1])\n"
