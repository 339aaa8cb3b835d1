// The op table (ggml test-backend-ops style): one row per op case drives
//  * forward in float32 against an independent float64 reference, and
//  * central-difference gradient checks in float64 for differentiable ops.
// A new op joins both suites by adding one row.
#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <map>
#include <set>

#include "engine/meta.h"
#include "engine/tests/test_util.h"

namespace tensord::engine {
namespace {
using namespace testing;

// A float64 reference array.
struct Nd {
  std::vector<int64_t> shape;
  std::vector<double> v;
};
using RefFn = std::function<Nd(const std::vector<Nd>&)>;

std::vector<int64_t> RowMajorStrides(const std::vector<int64_t>& s) {
  std::vector<int64_t> st(s.size(), 1);
  for (int64_t i = static_cast<int64_t>(s.size()) - 2; i >= 0; --i) st[i] = st[i + 1] * s[i + 1];
  return st;
}
int64_t Count(const std::vector<int64_t>& s) { return std::accumulate(s.begin(), s.end(), int64_t{1}, std::multiplies<>()); }

std::vector<int64_t> Unravel(int64_t i, const std::vector<int64_t>& shape) {
  std::vector<int64_t> idx(shape.size());
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) { idx[d] = i % shape[d]; i /= shape[d]; }
  return idx;
}
// Element of `a` at a broadcast index of the (right-aligned) output shape.
double At(const Nd& a, const std::vector<int64_t>& idx) {
  auto st = RowMajorStrides(a.shape);
  int64_t off = 0, lead = static_cast<int64_t>(idx.size() - a.shape.size());
  for (size_t d = 0; d < a.shape.size(); ++d) off += (a.shape[d] == 1 ? 0 : idx[lead + d]) * st[d];
  return a.v[off];
}
std::vector<int64_t> Broadcast(std::vector<int64_t> a, std::vector<int64_t> b) {
  if (a.size() < b.size()) std::swap(a, b);
  std::vector<int64_t> out = a;
  for (size_t i = 0; i < b.size(); ++i) {
    int64_t& o = out[a.size() - b.size() + i];
    o = o == 1 ? b[i] : o;
  }
  return out;
}

RefFn ReduceWith(std::vector<int64_t> dims, bool keepdim, double init, std::function<double(double, double)> f,
                 std::function<double(double, int64_t)> post);
RefFn Map1(std::function<double(double)> f) {
  return [f](const std::vector<Nd>& in) {
    Nd r{in[0].shape, in[0].v};
    for (double& x : r.v) x = f(x);
    return r;
  };
}
RefFn Map2(std::function<double(double, double)> f) {
  return [f](const std::vector<Nd>& in) {
    Nd r{Broadcast(in[0].shape, in[1].shape), {}};
    for (int64_t i = 0; i < Count(r.shape); ++i) {
      auto idx = Unravel(i, r.shape);
      r.v.push_back(f(At(in[0], idx), At(in[1], idx)));
    }
    return r;
  };
}
RefFn ReduceWith(std::vector<int64_t> dims, bool keepdim, double init, std::function<double(double, double)> f,
                 std::function<double(double, int64_t)> post = nullptr) {
  return [=](const std::vector<Nd>& in) {
    const Nd& a = in[0];
    std::vector<bool> red(a.shape.size(), dims.empty());
    for (int64_t d : dims) red[d < 0 ? d + a.shape.size() : d] = true;
    std::vector<int64_t> kshape;
    int64_t n = 1;
    for (size_t d = 0; d < a.shape.size(); ++d) { kshape.push_back(red[d] ? 1 : a.shape[d]); if (red[d]) n *= a.shape[d]; }
    Nd r{kshape, std::vector<double>(Count(kshape), init)};
    auto st = RowMajorStrides(kshape);
    for (int64_t i = 0; i < Count(a.shape); ++i) {
      auto idx = Unravel(i, a.shape);
      int64_t off = 0;
      for (size_t d = 0; d < idx.size(); ++d) off += (red[d] ? 0 : idx[d]) * st[d];
      r.v[off] = f(r.v[off], a.v[i]);
    }
    if (post) for (double& x : r.v) x = post(x, n);
    if (!keepdim) {
      r.shape.clear();
      for (size_t d = 0; d < a.shape.size(); ++d) if (!red[d]) r.shape.push_back(a.shape[d]);
    }
    return r;
  };
}
RefFn Reduce(std::vector<int64_t> dims, bool keepdim, bool mean) {
  return ReduceWith(dims, keepdim, 0.0, std::plus<>(),
                    mean ? std::function<double(double, int64_t)>([](double x, int64_t n) { return x / n; }) : nullptr);
}
// Applies `f` to every line along `dim` of a 2-D input (softmax, cumsum...).
RefFn Lines(int64_t dim, std::function<std::vector<double>(std::vector<double>)> f) {
  return [=](const std::vector<Nd>& in) {
    const Nd& a = in[0];
    Nd r = a;
    int64_t rows = a.shape[0], cols = a.shape[1];
    int64_t lines = dim == 0 ? cols : rows, n = dim == 0 ? rows : cols;
    for (int64_t l = 0; l < lines; ++l) {
      std::vector<double> line;
      for (int64_t k = 0; k < n; ++k) line.push_back(dim == 0 ? a.v[k * cols + l] : a.v[l * cols + k]);
      line = f(line);
      for (int64_t k = 0; k < n; ++k) (dim == 0 ? r.v[k * cols + l] : r.v[l * cols + k]) = line[k];
    }
    return r;
  };
}
std::vector<double> SoftmaxLine(std::vector<double> v) {
  double m = *std::max_element(v.begin(), v.end()), s = 0;
  for (double x : v) s += std::exp(x - m);
  for (double& x : v) x = std::exp(x - m) / s;
  return v;
}
// torch.matmul semantics, naively.
Nd MatmulRef(const std::vector<Nd>& in) {
  Nd a = in[0], b = in[1];
  bool a1 = a.shape.size() == 1, b1 = b.shape.size() == 1;
  if (a1) a.shape.insert(a.shape.begin(), 1);
  if (b1) b.shape.push_back(1);
  int64_t n = a.shape[a.shape.size() - 2], k = a.shape.back(), m = b.shape.back();
  std::vector<int64_t> ba(a.shape.begin(), a.shape.end() - 2), bb(b.shape.begin(), b.shape.end() - 2);
  std::vector<int64_t> batch = Broadcast(ba, bb);
  std::vector<int64_t> oshape = batch;
  oshape.push_back(n);
  oshape.push_back(m);
  Nd r{oshape, {}};
  for (int64_t i = 0; i < Count(oshape); ++i) {
    auto idx = Unravel(i, oshape);
    double s = 0;
    for (int64_t p = 0; p < k; ++p) {
      auto ia = idx, ib = idx;
      ia[ia.size() - 1] = p;
      ib[ib.size() - 2] = p;
      s += At(a, ia) * At(b, ib);
    }
    r.v.push_back(s);
  }
  std::vector<int64_t> final_shape = batch;
  if (!a1) final_shape.push_back(n);
  if (!b1) final_shape.push_back(m);
  r.shape = final_shape;
  return r;
}
RefFn Permute(std::vector<int64_t> perm) {
  return [perm](const std::vector<Nd>& in) {
    const Nd& a = in[0];
    Nd r;
    for (int64_t p : perm) r.shape.push_back(a.shape[p]);
    auto st = RowMajorStrides(a.shape);
    for (int64_t i = 0; i < Count(r.shape); ++i) {
      auto idx = Unravel(i, r.shape);
      int64_t off = 0;
      for (size_t d = 0; d < perm.size(); ++d) off += idx[d] * st[perm[d]];
      r.v.push_back(a.v[off]);
    }
    return r;
  };
}
RefFn Reshaped(std::vector<int64_t> shape) {
  return [shape](const std::vector<Nd>& in) { return Nd{shape, in[0].v}; };
}
RefFn ExpandTo(std::vector<int64_t> shape) {
  return [shape](const std::vector<Nd>& in) {
    Nd r{shape, {}};
    for (int64_t i = 0; i < Count(shape); ++i) r.v.push_back(At(in[0], Unravel(i, shape)));
    return r;
  };
}

struct OpCase {
  std::string name;  // test label
  std::string op;
  std::vector<std::vector<int64_t>> shapes;
  AttrMap attrs;
  RefFn ref;
  double lo = -2, hi = 2;
  bool grad = true;
  int bool_input = -1;  // this input is a mask: bool, true where the sample > 0
  std::map<int, std::vector<double>> long_inputs = {};  // int64 inputs with these values
};

// Element [idx] of a row-major Nd.
double Get(const Nd& a, const std::vector<int64_t>& idx) {
  auto st = RowMajorStrides(a.shape);
  int64_t off = 0;
  for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * st[d];
  return a.v[off];
}

// Brute-force einsum: every assignment of the labels, products summed into
// the output. "..." becomes fresh upper-case labels, right-aligned; size-1
// dims broadcast.
RefFn EinsumRef(std::string eq) {
  return [eq](const std::vector<Nd>& in) {
    size_t arrow = eq.find("->");
    std::string lhs = eq.substr(0, arrow), out = arrow == std::string::npos ? "" : eq.substr(arrow + 2);
    std::vector<std::string> terms;
    for (size_t p = 0, q; p <= lhs.size(); p = q + 1) {
      q = lhs.find(',', p);
      if (q == std::string::npos) q = lhs.size();
      terms.push_back(lhs.substr(p, q - p));
    }
    size_t ell = 0;
    for (size_t i = 0; i < terms.size(); ++i) {
      if (terms[i].find("...") != std::string::npos) ell = std::max(ell, in[i].shape.size() - (terms[i].size() - 3));
    }
    auto expand = [&](std::string t, size_t ndim) {
      size_t p = t.find("...");
      if (p == std::string::npos) return t;
      size_t e = ndim - (t.size() - 3);
      std::string fill;
      for (size_t k = ell - e; k < ell; ++k) fill.push_back(static_cast<char>('Q' + k));
      return t.substr(0, p) + fill + t.substr(p + 3);
    };
    std::string all_ell;
    for (size_t k = 0; k < ell; ++k) all_ell.push_back(static_cast<char>('Q' + k));
    for (size_t i = 0; i < terms.size(); ++i) terms[i] = expand(terms[i], in[i].shape.size());
    if (arrow == std::string::npos) {
      out = all_ell;
      std::string joined;
      for (auto& t : terms) joined += t;
      for (char c = 'a'; c <= 'z'; ++c) if (std::count(joined.begin(), joined.end(), c) == 1) out.push_back(c);
    } else if (out.find("...") != std::string::npos) {
      out = out.substr(0, out.find("...")) + all_ell + out.substr(out.find("...") + 3);
    }
    std::map<char, int64_t> size;
    for (size_t i = 0; i < terms.size(); ++i) {
      for (size_t d = 0; d < terms[i].size(); ++d) size[terms[i][d]] = std::max(size[terms[i][d]], in[i].shape[d]);
    }
    std::vector<char> labels;
    std::vector<int64_t> extents;
    for (auto [c, n] : size) { labels.push_back(c); extents.push_back(n); }
    Nd r;
    for (char c : out) r.shape.push_back(size[c]);
    r.v.assign(Count(r.shape), 0.0);
    for (int64_t i = 0; i < Count(extents); ++i) {
      auto idx = Unravel(i, extents);
      auto value = [&](char c) { return idx[std::find(labels.begin(), labels.end(), c) - labels.begin()]; };
      double prod = 1;
      for (size_t k = 0; k < terms.size(); ++k) {
        std::vector<int64_t> at;
        for (size_t d = 0; d < terms[k].size(); ++d) at.push_back(in[k].shape[d] == 1 ? 0 : value(terms[k][d]));
        prod *= Get(in[k], at);
      }
      std::vector<int64_t> o;
      for (char c : out) o.push_back(value(c));
      int64_t off = 0;
      auto st = RowMajorStrides(r.shape);
      for (size_t d = 0; d < o.size(); ++d) off += o[d] * st[d];
      r.v[off] += prod;
    }
    return r;
  };
}

// out[idx] = in[map(idx)] for an output of `shape` (views, slicing).
RefFn Gather(std::vector<int64_t> shape, std::function<std::vector<int64_t>(std::vector<int64_t>)> map) {
  return [=](const std::vector<Nd>& in) {
    Nd r{shape, {}};
    for (int64_t i = 0; i < Count(shape); ++i) r.v.push_back(Get(in[0], map(Unravel(i, shape))));
    return r;
  };
}
// Concatenation along dim 1 of 2-D inputs.
Nd Cat1(const std::vector<Nd>& in) {
  int64_t rows = in[0].shape[0], cols = 0;
  for (const Nd& a : in) cols += a.shape[1];
  Nd r{{rows, cols}, {}};
  for (int64_t i = 0; i < rows; ++i) {
    for (const Nd& a : in) {
      for (int64_t j = 0; j < a.shape[1]; ++j) r.v.push_back(a.v[i * a.shape[1] + j]);
    }
  }
  return r;
}

using Ints = std::vector<int64_t>;
std::vector<OpCase> Cases() {
  auto sig = [](double x) { return 1 / (1 + std::exp(-x)); };
  return {
      {"add_broadcast", "add", {{2, 3}, {3}}, {}, Map2([](double a, double b) { return a + b; })},
      {"add_alpha", "add", {{2, 3}, {2, 1}}, {{"alpha", 2.5}}, Map2([](double a, double b) { return a + 2.5 * b; })},
      {"sub_broadcast", "sub", {{4, 1}, {1, 5}}, {}, Map2([](double a, double b) { return a - b; })},
      {"rsub", "rsub", {{2, 3}, {3}}, {{"alpha", 2.0}}, Map2([](double a, double b) { return b - 2 * a; })},
      {"mul", "mul", {{3, 4}, {3, 4}}, {}, Map2([](double a, double b) { return a * b; })},
      {"mul_0d", "mul", {{3, 4}, {}}, {}, Map2([](double a, double b) { return a * b; })},
      {"div", "div", {{2, 3}, {2, 3}}, {}, Map2([](double a, double b) { return a / b; }), 0.5, 2},
      {"div_floor", "div", {{2, 3}, {3}}, {{"rounding_mode", std::string("floor")}},
       Map2([](double a, double b) { return std::floor(a / b); }), -3, 3},
      {"div_trunc", "div", {{6}, {6}}, {{"rounding_mode", std::string("trunc")}},
       Map2([](double a, double b) { return std::trunc(a / b); }), -3, 3},
      {"remainder", "remainder", {{2, 3}, {3}}, {}, Map2([](double a, double b) {
         double r = std::fmod(a, b);
         return r != 0 && ((r < 0) != (b < 0)) ? r + b : r;
       }), 0.3, 3},
      {"remainder_neg", "remainder", {{6}, {6}}, {}, Map2([](double a, double b) {
         double r = std::fmod(a, b);
         return r != 0 && ((r < 0) != (b < 0)) ? r + b : r;
       }), -3, -0.3},
      {"fmod", "fmod", {{6}, {6}}, {}, Map2([](double a, double b) { return std::fmod(a, b); }), -3, -0.3},
      {"logical_and", "logical_and", {{2, 3}, {3}}, {}, Map2([](double a, double b) { return double(a != 0 && b != 0); }), -2, 2, false, 1},
      {"logical_xor", "logical_xor", {{6}, {6}}, {}, Map2([](double a, double b) { return double((a != 0) != (b != 0)); }), -2, 2, false, 1},
      {"bitwise_and", "bitwise_and", {{4}, {4}}, {}, Map2([](double a, double b) { return double(int64_t(a) & int64_t(b)); }),
       -2, 2, false, -1, {{0, {12, 7, -1, 5}}, {1, {10, 3, 6, 0}}}},
      {"bitwise_xor", "bitwise_xor", {{4}, {4}}, {}, Map2([](double a, double b) { return double(int64_t(a) ^ int64_t(b)); }),
       -2, 2, false, -1, {{0, {12, 7, -1, 5}}, {1, {10, 3, 6, 0}}}},
      {"logical_not", "logical_not", {{6}}, {}, Map1([](double a) { return double(a == 0); }), -2, 2, false, 0},
      {"bitwise_not", "bitwise_not", {{3}}, {}, Map1([](double a) { return double(~int64_t(a)); }), -2, 2, false, -1,
       {{0, {0, 5, -3}}}},
      {"isfinite", "isfinite", {{6}}, {}, Map1([](double) { return 1.0; }), -2, 2, false},
      {"nan_to_num", "nan_to_num", {{6}}, {}, Map1([](double a) { return a; })},
      {"pow", "pow", {{5}, {5}}, {}, Map2([](double a, double b) { return std::pow(a, b); }), 0.5, 2},
      {"neg", "neg", {{2, 3}}, {}, Map1([](double a) { return -a; })},
      {"exp", "exp", {{2, 3}}, {}, Map1([](double a) { return std::exp(a); })},
      {"log", "log", {{2, 3}}, {}, Map1([](double a) { return std::log(a); }), 0.2, 3},
      {"sin", "sin", {{7}}, {}, Map1([](double a) { return std::sin(a); })},
      {"cos", "cos", {{7}}, {}, Map1([](double a) { return std::cos(a); })},
      {"relu", "relu", {{9}}, {}, Map1([](double a) { return a > 0 ? a : 0; })},
      {"threshold_backward", "threshold_backward", {{2, 3}, {2, 3}}, {{"threshold", 0.5}},
       Map2([](double g, double x) { return x > 0.5 ? g : 0; })},
      {"sigmoid", "sigmoid", {{2, 4}}, {}, Map1(sig)},
      {"abs", "abs", {{7}}, {}, Map1([](double a) { return std::abs(a); })},
      {"sign", "sign", {{7}}, {}, Map1([](double a) { return (a > 0) - (a < 0); })},
      {"sqrt", "sqrt", {{2, 3}}, {}, Map1([](double a) { return std::sqrt(a); }), 0.2, 3},
      {"rsqrt", "rsqrt", {{2, 3}}, {}, Map1([](double a) { return 1 / std::sqrt(a); }), 0.2, 3},
      {"expm1", "expm1", {{6}}, {}, Map1([](double a) { return std::expm1(a); })},
      {"log1p", "log1p", {{6}}, {}, Map1([](double a) { return std::log1p(a); }), -0.5, 2},
      {"log2", "log2", {{6}}, {}, Map1([](double a) { return std::log2(a); }), 0.2, 3},
      {"tan", "tan", {{6}}, {}, Map1([](double a) { return std::tan(a); }), -1, 1},
      {"tanh", "tanh", {{6}}, {}, Map1([](double a) { return std::tanh(a); })},
      {"erf", "erf", {{6}}, {}, Map1([](double a) { return std::erf(a); })},
      {"gelu", "gelu", {{6}}, {}, Map1([](double a) { return 0.5 * a * (1 + std::erf(a / std::sqrt(2.0))); })},
      {"gelu_tanh", "gelu", {{6}}, {{"approximate", std::string("tanh")}}, Map1([](double a) {
         return 0.5 * a * (1 + std::tanh(std::sqrt(2 / M_PI) * (a + 0.044715 * a * a * a)));
       })},
      {"silu", "silu", {{6}}, {}, Map1([](double a) { return a / (1 + std::exp(-a)); })},
      {"softplus", "softplus", {{6}}, {{"beta", 2.0}, {"threshold", 3.0}}, Map1([](double a) {
         return 2 * a > 3 ? a : std::log1p(std::exp(2 * a)) / 2;
       }), -1, 1.2},
      {"floor", "floor", {{6}}, {}, Map1([](double a) { return std::floor(a); }), -3, 3},
      {"ceil", "ceil", {{6}}, {}, Map1([](double a) { return std::ceil(a); }), -3, 3},
      {"round", "round", {{6}}, {}, Map1([](double a) { return std::nearbyint(a); }), -3, 3},
      {"trunc", "trunc", {{6}}, {}, Map1([](double a) { return std::trunc(a); }), -3, 3},
      {"reciprocal", "reciprocal", {{6}}, {}, Map1([](double a) { return 1 / a; }), 0.5, 2},
      {"sum_all", "sum", {{3, 4}}, {}, Reduce({}, false, false)},
      {"sum_dim", "sum", {{3, 4, 2}}, {{"dim", Ints{1}}}, Reduce({1}, false, false)},
      {"sum_dims_keepdim", "sum", {{3, 4, 2}}, {{"dim", Ints{0, -1}}, {"keepdim", true}}, Reduce({0, 2}, true, false)},
      {"mean_all", "mean", {{3, 4}}, {}, Reduce({}, false, true)},
      {"mean_dim_keepdim", "mean", {{3, 4}}, {{"dim", Ints{0}}, {"keepdim", true}}, Reduce({0}, true, true)},
      {"prod_dim", "prod", {{3, 4}}, {{"dim", Ints{1}}}, ReduceWith({1}, false, 1.0, std::multiplies<>()), 0.5, 1.5},
      {"prod_all", "prod", {{2, 3}}, {}, ReduceWith({}, false, 1.0, std::multiplies<>()), 0.5, 1.5},
      {"amax", "amax", {{3, 4}}, {{"dim", Ints{0}}, {"keepdim", true}},
       ReduceWith({0}, true, -INFINITY, [](double a, double b) { return std::max(a, b); })},
      {"amin", "amin", {{3, 4}}, {{"dim", Ints{1}}}, ReduceWith({1}, false, INFINITY, [](double a, double b) { return std::min(a, b); })},
      {"max", "max", {{3, 4}}, {}, ReduceWith({}, false, -INFINITY, [](double a, double b) { return std::max(a, b); })},
      {"min", "min", {{3, 4}}, {}, ReduceWith({}, false, INFINITY, [](double a, double b) { return std::min(a, b); })},
      {"max_dim", "max_dim", {{3, 4}}, {{"dim", int64_t{1}}},
       ReduceWith({1}, false, -INFINITY, [](double a, double b) { return std::max(a, b); })},
      {"min_dim_keepdim", "min_dim", {{3, 4}}, {{"dim", int64_t{0}}, {"keepdim", true}},
       ReduceWith({0}, true, INFINITY, [](double a, double b) { return std::min(a, b); })},
      {"all", "all", {{3, 4}}, {{"dim", Ints{1}}}, ReduceWith({1}, false, 1, [](double a, double b) { return double(a && b); }), -0.3, 2, false, 0},
      {"any", "any", {{3, 4}}, {{"dim", Ints{0}}}, ReduceWith({0}, false, 0, [](double a, double b) { return double(a || b); }), -2, 0.3, false, 0},
      {"argmax", "argmax", {{3, 4}}, {{"dim", int64_t{1}}}, [](const std::vector<Nd>& in) {
         Nd r{{3}, {}};
         for (int i = 0; i < 3; ++i) r.v.push_back(std::max_element(in[0].v.begin() + 4 * i, in[0].v.begin() + 4 * i + 4) - (in[0].v.begin() + 4 * i));
         return r;
       }, -2, 2, false},
      {"argmin_flat", "argmin", {{3, 4}}, {}, [](const std::vector<Nd>& in) {
         return Nd{{}, {double(std::min_element(in[0].v.begin(), in[0].v.end()) - in[0].v.begin())}};
       }, -2, 2, false},
      {"softmax", "softmax", {{3, 4}}, {{"dim", int64_t{1}}}, Lines(1, SoftmaxLine)},
      {"softmax_dim0", "softmax", {{3, 4}}, {{"dim", int64_t{0}}}, Lines(0, SoftmaxLine)},
      {"log_softmax", "log_softmax", {{3, 4}}, {{"dim", int64_t{-1}}}, Lines(1, [](std::vector<double> v) {
         v = SoftmaxLine(v);
         for (double& x : v) x = std::log(x);
         return v;
       })},
      {"cumsum", "cumsum", {{3, 4}}, {{"dim", int64_t{1}}}, Lines(1, [](std::vector<double> v) {
         std::partial_sum(v.begin(), v.end(), v.begin());
         return v;
       })},
      {"cumprod", "cumprod", {{3, 4}}, {{"dim", int64_t{0}}}, Lines(0, [](std::vector<double> v) {
         std::partial_sum(v.begin(), v.end(), v.begin(), std::multiplies<>());
         return v;
       }), 0.5, 1.5},
      {"var", "var", {{3, 4}}, {{"dim", Ints{1}}}, [](const std::vector<Nd>& in) {
         Nd r{{3}, {}};
         for (int i = 0; i < 3; ++i) {
           double m = 0, s = 0;
           for (int j = 0; j < 4; ++j) m += in[0].v[4 * i + j] / 4;
           for (int j = 0; j < 4; ++j) s += (in[0].v[4 * i + j] - m) * (in[0].v[4 * i + j] - m);
           r.v.push_back(s / 3);
         }
         return r;
       }},
      {"std_all", "std", {{3, 4}}, {}, [](const std::vector<Nd>& in) {
         double m = 0, s = 0;
         for (double x : in[0].v) m += x / 12;
         for (double x : in[0].v) s += (x - m) * (x - m);
         return Nd{{}, {std::sqrt(s / 11)}};
       }},
      {"logsumexp", "logsumexp", {{3, 4}}, {{"dim", Ints{1}}}, [](const std::vector<Nd>& in) {
         Nd r{{3}, {}};
         for (int i = 0; i < 3; ++i) {
           double s = 0;
           for (int j = 0; j < 4; ++j) s += std::exp(in[0].v[4 * i + j]);
           r.v.push_back(std::log(s));
         }
         return r;
       }},
      {"norm", "norm", {{3, 4}}, {}, [](const std::vector<Nd>& in) {
         double s = 0;
         for (double x : in[0].v) s += x * x;
         return Nd{{}, {std::sqrt(s)}};
       }},
      {"norm_p3_dim", "norm", {{3, 4}}, {{"p", 3.0}, {"dim", Ints{0}}}, [](const std::vector<Nd>& in) {
         Nd r{{4}, {}};
         for (int j = 0; j < 4; ++j) {
           double s = 0;
           for (int i = 0; i < 3; ++i) s += std::pow(std::abs(in[0].v[4 * i + j]), 3);
           r.v.push_back(std::cbrt(s));
         }
         return r;
       }},
      {"mm", "mm", {{3, 4}, {4, 2}}, {}, MatmulRef},
      {"mv", "mv", {{3, 4}, {4}}, {}, MatmulRef},
      {"dot", "dot", {{5}, {5}}, {}, MatmulRef},
      {"bmm", "bmm", {{2, 3, 4}, {2, 4, 5}}, {}, MatmulRef},
      {"matmul_1d_1d", "matmul", {{4}, {4}}, {}, MatmulRef},
      {"matmul_2d_1d", "matmul", {{3, 4}, {4}}, {}, MatmulRef},
      {"matmul_1d_2d", "matmul", {{4}, {4, 3}}, {}, MatmulRef},
      {"matmul_2d_2d", "matmul", {{3, 4}, {4, 5}}, {}, MatmulRef},
      {"matmul_3d_2d_folded", "matmul", {{2, 3, 4}, {4, 5}}, {}, MatmulRef},
      {"matmul_3d_1d", "matmul", {{2, 3, 4}, {4}}, {}, MatmulRef},
      {"matmul_1d_3d", "matmul", {{4}, {2, 4, 3}}, {}, MatmulRef},
      {"matmul_2d_3d", "matmul", {{3, 4}, {2, 4, 5}}, {}, MatmulRef},
      {"matmul_batch_broadcast", "matmul", {{2, 1, 3, 4}, {5, 4, 2}}, {}, MatmulRef},
      {"outer", "outer", {{3}, {4}}, {}, [](const std::vector<Nd>& in) {
         Nd r{{3, 4}, {}};
         for (double a : in[0].v) for (double b : in[1].v) r.v.push_back(a * b);
         return r;
       }},
      {"addmm", "addmm", {{2}, {3, 4}, {4, 2}}, {{"beta", 0.5}, {"alpha", 2.0}}, [](const std::vector<Nd>& in) {
         Nd p = MatmulRef({in[1], in[2]});
         for (size_t i = 0; i < p.v.size(); ++i) p.v[i] = 0.5 * in[0].v[i % 2] + 2 * p.v[i];
         return p;
       }},
      {"baddbmm", "baddbmm", {{2, 3, 2}, {2, 3, 4}, {2, 4, 2}}, {}, [](const std::vector<Nd>& in) {
         Nd p = MatmulRef({in[1], in[2]});
         for (size_t i = 0; i < p.v.size(); ++i) p.v[i] += in[0].v[i];
         return p;
       }},
      {"einsum_bmm", "einsum", {{2, 3, 4}, {2, 4, 5}}, {{"equation", std::string("bij,bjk->bik")}}, MatmulRef},
      {"einsum_outer_t", "einsum", {{3}, {4}}, {{"equation", std::string("i,j->ji")}}, [](const std::vector<Nd>& in) {
         Nd r{{4, 3}, {}};
         for (double b : in[1].v) for (double a : in[0].v) r.v.push_back(a * b);
         return r;
       }},
      {"einsum_trace_free_sum", "einsum", {{3, 4}}, {{"equation", std::string("ij->j")}}, Reduce({0}, false, false)},
      {"einsum_diagonal", "einsum", {{3, 3}}, {{"equation", std::string("ii->i")}}, EinsumRef("ii->i")},
      {"einsum_trace", "einsum", {{3, 3}}, {{"equation", std::string("ii")}}, EinsumRef("ii")},
      {"einsum_batch_diagonal", "einsum", {{2, 3, 3}}, {{"equation", std::string("bii->bi")}}, EinsumRef("bii->bi")},
      {"einsum_diagonal_then_product", "einsum", {{3, 2, 3}, {2, 4}}, {{"equation", std::string("iji,jk->ki")}},
       EinsumRef("iji,jk->ki")},
      {"einsum_ellipsis_matmul", "einsum", {{2, 3, 4}, {4, 5}}, {{"equation", std::string("...ij,...jk->...ik")}},
       EinsumRef("...ij,...jk->...ik")},
      {"einsum_ellipsis_broadcast", "einsum", {{2, 1, 3, 4}, {3, 4, 2}},
       {{"equation", std::string("...ij,...jk->...ik")}}, EinsumRef("...ij,...jk->...ik")},
      {"einsum_ellipsis_implicit", "einsum", {{2, 3, 4}}, {{"equation", std::string("...ij")}}, EinsumRef("...ij")},
      {"einsum_ellipsis_summed", "einsum", {{2, 3, 4}}, {{"equation", std::string("...j->j")}}, EinsumRef("...j->j")},
      {"einsum_three_chain", "einsum", {{2, 3}, {3, 4}, {4, 2}}, {{"equation", std::string("ij,jk,kl->il")}},
       EinsumRef("ij,jk,kl->il")},
      {"einsum_three_trace", "einsum", {{2, 3}, {3, 4}, {4, 2}}, {{"equation", std::string("ij,jk,ki")}},
       EinsumRef("ij,jk,ki")},
      {"einsum_three_shared_batch", "einsum", {{2, 3}, {2, 3}, {2, 4}}, {{"equation", std::string("bi,bi,bk->bk")}},
       EinsumRef("bi,bi,bk->bk")},
      {"einsum_four_outer", "einsum", {{2}, {3}, {1}, {2}}, {{"equation", std::string("i,j,k,i->ijk")}},
       EinsumRef("i,j,k,i->ijk")},
      {"transpose", "transpose", {{2, 3, 4}}, {{"dim0", int64_t{0}}, {"dim1", int64_t{2}}}, Permute({2, 1, 0})},
      {"t", "t", {{2, 3}}, {}, Permute({1, 0})},
      {"permute", "permute", {{2, 3, 4}}, {{"dims", Ints{1, 2, 0}}}, Permute({1, 2, 0})},
      {"view", "view", {{2, 3, 4}}, {{"size", Ints{6, -1}}}, Reshaped({6, 4})},
      {"reshape", "reshape", {{2, 3, 4}}, {{"shape", Ints{4, 6}}}, Reshaped({4, 6})},
      {"unsqueeze", "unsqueeze", {{2, 3}}, {{"dim", int64_t{-1}}}, Reshaped({2, 3, 1})},
      {"squeeze", "squeeze", {{2, 1, 3, 1}}, {}, Reshaped({2, 3})},
      {"squeeze_dim", "squeeze", {{2, 1, 3, 1}}, {{"dim", Ints{1}}}, Reshaped({2, 3, 1})},
      {"expand", "expand", {{3, 1}}, {{"size", Ints{2, 3, 4}}}, ExpandTo({2, 3, 4})},
      {"sum_to_size", "sum_to_size", {{2, 3, 4}}, {{"size", Ints{3, 1}}}, [](const std::vector<Nd>& in) {
         Nd r = Reduce({0, 2}, true, false)(in);
         r.shape = {3, 1};
         return r;
       }},
      {"contiguous", "contiguous", {{2, 3}}, {}, Map1([](double a) { return a; })},
      {"clone", "clone", {{2, 3}}, {}, Map1([](double a) { return a; })},
      {"to_float64", "to", {{2, 3}}, {{"dtype", DType::kFloat64}}, Map1([](double a) { return a; })},
      {"fill", "fill", {{2, 3}}, {{"value", 1.5}}, Map1([](double) { return 1.5; })},
      {"_overwrite", "_overwrite", {{2, 3}, {3}}, {}, [](const std::vector<Nd>& in) {
         Nd r{{2, 3}, {}};
         for (int i = 0; i < 6; ++i) r.v.push_back(in[1].v[i % 3]);
         return r;
       }},
      {"_to_copy", "_to_copy", {{2, 3}}, {{"dtype", DType::kFloat64}}, Map1([](double a) { return a; })},
      {"select", "select", {{3, 4}}, {{"dim", int64_t{1}}, {"index", int64_t{-2}}},
       Gather({3}, [](std::vector<int64_t> i) { return std::vector<int64_t>{i[0], 2}; })},
      {"slice_step", "slice", {{3, 5}}, {{"dim", int64_t{1}}, {"start", int64_t{1}}, {"step", int64_t{2}}},
       Gather({3, 2}, [](std::vector<int64_t> i) { return std::vector<int64_t>{i[0], 1 + 2 * i[1]}; })},
      {"narrow", "narrow", {{4, 3}}, {{"dim", int64_t{0}}, {"start", int64_t{1}}, {"length", int64_t{2}}},
       Gather({2, 3}, [](std::vector<int64_t> i) { return std::vector<int64_t>{i[0] + 1, i[1]}; })},
      {"cat", "cat", {{2, 3}, {2, 1}, {2, 2}}, {{"dim", int64_t{1}}}, Cat1},
      {"stack", "stack", {{2, 3}, {2, 3}}, {{"dim", int64_t{1}}}, [](const std::vector<Nd>& in) {
         Nd r{{2, 2, 3}, {}};
         for (int64_t i = 0; i < 2; ++i) for (int k = 0; k < 2; ++k) for (int64_t j = 0; j < 3; ++j) r.v.push_back(in[k].v[i * 3 + j]);
         return r;
       }},
      {"where", "where", {{2, 3}, {2, 3}, {3}}, {}, [](const std::vector<Nd>& in) {
         Nd r{{2, 3}, {}};
         for (int64_t i = 0; i < 6; ++i) r.v.push_back(in[0].v[i] != 0 ? in[1].v[i] : in[2].v[i % 3]);
         return r;
       }, -2, 2, true, 0},
      {"masked_fill", "masked_fill", {{2, 3}, {3}}, {{"value", -1.0}}, [](const std::vector<Nd>& in) {
         Nd r = in[0];
         for (int64_t i = 0; i < 6; ++i) if (in[1].v[i % 3] != 0) r.v[i] = -1;
         return r;
       }, -2, 2, true, 1},
      {"maximum", "maximum", {{2, 3}, {3}}, {}, Map2([](double a, double b) { return std::max(a, b); })},
      {"minimum", "minimum", {{2, 3}, {3}}, {}, Map2([](double a, double b) { return std::min(a, b); })},
      {"clamp", "clamp", {{8}}, {{"min", -0.5}, {"max", 0.7}}, Map1([](double a) { return std::clamp(a, -0.5, 0.7); })},
      {"clamp_min", "clamp", {{8}}, {{"min", 0.1}}, Map1([](double a) { return std::max(a, 0.1); })},
      // x[idx]: rows 2, 0, 2 (repeats accumulate in the gradient)
      {"index_rows", "index", {{3, 4}, {3}}, {}, Gather({3, 4}, [](std::vector<int64_t> i) {
         static const int64_t rows[] = {2, 0, 2};
         return std::vector<int64_t>{rows[i[0]], i[1]};
       }), -2, 2, true, -1, {{1, {2, 0, -1}}}},
      // x[:, idx2d] with None for dim 0: result [3, 2, 2]
      {"index_cols_2d", "index", {{3, 4}, {-1}, {2, 2}}, {}, Gather({3, 2, 2}, [](std::vector<int64_t> i) {
         static const int64_t cols[] = {3, 1, 0, 3};
         return std::vector<int64_t>{i[0], cols[i[1] * 2 + i[2]]};
       }), -2, 2, true, -1, {{2, {3, 1, 0, 3}}}},
      // x[i, j] pairs, broadcast: (0,1), (2,3)
      {"index_pairs", "index", {{3, 4}, {2}, {2}}, {}, Gather({2}, [](std::vector<int64_t> i) {
         return i[0] == 0 ? std::vector<int64_t>{0, 1} : std::vector<int64_t>{2, 3};
       }), -2, 2, true, -1, {{1, {0, 2}}, {2, {1, 3}}}},
      {"index_mask", "index", {{2, 3}, {2, 3}}, {}, [](const std::vector<Nd>& in) {
         Nd r{{0}, {}};
         for (int i = 0; i < 6; ++i) if (in[1].v[i] != 0) r.v.push_back(in[0].v[i]);
         r.shape = {static_cast<int64_t>(r.v.size())};
         return r;
       }, -2, 2, true, 1},
      {"index_put", "index_put", {{3, 4}, {2, 4}, {2}}, {}, [](const std::vector<Nd>& in) {
         Nd r = in[0];
         for (int j = 0; j < 4; ++j) { r.v[2 * 4 + j] = in[1].v[j]; r.v[0 * 4 + j] = in[1].v[4 + j]; }
         return r;
       }, -2, 2, true, -1, {{2, {2, 0}}}},
      {"index_put_acc", "index_put", {{3}, {3}, {3}}, {{"accumulate", true}}, [](const std::vector<Nd>& in) {
         Nd r = in[0];
         r.v[1] += in[1].v[0] + in[1].v[2];
         r.v[0] += in[1].v[1];
         return r;
       }, -2, 2, true, -1, {{2, {1, 0, 1}}}},
      {"index_select", "index_select", {{3, 4}, {2}}, {{"dim", int64_t{1}}}, Gather({3, 2}, [](std::vector<int64_t> i) {
         return std::vector<int64_t>{i[0], i[1] == 0 ? 3 : 0};
       }), -2, 2, true, -1, {{1, {3, 0}}}},
      {"gather", "gather", {{3, 4}, {3, 2}}, {{"dim", int64_t{1}}}, [](const std::vector<Nd>& in) {
         static const int64_t idx[] = {0, 3, 1, 1, 2, 0};
         Nd r{{3, 2}, {}};
         for (int i = 0; i < 3; ++i) for (int j = 0; j < 2; ++j) r.v.push_back(in[0].v[i * 4 + idx[i * 2 + j]]);
         return r;
       }, -2, 2, true, -1, {{1, {0, 3, 1, 1, 2, 0}}}},
      {"scatter", "scatter", {{3, 4}, {2, 2}, {2, 3}}, {{"dim", int64_t{0}}}, [](const std::vector<Nd>& in) {
         static const int64_t idx[] = {2, 0, 1, 2};  // index [2, 2]: (0,0)->row2 (0,1)->row0 (1,0)->row1 (1,1)->row2
         Nd r = in[0];
         for (int i = 0; i < 2; ++i) for (int j = 0; j < 2; ++j) r.v[idx[i * 2 + j] * 4 + j] = in[2].v[i * 3 + j];
         return r;
       }, -2, 2, true, -1, {{1, {2, 0, 1, 2}}}},
      {"scatter_add", "scatter_add", {{3, 2}, {2, 2}, {2, 2}}, {{"dim", int64_t{0}}}, [](const std::vector<Nd>& in) {
         static const int64_t idx[] = {1, 1, 1, 0};
         Nd r = in[0];
         for (int i = 0; i < 2; ++i) for (int j = 0; j < 2; ++j) r.v[idx[i * 2 + j] * 2 + j] += in[2].v[i * 2 + j];
         return r;
       }, -2, 2, true, -1, {{1, {1, 1, 1, 0}}}},
      {"gt", "gt", {{2, 3}, {3}}, {}, Map2([](double a, double b) { return a > b ? 1.0 : 0.0; }), -2, 2, false},
      {"eq_self", "eq", {{4}, {4}}, {}, Map2([](double a, double b) { return a == b ? 1.0 : 0.0; }), -2, 2, false},
  };
}

[[maybe_unused]] void PrintTo(const OpCase& c, std::ostream* os) { *os << c.name; }

// Deterministic inputs in [lo, hi).
std::vector<double> Sample(int64_t n, double lo, double hi, uint64_t seed) {
  std::vector<double> v(n);
  for (int64_t i = 0; i < n; ++i) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    v[i] = lo + (hi - lo) * static_cast<double>(seed >> 11) / static_cast<double>(1ULL << 53);
  }
  return v;
}

