"""tensord.nn: Module machinery, Linear's seeded init against PyTorch, activations,
dropout, losses (values and gradients against NumPy), nn.init, reprs as torch's."""

import math
from collections import OrderedDict

import numpy as np
import pytest

RNG = np.random.default_rng(3)


def _np(t):
    return (t.detach() if t.requires_grad else t).numpy()


def _close(t, expected, rtol=1e-5, atol=1e-6):
    got = _np(t)
    expected = np.asarray(expected)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


# ------------------------------------------------------------------ Module machinery

def _mlp(td):
    nn = td.nn
    return nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Dropout(0.1),
                         nn.Linear(2, 1, bias=False))


def test_module_registration_and_traversal(td):
    nn = td.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(4, 3), nn.Tanh())
            self.head = nn.Linear(3, 2)
            self.scale = nn.Parameter(td.ones(1))
            self.register_buffer("steps", td.zeros(1, dtype=td.int64))
            self.register_buffer("cache", td.zeros(2), persistent=False)
            self.shared = self.head  # registered twice: deduplicated

        def forward(self, x):
            return self.head(self.body(x)) * self.scale

    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "body.0.weight", "body.0.bias", "head.weight", "head.bias"]
    assert len(list(net.parameters())) == 5
    assert [n for n, _ in net.named_buffers()] == ["steps", "cache"]
    assert [n for n, _ in net.named_children()] == ["body", "head"]
    assert [n for n, _ in net.named_modules()] == ["", "body", "body.0", "body.1", "head"]
    # state_dict does not deduplicate (as in PyTorch); non-persistent buffers stay out
    assert list(net.state_dict().keys()) == ["scale", "steps", "body.0.weight", "body.0.bias",
                                             "head.weight", "head.bias", "shared.weight",
                                             "shared.bias"]
    assert net.get_submodule("body.0") is net.body[0]
    assert net.get_parameter("head.bias") is net.head.bias
    assert isinstance(net.head.weight, nn.Parameter) and net.head.weight.requires_grad
    assert net.head.weight.is_leaf
    out = net(td.randn(5, 4))
    assert out.shape == (5, 2) and out.requires_grad
    with pytest.raises(AttributeError):
        net.nothing
    with pytest.raises(TypeError):
        net.scale = td.ones(1)  # a plain tensor cannot replace a parameter
    net.scale = None
    assert "scale" not in dict(net.named_parameters())
    del net.head
    assert "head" not in dict(net.named_children())