Tensor MakeInput(const OpCase& c, size_t i, DType dtype) {
  if (c.shapes[i] == std::vector<int64_t>{-1}) return Tensor();  // None
  if (auto it = c.long_inputs.find(i); it != c.long_inputs.end()) return FromVector(it->second, c.shapes[i], DType::kInt64);
  std::vector<double> v = Sample(Count(c.shapes[i]), c.lo, c.hi, 17 + i);
  if (static_cast<int>(i) != c.bool_input) return FromVector(v, c.shapes[i], dtype);
  for (double& x : v) x = x > 0;
  return FromVector(v, c.shapes[i], DType::kBool);
}

// Note [Op table rows elsewhere]: client/cpp/tests/contract_test.cc includes
// this file with TENSORD_OP_TABLE_ROWS_ONLY to run every row through a real
// server; everything above is shared, the tests below are the engine's.
#ifndef TENSORD_OP_TABLE_ROWS_ONLY
class OpTableTest : public ::testing::TestWithParam<OpCase> {};

TEST_P(OpTableTest, ForwardMatchesFloat64Reference) {
  const OpCase& c = GetParam();
  std::vector<Tensor> inputs;
  std::vector<Nd> refs;
  for (size_t i = 0; i < c.shapes.size(); ++i) {
    Tensor t = MakeInput(c, i, DType::kFloat32);
    inputs.push_back(t);
    refs.push_back(t.defined() ? Nd{c.shapes[i], Values(t)} : Nd{});  // the float32-rounded inputs
  }
  auto out = CallOp(c.op, inputs, c.attrs, {});
  ASSERT_TRUE(out.ok()) << out.status();
  Nd expected = c.ref(refs);
  ASSERT_EQ(ShapeOf((*out)[0]), expected.shape);
  std::vector<double> got = Values((*out)[0]);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], expected.v[i], 1e-5 * (1 + std::abs(expected.v[i]))) << c.name << " element " << i;
  }
}

TEST_P(OpTableTest, GradientMatchesCentralDifferences) {
  const OpCase& c = GetParam();
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < c.shapes.size(); ++i) {
    Tensor t = MakeInput(c, i, DType::kFloat64);
    if (t.defined() && static_cast<int>(i) != c.bool_input && !c.long_inputs.count(i)) {
      ASSERT_TRUE(SetRequiresGrad(t, true).ok());
    }
    inputs.push_back(t);
  }
  Tensor out = Call1(c.op, inputs, c.attrs);
  ASSERT_TRUE(out.defined());
  if (!c.grad) {  // non-differentiable ops must not join the graph
    EXPECT_FALSE(out.requires_grad()) << c.op;
    return;
  }
  // loss = sum(out * w) with fixed weights, so every output element matters.
  Tensor w = FromVector(Sample(out.numel(), -1, 1, 99), ShapeOf(out), out.dtype());
  Tensor loss = Call1("sum", {Call1("mul", {out, w})});
  ASSERT_TRUE(Backward({loss}, {}, false, false).ok());

  auto loss_at = [&](const std::vector<Tensor>& in) {
    auto o = CallOp(c.op, in, c.attrs, {nullptr, false});
    auto l = CallOp("sum", {Call1("mul", {(*o)[0], w})}, {}, {nullptr, false});
    return Values((*l)[0])[0];
  };
  const double eps = 1e-6;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined() || static_cast<int>(i) == c.bool_input || c.long_inputs.count(i)) continue;
    ASSERT_TRUE(inputs[i].grad().defined()) << c.name << " input " << i << " got no gradient";
    std::vector<double> analytic = Values(inputs[i].grad());
    std::vector<double> base = Values(inputs[i]);
    for (size_t j = 0; j < base.size(); ++j) {
      std::vector<Tensor> plus = inputs, minus = inputs;
      std::vector<double> vp = base, vm = base;
      vp[j] += eps;
      vm[j] -= eps;
      plus[i] = FromVector(vp, c.shapes[i], DType::kFloat64);
      minus[i] = FromVector(vm, c.shapes[i], DType::kFloat64);
      double numeric = (loss_at(plus) - loss_at(minus)) / (2 * eps);
      EXPECT_NEAR(analytic[j], numeric, 1e-5 * (1 + std::abs(numeric))) << c.name << " d/input" << i << "[" << j << "]";
    }
  }
}