def test_train_eval_zero_grad_and_requires_grad(td):
    m = _mlp(td)
    assert m.training and m[2].training
    m.eval()
    assert not m.training and not m[2].training
    m.train()
    assert m[2].training
    m(td.randn(4, 3)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(p.grad is not None and p.grad.abs().sum().item() == 0 for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_state_dict_round_trip_and_errors(td):
    td.manual_seed(0)
    a, b = _mlp(td), _mlp(td)
    x = td.randn(3, 3)
    assert not td.allclose(a.eval()(x), b.eval()(x))
    result = b.load_state_dict(a.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    assert td.allclose(a(x), b(x))
    sd = a.state_dict()
    assert not sd["0.weight"].requires_grad
    # state dict tensors alias the parameters (as in PyTorch)
    with td.no_grad():
        a[0].bias.fill_(3.0)
    assert sd["0.bias"].tolist() == [3.0, 3.0]
    bad = OrderedDict(sd)
    bad.pop("3.weight")
    bad["extra"] = td.zeros(1)
    with pytest.raises(RuntimeError) as e:
        b.load_state_dict(bad)
    assert 'Missing key(s) in state_dict: "3.weight"' in str(e.value)
    assert 'Unexpected key(s) in state_dict: "extra"' in str(e.value)
    r = b.load_state_dict(bad, strict=False)
    assert r.missing_keys == [] and r.unexpected_keys == []
    bad = dict(sd)
    bad["0.weight"] = td.zeros(5, 5)
    with pytest.raises(RuntimeError, match="size mismatch for 0.weight"):
        b.load_state_dict(bad)
    # NumPy arrays (e.g. exported from PyTorch) load too
    b.load_state_dict({k: v.numpy() for k, v in a.state_dict().items()})
    assert td.allclose(a(x), b(x))


def test_module_to_converts_in_place(td):
    m = td.nn.Linear(3, 2)
    w = m.weight
    opt = td.optim.SGD(m.parameters(), lr=0.1)
    m(td.randn(2, 3)).sum().backward()
    m.double()
    assert m.weight is w and w.dtype == td.float64 and w.requires_grad and w.is_leaf
    assert w.grad is not None and w.grad.dtype == td.float64
    y = m(td.randn(4, 3, dtype=td.float64))
    assert y.dtype == td.float64
    before = w.detach().clone()
    opt.step()  # the optimizer still holds the same Parameter objects
    assert not td.equal(before, w.detach())
    m.to(td.float32)
    assert w.dtype == td.float32
    assert m.to("cpu") is m
    with pytest.raises(TypeError):
        m.to(td.int64)


def test_reprs_match_pytorch(td):
    nn = td.nn
    td.manual_seed(0)
    m = _mlp(td)
    # printed by PyTorch 1.13 for the same construction
    assert repr(m) == ("Sequential(\n"
                       "  (0): Linear(in_features=3, out_features=2, bias=True)\n"
                       "  (1): ReLU()\n"
                       "  (2): Dropout(p=0.1, inplace=False)\n"
                       "  (3): Linear(in_features=2, out_features=1, bias=False)\n"
                       ")")
    assert repr(m[0].weight) == ("Parameter containing:\n"
                                 "tensor([[-0.0043,  0.3097, -0.4752],\n"
                                 "        [-0.4249, -0.2224,  0.1548]], requires_grad=True)")
    reprs = [repr(x) for x in (nn.Softmax(dim=1), nn.GELU(), nn.LeakyReLU(), nn.Flatten(),
                               nn.CrossEntropyLoss(), nn.ReLU(inplace=True), nn.ELU(),
                               nn.Hardtanh(), nn.ReLU6(), nn.Sigmoid(), nn.Identity())]
    assert reprs == ["Softmax(dim=1)", "GELU(approximate='none')",
                     "LeakyReLU(negative_slope=0.01)", "Flatten(start_dim=1, end_dim=-1)",
                     "CrossEntropyLoss()", "ReLU(inplace=True)", "ELU(alpha=1.0)",
                     "Hardtanh(min_val=-1.0, max_val=1.0)", "ReLU6()", "Sigmoid()", "Identity()"]

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.seq = nn.Sequential(nn.Tanh(), nn.Linear(2, 1))

    assert repr(Net()) == ("Net(\n"
                           "  (fc): Linear(in_features=2, out_features=2, bias=True)\n"
                           "  (seq): Sequential(\n"
                           "    (0): Tanh()\n"
                           "    (1): Linear(in_features=2, out_features=1, bias=True)\n"
                           "  )\n"
                           ")")


def test_containers_and_hooks(td):
    nn = td.nn
    seq = nn.Sequential(OrderedDict([("a", nn.Linear(2, 3)), ("b", nn.ReLU())]))
    assert len(seq) == 2 and isinstance(seq[-1], nn.ReLU) and seq.a is seq[0]
    assert isinstance(seq[:1], nn.Sequential) and len(seq[:1]) == 1
    seq.append(nn.Linear(3, 1))
    assert len(seq) == 3 and seq(td.ones(4, 2)).shape == (4, 1)
    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    ml.append(nn.Tanh())
    assert len(ml) == 4 and len(list(ml.parameters())) == 6
    md = nn.ModuleDict({"x": nn.Linear(1, 2)})
    assert "x" in md and len(list(md.parameters())) == 2
    seen = []
    h = seq.register_forward_hook(lambda mod, args, out: seen.append(tuple(out.shape)))
    pre = seq.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    out = seq(td.ones(5, 2))
    assert seen == [(5, 1)]
    h.remove()
    pre.remove()
    seq(td.ones(5, 2))
    assert seen == [(5, 1)]
    assert out.shape == (5, 1)


# ------------------------------------------------------------------ Linear and init

# torch.manual_seed(0); torch.nn.Linear(4, 3) -- weight then bias, PyTorch 1.13.
TORCH_LINEAR_W = [[-0.3853117823600769, -0.18323487043380737, 0.19650495052337646,
                   0.4142746925354004],
                  [0.4351036548614502, 0.4411783814430237, 0.09950727224349976,
                   -0.43479132652282715],
                  [0.045996248722076416, -0.31280267238616943, -0.4659770727157593,
                   0.44424623250961304]]
TORCH_LINEAR_B = [0.38017988204956055, -0.4987639784812927, 0.0935860276222229]


def test_linear_default_init_matches_pytorch(td):
    td.manual_seed(0)
    td.empty(5).uniform_(-2, 3)     # the same draws as the PyTorch run that printed these
    td.empty(20).normal_(1.0, 2.0)
    td.empty(7).bernoulli_(0.3)
    td.randperm(10)
    td.bernoulli(td.full((6,), 0.5))
    lin = td.nn.Linear(4, 3)
    assert lin.weight.tolist() == TORCH_LINEAR_W
    assert lin.bias.tolist() == TORCH_LINEAR_B
    x = RNG.standard_normal((5, 4)).astype(np.float32)
    _close(lin(td.tensor(x)), x @ np.array(TORCH_LINEAR_W).T + TORCH_LINEAR_B)
    nob = td.nn.Linear(4, 2, bias=False)
    assert nob.bias is None and len(list(nob.parameters())) == 1
    _close(nob(td.tensor(x)), x @ nob.weight.detach().numpy().T)
    bound = 1 / math.sqrt(4)
    w = nob.weight.detach().numpy()
    assert np.all(np.abs(w) <= bound)


def test_init_functions(td):
    init = td.nn.init
    w = td.empty(30, 20)
    init.xavier_uniform_(w)
    a = math.sqrt(6.0 / 50)
    assert np.abs(w.numpy()).max() <= a and np.abs(w.numpy()).max() > 0.8 * a
    init.kaiming_uniform_(w, nonlinearity="relu")
    assert np.abs(w.numpy()).max() <= math.sqrt(6.0 / 20)
    init.normal_(w, 2.0, 0.01)
    assert abs(w.numpy().mean() - 2.0) < 0.01
    init.kaiming_normal_(w, mode="fan_out")
    init.xavier_normal_(w, gain=init.calculate_gain("tanh"))
    init.constant_(w, 0.5)
    assert set(np.unique(w.numpy())) == {0.5}
    init.zeros_(w)
    assert w.abs().sum().item() == 0
    init.ones_(w)
    assert w.sum().item() == 600
    e = td.empty(2, 3)
    init.eye_(e)
    _close(e, np.eye(2, 3))
    init.uniform_(e, -1, 1)
    assert np.abs(e.numpy()).max() <= 1
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    p = td.nn.Parameter(td.zeros(3, 3))
    init.uniform_(p)  # parameters are filled under no_grad
    assert p.requires_grad and p.is_leaf
    with pytest.raises(ValueError):
        init.xavier_uniform_(td.empty(3))


def test_parameter_aliases_its_data(td):
    t = td.zeros(2)
    p = td.nn.Parameter(t)
    assert p.requires_grad and p.is_leaf and isinstance(p, td.Tensor)
    with td.no_grad():
        p.add_(1.0)
    assert t.tolist() == [1.0, 1.0]
    q = td.nn.Parameter(td.ones(2), requires_grad=False)
    assert not q.requires_grad
    assert type(p * 2) is td.Tensor


# ------------------------------------------------------------------ activations, dropout

def test_activations_match_numpy(td):
    nn, F = td.nn, td.nn.functional
    a = RNG.standard_normal((3, 5)).astype(np.float32) * 3
    x = td.tensor(a)
    sig = 1 / (1 + np.exp(-a))
    cases = [
        (nn.ReLU(), np.maximum(a, 0)), (nn.Sigmoid(), sig), (nn.Tanh(), np.tanh(a)),
        (nn.LeakyReLU(0.1), np.where(a > 0, a, 0.1 * a)),
        (nn.ELU(), np.where(a > 0, a, np.expm1(a))), (nn.ReLU6(), np.clip(a, 0, 6)),
        (nn.Hardtanh(-2, 2), np.clip(a, -2, 2)), (nn.SiLU(), a * sig),
        (nn.Softplus(), np.log1p(np.exp(a))), (nn.LogSigmoid(), np.log(sig)),
        (nn.Softmax(dim=1), np.exp(a) / np.exp(a).sum(1, keepdims=True)),
        (nn.LogSoftmax(dim=0), a - np.log(np.exp(a).sum(0, keepdims=True))),
        (nn.Softmin(dim=1), np.exp(-a) / np.exp(-a).sum(1, keepdims=True)),
        (nn.Flatten(0), a.reshape(-1)), (nn.Identity(), a),
        (nn.Unflatten(1, (5, 1)), a.reshape(3, 5, 1)),
    ]
    for module, expected in cases:
        _close(module(x), expected, rtol=1e-5, atol=1e-5)
    import math as m
    erf = np.vectorize(m.erf)
    _close(nn.GELU()(x), a * 0.5 * (1 + erf(a / np.sqrt(2))), rtol=1e-5, atol=1e-5)
    _close(F.gelu(x, approximate="tanh"),
           0.5 * a * (1 + np.tanh(np.sqrt(2 / np.pi) * (a + 0.044715 * a ** 3))),
           rtol=1e-4, atol=1e-5)
    y = td.tensor(a.copy())
    F.relu(y, inplace=True)
    _close(y, np.maximum(a, 0))
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        F.softmax(x)


# torch.manual_seed(3); F.dropout(torch.ones(4, 5), 0.4) -- PyTorch 1.13.
TORCH_DROPOUT = [[1, 1, 0, 1, 0], [0, 1, 1, 1, 0], [1, 1, 1, 1, 0], [1, 1, 1, 0, 1]]


def test_dropout_matches_pytorch_and_respects_eval(td):
    td.manual_seed(3)
    y = td.nn.functional.dropout(td.ones(4, 5), 0.4)
    _close(y, np.array(TORCH_DROPOUT, np.float32) / 0.6)
    d = td.nn.Dropout(0.5)
    x = td.ones(100, 100, requires_grad=True)
    out = d(x)
    kept = (out.detach().numpy() != 0).mean()
    assert 0.45 < kept < 0.55 and set(np.unique(out.detach().numpy())) == {0.0, 2.0}
    out.sum().backward()
    _close(x.grad, (out.detach().numpy() != 0) * 2.0)
    d.eval()
    assert d(x) is x
    assert td.nn.functional.dropout(x, 1.0).abs().sum().item() == 0
    with pytest.raises(ValueError):
        td.nn.Dropout(1.5)


# ------------------------------------------------------------------ losses

def _log_softmax(a, axis=1):
    m = a.max(axis=axis, keepdims=True)
    return a - m - np.log(np.exp(a - m).sum(axis=axis, keepdims=True))


def test_regression_losses(td):
    nn = td.nn
    a = RNG.standard_normal((4, 3)).astype(np.float32)
    b = RNG.standard_normal((4, 3)).astype(np.float32)
    x, y = td.tensor(a), td.tensor(b)
    d = a - b
    _close(nn.MSELoss()(x, y), np.mean(d * d))
    _close(nn.MSELoss(reduction="sum")(x, y), np.sum(d * d), rtol=1e-5)
    _close(nn.MSELoss(reduction="none")(x, y), d * d)
    _close(nn.L1Loss()(x, y), np.mean(np.abs(d)))
    huber = np.where(np.abs(d) < 0.5, 0.5 * d * d, 0.5 * (np.abs(d) - 0.25))
    _close(nn.HuberLoss(delta=0.5)(x, y), huber.mean())
    sl1 = np.where(np.abs(d) < 0.5, 0.5 * d * d / 0.5, np.abs(d) - 0.25)
    _close(nn.SmoothL1Loss(beta=0.5)(x, y), sl1.mean())
    with pytest.warns(UserWarning, match="different to the input size"):
        nn.functional.mse_loss(x, td.zeros(3))
    xr = td.tensor(a, requires_grad=True)
    nn.MSELoss()(xr, y).backward()
    _close(xr.grad, 2 * d / d.size)
    with pytest.warns(UserWarning, match="reduction='sum'"):
        _close(nn.functional.mse_loss(x, y, size_average=False), np.sum(d * d), rtol=1e-5)


def test_cross_entropy_and_nll(td):
    nn, F = td.nn, td.nn.functional
    logits = RNG.standard_normal((5, 4)).astype(np.float32)
    target = np.array([0, 3, 1, 1, 2])
    lp = _log_softmax(logits)
    picked = -lp[np.arange(5), target]
    x, t = td.tensor(logits), td.tensor(target)
    _close(nn.CrossEntropyLoss()(x, t), picked.mean())
    _close(F.cross_entropy(x, t, reduction="sum"), picked.sum())
    _close(F.cross_entropy(x, t, reduction="none"), picked)
    w = np.array([1.0, 2.0, 0.5, 3.0], np.float32)
    _close(nn.CrossEntropyLoss(weight=td.tensor(w))(x, t),
           (picked * w[target]).sum() / w[target].sum())
    # ignore_index: ignored targets contribute nothing; the mean is over the others
    t_ign = np.array([0, 7, 1, 7, 2])
    keep = t_ign != 7
    ign_picked = -lp[np.arange(5), np.where(keep, t_ign, 0)]
    _close(F.cross_entropy(x, td.tensor(t_ign), ignore_index=7), ign_picked[keep].mean())
    _close(F.cross_entropy(x, td.tensor(np.where(keep, t_ign, -100))), ign_picked[keep].mean())
    _close(nn.NLLLoss()(td.tensor(lp), t), picked.mean())
    _close(nn.NLLLoss(reduction="none", ignore_index=3)(td.tensor(lp), t),
           np.where(target == 3, 0.0, picked))
    # label smoothing (ATen's mixture)
    s = 0.2
    smooth = -lp.sum(1)
    _close(F.cross_entropy(x, t, label_smoothing=s),
           (1 - s) * picked.mean() + s / 4 * smooth.mean())
    # class probabilities as target
    probs = np.exp(_log_softmax(RNG.standard_normal((5, 4)).astype(np.float32)))
    _close(F.cross_entropy(x, td.tensor(probs)), -(lp * probs).sum() / 5)
    _close(F.cross_entropy(x, td.tensor(probs), weight=td.tensor(w), reduction="none"),
           -(lp * probs * w).sum(1))
    # 1-D input with a 0-d target, and (N, C, d) inputs
    _close(F.cross_entropy(td.tensor(logits[0]), td.tensor(2)), -lp[0, 2])
    k = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    kt = np.array([[0, 1, 2, 1], [2, 2, 0, 0]])
    lpk = _log_softmax(k, 1)
    _close(F.cross_entropy(td.tensor(k), td.tensor(kt)),
           -np.take_along_axis(lpk, kt[:, None, :], 1).mean())
    # gradient: (softmax - onehot) / N
    xr = td.tensor(logits, requires_grad=True)
    F.cross_entropy(xr, t).backward()
    onehot = np.eye(4)[target]
    _close(xr.grad, (np.exp(lp) - onehot) / 5)
    with pytest.raises(RuntimeError, match="expected scalar type Long"):
        F.nll_loss(td.tensor(lp), td.tensor(target, dtype=td.int32))


def test_binary_cross_entropy(td):
    nn, F = td.nn, td.nn.functional
    z = RNG.standard_normal((6,)).astype(np.float32) * 4
    t = (RNG.random(6) > 0.5).astype(np.float32)
    p = 1 / (1 + np.exp(-z))
    bce = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    _close(nn.BCELoss()(td.tensor(p), td.tensor(t)), bce.mean(), rtol=1e-4)
    _close(nn.BCEWithLogitsLoss()(td.tensor(z), td.tensor(t)), bce.mean(), rtol=1e-4)
    pw = np.array([2.0], np.float32)
    weighted = -(pw * t * np.log(p) + (1 - t) * np.log(1 - p))
    _close(nn.BCEWithLogitsLoss(pos_weight=td.tensor(pw))(td.tensor(z), td.tensor(t)),
           weighted.mean(), rtol=1e-4)
    w = np.linspace(0.5, 1.5, 6).astype(np.float32)
    _close(F.binary_cross_entropy(td.tensor(p), td.tensor(t), weight=td.tensor(w),
                                  reduction="sum"), (bce * w).sum(), rtol=1e-4)
    # log is clamped at -100: a certain wrong prediction costs 100, not inf
    assert F.binary_cross_entropy(td.tensor([0.0]), td.tensor([1.0])).item() == 100.0
    # logits far outside float range of exp stay finite
    big = F.binary_cross_entropy_with_logits(td.tensor([100.0, -100.0]), td.tensor([0.0, 1.0]),
                                             reduction="none")
    _close(big, [100.0, 100.0])
    zr = td.tensor(z, requires_grad=True)
    F.binary_cross_entropy_with_logits(zr, td.tensor(t)).backward()
    _close(zr.grad, (p - t) / 6, rtol=1e-4)
    with pytest.raises(ValueError):
        F.binary_cross_entropy(td.tensor(p), td.tensor(t[:3]))


def test_one_hot_and_normalize(td):
    F = td.nn.functional
    oh = F.one_hot(td.tensor([0, 2, 1]))
    assert oh.dtype == td.int64 and oh.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert F.one_hot(td.tensor([1]), num_classes=4).tolist() == [[0, 1, 0, 0]]
    a = RNG.standard_normal((3, 4)).astype(np.float32)
    _close(F.normalize(td.tensor(a)), a / np.linalg.norm(a, axis=1, keepdims=True))
    _close(F.normalize(td.tensor(a), p=1, dim=0), a / np.abs(a).sum(0, keepdims=True))


def test_deepcopy_of_tensors_and_modules(td):
    import copy
    x = td.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    y = copy.deepcopy(x)
    assert y is not x and y.requires_grad and y.is_leaf and y.grad.tolist() == [3.0, 3.0]
    with td.no_grad():
        y.add_(1.0)
    assert x.tolist() == [1.0, 2.0] and y.tolist() == [2.0, 3.0]
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(x * 2)
    m = _mlp(td)
    best = copy.deepcopy(m)
    assert isinstance(best[0].weight, td.nn.Parameter) and best[0].weight.requires_grad
    assert best[0].weight is not m[0].weight
    with td.no_grad():
        m[0].weight.zero_()
    assert best[0].weight.abs().sum().item() > 0
    shared = td.nn.Linear(2, 2)
    pair = td.nn.Sequential(shared, shared)
    twin = copy.deepcopy(pair)
    assert twin[0] is twin[1] and twin[0].weight is twin[1].weight  # memo keeps sharing
    with pytest.raises(TypeError, match="cannot be pickled"):
        import pickle
        pickle.dumps(td.ones(2))


def test_gradient_clipping_and_vector_conversion(td):
    utils = td.nn.utils
    a = td.nn.Parameter(td.tensor([3.0, 0.0]))
    b = td.nn.Parameter(td.tensor([0.0, 4.0]))
    c = td.nn.Parameter(td.tensor([1.0]))  # no gradient: ignored
    a.grad = td.tensor([3.0, 0.0])
    b.grad = td.tensor([0.0, 4.0])
    total = utils.clip_grad_norm_([a, b, c], max_norm=1.0)
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(a.grad.tolist(), [0.6, 0.0], rtol=1e-5)
    np.testing.assert_allclose(b.grad.tolist(), [0.0, 0.8], rtol=1e-5)
    assert c.grad is None
    # below the threshold nothing changes; the inf norm is the largest |g|
    total = utils.clip_grad_norm_([a, b], max_norm=10.0, norm_type="inf")
    assert total.item() == pytest.approx(0.8)
    np.testing.assert_allclose(b.grad.tolist(), [0.0, 0.8], rtol=1e-5)
    a.grad = td.tensor([float("nan"), 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        utils.clip_grad_norm_(a, 1.0, error_if_nonfinite=True)
    a.grad = td.tensor([-3.0, 0.5])
    utils.clip_grad_value_([a], 1.0)
    assert a.grad.tolist() == [-1.0, 0.5]
    assert utils.clip_grad_norm_([c], 1.0).item() == 0.0
    m = td.nn.Linear(3, 2)
    v = utils.parameters_to_vector(m.parameters())
    assert v.shape == (8,)
    utils.vector_to_parameters(td.arange(8.0), m.parameters())
    assert m.weight.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert m.bias.tolist() == [6.0, 7.0] and m.weight.requires_grad