// Every row whose op has an in-place twin (`add` -> `add_`, Note [In-place
// variants]): the twin writes the same values into its first input, bumps its
// version, and gives a non-leaf the same gradient as the out-of-place op.
TEST_P(OpTableTest, InplaceVariantMatchesOutOfPlace) {
  const OpCase& c = GetParam();
  const std::string inplace = c.op + "_";
  if (std::none_of(ListOps().begin(), ListOps().end(), [&](const OpSchema& s) { return s.name == inplace; })) {
    GTEST_SKIP() << c.op << " has no in-place variant";
  }
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < c.shapes.size(); ++i) {
    inputs.push_back(MakeInput(c, i, DType::kFloat64));
  }
  auto expected = CallOp(c.op, inputs, c.attrs, {});
  ASSERT_TRUE(expected.ok());
  if (ShapeOf((*expected)[0]) != c.shapes[0]) GTEST_SKIP() << "result is broadcast beyond self";
  // Values and version.
  std::vector<Tensor> target = inputs;
  target[0] = FromVector(Values(inputs[0]), c.shapes[0], inputs[0].dtype());
  auto r = CallOp(inplace, target, c.attrs, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->empty());
  EXPECT_EQ(target[0].version(), 1u);
  EXPECT_EQ(Values(target[0]), Values((*expected)[0]));
  // Gradient through a non-leaf: y = x * 1; y.op_(...); sum(y * w).
  if (!c.grad) return;
  auto grad_of = [&](bool use_inplace) {
    Tensor x = FromVector(Values(inputs[0]), c.shapes[0], DType::kFloat64);
    EXPECT_TRUE(SetRequiresGrad(x, true).ok());
    std::vector<Tensor> in = inputs;
    in[0] = Call1("mul", {x, Tensor::WrappedScalar(Scalar(1.0))});
    Tensor y = in[0];
    if (use_inplace) EXPECT_TRUE(CallOp(inplace, in, c.attrs, {}).ok());
    else y = Call1(c.op, in, c.attrs);
    Tensor w = FromVector(Sample(y.numel(), -1, 1, 5), ShapeOf(y), y.dtype());
    EXPECT_TRUE(Backward({Call1("sum", {Call1("mul", {y, w})})}, {}, false, false).ok());
    return x.grad().defined() ? Values(x.grad()) : std::vector<double>{};
  };
  std::vector<double> a = grad_of(true), b = grad_of(false);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-12) << c.name << " grad " << i;
}

// Note [Metadata-only execution] (engine/meta.h): for every row, what a
// client infers from metas alone is what the kernels produced -- dtype,
// sizes, strides, offset, device -- and for perturbed inputs (a transposed
// view, a broadcast-breaking or extra dim) the same output or the very same
// error. Rows with index or mask inputs may only differ where values decide.
Tensor MetaOf(const Tensor& t) {
  if (!t.defined()) return t;
  return Tensor::Meta(t.dtype(), t.sizes(), t.strides(), t.storage_offset(), t.device());
}

void ExpectMetaMatches(const OpCase& c, const std::vector<Tensor>& inputs, const std::string& variant) {
  auto real = CallOp(c.op, inputs, c.attrs, {});
  std::vector<Tensor> metas;
  for (const Tensor& t : inputs) metas.push_back(MetaOf(t));
  auto inferred = InferMeta(c.op, metas, c.attrs, MetaOptions{});
  const std::string where = c.name + " (" + variant + ")";
  const bool values_matter = c.bool_input >= 0 || !c.long_inputs.empty();
  if (!real.ok()) {
    if (inferred.ok() && values_matter) return;  // an index value out of range: the server's to say
    ASSERT_FALSE(inferred.ok()) << where << ": the server fails with " << real.status() << " but meta says ok";
    EXPECT_EQ(inferred.status(), real.status()) << where;
    return;
  }
  ASSERT_TRUE(inferred.ok()) << where << ": " << inferred.status();
  if (!inferred->known && c.bool_input >= 0) return;  // a boolean mask: values decide the shape
  ASSERT_TRUE(inferred->known) << where << ": " << inferred->why_unknown;
  ASSERT_EQ(inferred->outputs.size(), real->size()) << where;
  for (size_t k = 0; k < real->size(); ++k) {
    const Tensor& t = (*real)[k];
    const OutputMeta& m = inferred->outputs[k];
    EXPECT_EQ(m.dtype, t.dtype()) << where << " output " << k;
    EXPECT_EQ(ShapeOf(t), std::vector<int64_t>(m.sizes.begin(), m.sizes.end())) << where << " output " << k;
    EXPECT_EQ(std::vector<int64_t>(t.strides().begin(), t.strides().end()),
              std::vector<int64_t>(m.strides.begin(), m.strides.end())) << where << " output " << k;
    EXPECT_EQ(m.storage_offset, t.storage_offset()) << where << " output " << k;
    EXPECT_EQ(m.device, t.device()) << where << " output " << k;
  }
}

// One test over all rows (one process: the rows are cheap here).
TEST(OpTableMetaTest, MetaExecutionMatchesTheKernelsForEveryRow) {
  size_t rows = 0;
  for (const OpCase& c : Cases()) {
    SCOPED_TRACE(c.name);
    ++rows;
    std::vector<Tensor> inputs;
    for (size_t i = 0; i < c.shapes.size(); ++i) inputs.push_back(MakeInput(c, i, DType::kFloat32));
    ExpectMetaMatches(c, inputs, "as listed");
    if (!inputs[0].defined() || c.bool_input == 0 || c.long_inputs.count(0)) continue;
    const std::vector<int64_t> shape = c.shapes[0];
    std::vector<Tensor> v = inputs;
    if (shape.size() == 2) {  // the same values through a transposed view
      Tensor tt = MakeInput({c.name, c.op, {{shape[1], shape[0]}}, {}, nullptr, c.lo, c.hi}, 0, DType::kFloat32);
      v[0] = Call1("t", {tt});
      ExpectMetaMatches(c, v, "transposed view");
    }
    std::vector<int64_t> wider = shape;
    if (!wider.empty()) ++wider.back();
    v[0] = FromVector(Sample(Count(wider), c.lo, c.hi, 3), wider);
    ExpectMetaMatches(c, v, "last dim + 1");
    std::vector<int64_t> deeper = shape;
    deeper.insert(deeper.begin(), 3);
    v[0] = FromVector(Sample(Count(deeper), c.lo, c.hi, 4), deeper);
    ExpectMetaMatches(c, v, "extra leading dim");
    v[0] = FromVector(Sample(Count(shape), c.lo, c.hi, 5), shape, DType::kFloat64);
    ExpectMetaMatches(c, v, "float64 self");
    v[0] = FromVector(Sample(Count(shape), c.lo, c.hi, 6), shape, DType::kInt32);
    ExpectMetaMatches(c, v, "int32 self");
  }
  EXPECT_EQ(rows, Cases().size());
  EXPECT_GT(rows, 100u);
}

INSTANTIATE_TEST_SUITE_P(Ops, OpTableTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<OpCase>& info) { return info.param.name; });

// Every differentiable op of the registry has at least one row.
TEST(OpTableCoverage, EveryDifferentiableOpHasARow) {
  std::set<std::string> covered;
  for (const OpCase& c : Cases()) covered.insert(c.op);
  for (const OpSchema& s : ListOps()) {
    if (s.differentiable) {
      EXPECT_TRUE(covered.count(std::string(s.name))) << "no op-table row for " << s.name;
    }
  }
}

#endif  // TENSORD_OP_TABLE_ROWS_ONLY
}  // namespace
}  // namespace tensord::engine

#ifndef TENSORD_OP_TABLE_ROWS_ONLY
namespace tensord::engine {
namespace {
using namespace testing;
using ::testing::ElementsAre;

TEST(EinsumTest, ErrorsNameTheProblemAsPyTorchDoes) {
  auto einsum = [](std::string eq, std::vector<std::vector<int64_t>> shapes) {
    std::vector<Tensor> in;
    for (auto& s : shapes) in.push_back(Tensor::Empty(s, DType::kFloat32));
    return CallOp("einsum", in, {{"equation", eq}}, {}).status();
  };
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(einsum("ii", {{2, 3}}), StatusIs(kInvalid, "subscript i is repeated for operand 0 but the sizes don't match, 3 != 2"));
  EXPECT_THAT(einsum("ij,jk", {{2, 3}, {4, 5}}),
              StatusIs(kInvalid, "subscript j has size 4 for operand 1 which does not broadcast with previously seen size 3"));
  EXPECT_THAT(einsum("i.j", {{2, 2}}), StatusIs(kInvalid, "found '.' for operand 0 that is not part of any ellipsis"));
  EXPECT_THAT(einsum("i,i", {{2}}), StatusIs(kInvalid, "fewer operands were provided than specified in the equation"));
  EXPECT_THAT(einsum("i", {{2}, {2}}), StatusIs(kInvalid, "more operands were provided than specified in the equation"));
  EXPECT_THAT(einsum("ij->ii", {{2, 2}}), StatusIs(kInvalid, "output subscript i appears more than once in the output"));
  EXPECT_THAT(einsum("ij->k", {{2, 2}}), StatusIs(kInvalid, "output subscript k does not appear in the equation for any input operand"));
  EXPECT_THAT(einsum("i1", {{2, 2}}), StatusIs(kInvalid, "invalid subscript given at index 1 in the equation string, subscripts must be in [a-zA-Z]"));
  EXPECT_THAT(einsum("ij", {{2}}), StatusIs(kInvalid, "the number of subscripts in the equation (2) does not match the number of "
                                                      "dimensions (1) for operand 0 and no ellipsis was given"));
  EXPECT_THAT(einsum("...ijk", {{2, 2}}), StatusIs(kInvalid, "einsum(): the number of subscripts in the equation (3) is more than "
                                                             "the number of dimensions (2) for operand 0"));
}

TEST(EinsumTest, DiagonalGradientLandsOnTheDiagonal) {
  Tensor x = FromVector({1, 2, 3, 4, 5, 6, 7, 8, 9}, {3, 3}, DType::kFloat64);
  ASSERT_THAT(SetRequiresGrad(x, true), IsOk());
  Tensor d = Call1("einsum", {x}, {{"equation", std::string("ii->i")}});
  EXPECT_THAT(Values(d), ElementsAre(1, 5, 9));
  Tensor w = FromVector({1, 10, 100}, {3}, DType::kFloat64);
  ASSERT_THAT(Backward({Call1("sum", {Call1("mul", {d, w})})}, {}, false, false), IsOk());
  EXPECT_THAT(Values(x.grad()), ElementsAre(1, 0, 0, 0, 10, 0, 0, 0, 100));
  EXPECT_THAT(Values(Call1("einsum", {x}, {{"equation", std::string("ii")}})), ElementsAre(15));
}

// Note [The CUDA op table]: every row also runs on cuda:0 (a GPU, or the
// host emulator in the ctest entry engine_cuda_emulated) with the same
// inputs, and must give the CPU's values and gradients. Rows whose op has no
// CUDA kernel yet fail here by name, so coverage gaps are visible.
class CudaOpTableTest : public NeedsCuda<::testing::TestWithParam<OpCase>> {};

TEST_P(CudaOpTableTest, ForwardAndBackwardMatchCpu) {
  const OpCase& c = GetParam();
  std::vector<Tensor> cpu_in, cuda_in;
  for (size_t i = 0; i < c.shapes.size(); ++i) {
    Tensor t = MakeInput(c, i, DType::kFloat32);
    const bool differentiable = c.grad && t.defined() && static_cast<int>(i) != c.bool_input && !c.long_inputs.count(i);
    Tensor d = ToCuda(t);
    if (differentiable) {
      ASSERT_TRUE(SetRequiresGrad(t, true).ok());
      ASSERT_TRUE(SetRequiresGrad(d, true).ok());
    }
    cpu_in.push_back(t);
    cuda_in.push_back(d);
  }
  auto expected = CallOp(c.op, cpu_in, c.attrs, {});
  ASSERT_TRUE(expected.ok()) << expected.status();
  auto got = CallOp(c.op, cuda_in, c.attrs, {});
  ASSERT_TRUE(got.ok()) << c.name << ": " << got.status();
  ASSERT_EQ(got->size(), expected->size());
  for (size_t k = 0; k < got->size(); ++k) {
    const Tensor& g = (*got)[k];
    EXPECT_EQ(g.device().ToString(), "cuda:0") << c.name;
    EXPECT_EQ(g.dtype(), (*expected)[k].dtype()) << c.name;
    ASSERT_EQ(ShapeOf(g), ShapeOf((*expected)[k])) << c.name;
    std::vector<double> a = Values(g), b = Values((*expected)[k]);
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_NEAR(a[i], b[i], 1e-5 * (1 + std::abs(b[i]))) << c.name << " output " << k << " element " << i;
    }
  }
  if (!c.grad || !IsFloating((*expected)[0].dtype())) return;
  const Tensor w = FromVector(Sample((*expected)[0].numel(), -1, 1, 99), ShapeOf((*expected)[0]));
  ASSERT_TRUE(Backward({Call1("sum", {Call1("mul", {(*expected)[0], w})})}, {}, false, false).ok());
  auto status = Backward({Call1("sum", {Call1("mul", {(*got)[0], ToCuda(w)})})}, {}, false, false);
  ASSERT_TRUE(status.ok()) << c.name << ": " << status;
  for (size_t i = 0; i < cpu_in.size(); ++i) {
    if (!cpu_in[i].defined() || !cpu_in[i].grad().defined()) continue;
    ASSERT_TRUE(cuda_in[i].grad().defined()) << c.name << " input " << i << " got no gradient on cuda";
    EXPECT_EQ(cuda_in[i].grad().device().ToString(), "cuda:0");
    std::vector<double> a = Values(cuda_in[i].grad()), b = Values(cpu_in[i].grad());
    ASSERT_EQ(a.size(), b.size());
    for (size_t j = 0; j < a.size(); ++j) {
      EXPECT_NEAR(a[j], b[j], 1e-4 * (1 + std::abs(b[j]))) << c.name << " d/input" << i << "[" << j << "]";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Ops, CudaOpTableTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<OpCase>& info) { return info.param.name; });

}  // namespace
}  // namespace tensord::engine
#endif  // TENSORD_OP_TABLE_ROWS_ONLY
