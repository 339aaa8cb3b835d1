// Client-side meta rules (Note [Client-side meta] in shape_infer.h).
#include "shape_infer.h"

#include <algorithm>
#include <set>

namespace tensord::client {

namespace {

using Shape = std::vector<int64_t>;

std::optional<Shape> Broadcast(const Shape& a, const Shape& b) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t x = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t y = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (x == y || y == 1) {
      out[i] = x;
    } else if (x == 1) {
      out[i] = y;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

std::optional<int64_t> WrapDim(int64_t d, size_t ndim) {
  int64_t n = std::max<int64_t>(static_cast<int64_t>(ndim), 1);
  if (d < -n || d >= n) return std::nullopt;
  return d < 0 ? d + n : d;
}

int64_t Numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t v : s) n *= v;
  return n;
}

// Attribute access (absent or mistyped: nullopt).
const AttrValue::Value* Attr(const Attrs& attrs, std::string_view name) {
  auto it = attrs.find(name);
  if (it == attrs.end() || std::holds_alternative<None>(it->second.value())) return nullptr;
  return &it->second.value();
}
std::optional<int64_t> IntAttr(const Attrs& attrs, std::string_view name) {
  const auto* v = Attr(attrs, name);
  if (v == nullptr) return std::nullopt;
  if (const int64_t* i = std::get_if<int64_t>(v)) return *i;
  if (const Scalar* s = std::get_if<Scalar>(v); s != nullptr && s->is_integral()) {
    return s->ToInt();
  }
  return std::nullopt;
}
bool BoolAttr(const Attrs& attrs, std::string_view name, bool fallback) {
  const auto* v = Attr(attrs, name);
  if (v == nullptr) return fallback;
  if (const bool* b = std::get_if<bool>(v)) return *b;
  return fallback;
}
std::optional<Shape> IntsAttr(const Attrs& attrs, std::string_view name) {
  const auto* v = Attr(attrs, name);
  if (v == nullptr) return std::nullopt;
  if (const auto* l = std::get_if<std::vector<int64_t>>(v)) return *l;
  if (const int64_t* i = std::get_if<int64_t>(v)) return Shape{*i};
  return std::nullopt;
}
std::optional<DType> DTypeAttr(const Attrs& attrs, std::string_view name) {
  const auto* v = Attr(attrs, name);
  if (v == nullptr) return std::nullopt;
  if (const DType* d = std::get_if<DType>(v)) return *d;
  return std::nullopt;
}
std::string DeviceAttr(const Attrs& attrs, const std::string& fallback) {
  const auto* v = Attr(attrs, "device");
  if (v == nullptr) return fallback;
  if (const std::string* s = std::get_if<std::string>(v)) return s->empty() ? fallback : *s;
  return fallback;
}

bool HasAttr(const Attrs& attrs, std::string_view name) { return Attr(attrs, name) != nullptr; }

// ---------------------------------------------------------------- families

const std::set<std::string_view>& SameMetaOps() {
  // Float in, same dtype and shape out (the engine's floating unary ops).
  static const std::set<std::string_view> ops = {
      "neg",  "exp",  "log",   "sin",   "cos",        "relu",      "sigmoid", "abs",
      "sign", "sqrt", "rsqrt", "expm1", "log1p",      "log2",      "tan",     "tanh",
      "erf",  "gelu", "silu",  "softplus", "floor",   "ceil",      "round",   "trunc",
      "reciprocal", "clone", "contiguous", "detach", "fill",     "nan_to_num"};
  return ops;
}
const std::set<std::string_view>& ArithmeticOps() {
  static const std::set<std::string_view> ops = {"add", "sub", "rsub", "mul", "div", "pow",
                                                 "maximum", "minimum", "remainder", "fmod"};
  return ops;
}
const std::set<std::string_view>& BoolResultOps() {
  static const std::set<std::string_view> ops = {"eq", "ne", "lt", "le", "gt", "ge",
                                                 "logical_and", "logical_or", "logical_xor"};
  return ops;
}
const std::set<std::string_view>& ReduceKeepDTypeOps() {
  static const std::set<std::string_view> ops = {"sum", "mean", "prod", "amax", "amin",
                                                 "logsumexp", "norm", "var", "std"};
  return ops;
}

std::optional<Shape> Reduced(const Shape& shape, std::optional<Shape> dims, bool keepdim) {
  if (!dims.has_value() || dims->empty()) {
    if (keepdim) return Shape(shape.size(), 1);
    return Shape{};
  }
  std::vector<bool> reduce(shape.size(), false);
  for (int64_t d : *dims) {
    auto w = WrapDim(d, shape.size());
    if (!w.has_value()) return std::nullopt;
    if (shape.empty()) continue;
    reduce[*w] = true;
  }
  Shape out;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (!reduce[i]) {
      out.push_back(shape[i]);
    } else if (keepdim) {
      out.push_back(1);
    }
  }
  return out;
}

std::optional<Shape> Matmul(const Shape& a, const Shape& b) {
  if (a.empty() || b.empty()) return std::nullopt;
  if (a.size() == 1 && b.size() == 1) return a[0] == b[0] ? std::optional<Shape>(Shape{}) : std::nullopt;
  if (a.size() == 2 && b.size() == 1) {
    return a[1] == b[0] ? std::optional<Shape>(Shape{a[0]}) : std::nullopt;
  }
  if (a.size() == 1 && b.size() == 2) {
    return a[0] == b[0] ? std::optional<Shape>(Shape{b[1]}) : std::nullopt;
  }
  if (a.size() < 2 || b.size() < 2) return std::nullopt;
  if (a.back() != b[b.size() - 2]) return std::nullopt;
  auto batch = Broadcast(Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2));
  if (!batch.has_value()) return std::nullopt;
  batch->push_back(a[a.size() - 2]);
  batch->push_back(b.back());
  return batch;
}

std::optional<Shape> Reshape(const Shape& in, const Shape& size) {
  int64_t known = 1;
  int infer = -1;
  for (size_t i = 0; i < size.size(); ++i) {
    if (size[i] == -1) {
      if (infer >= 0) return std::nullopt;
      infer = static_cast<int>(i);
    } else if (size[i] < 0) {
      return std::nullopt;
    } else {
      known *= size[i];
    }
  }
  Shape out = size;
  int64_t n = Numel(in);
  if (infer >= 0) {
    if (known == 0 || n % known != 0) return std::nullopt;
    out[infer] = n / known;
  } else if (known != n) {
    return std::nullopt;
  }
  return out;
}

std::optional<OutputMeta> Factory(std::string_view op, const Attrs& attrs) {
  OutputMeta out;
  out.device = DeviceAttr(attrs, "cpu");
  if (!IsCanonicalDevice(out.device)) return std::nullopt;
  std::optional<DType> dtype = DTypeAttr(attrs, "dtype");
  if (op == "randperm") {
    auto n = IntAttr(attrs, "n");
    if (!n.has_value() || *n < 0) return std::nullopt;
    out.shape = {*n};
    out.dtype = dtype.value_or(DType::kInt64);
    return out;
  }
  auto size = IntsAttr(attrs, "size");
  if (!size.has_value()) return std::nullopt;
  for (int64_t s : *size) {
    if (s < 0) return std::nullopt;
  }
  out.shape = *size;
  if (op == "randint") {
    out.dtype = dtype.value_or(DType::kInt64);
  } else if (op == "full" && !dtype.has_value()) {
    const auto* v = Attr(attrs, "fill_value");
    const Scalar* s = v != nullptr ? std::get_if<Scalar>(v) : nullptr;
    if (s == nullptr) return std::nullopt;
    out.dtype = s->is_bool() ? DType::kBool
                : s->is_integral() ? DType::kInt64
                                   : DType::kFloat32;
  } else {
    out.dtype = dtype.value_or(DType::kFloat32);
  }
  if ((op == "rand" || op == "randn") && !IsFloatingPoint(out.dtype)) return std::nullopt;
  return out;
}

}  // namespace

bool IsCanonicalDevice(std::string_view device) {
  return device.empty() || device == "cpu" || device.find(':') != std::string_view::npos;
}

bool InplaceChangesShape(std::string_view op) { return op == "resize_" || op == "t_"; }

std::optional<OutputMeta> InferMeta(std::string_view op, const std::vector<InputMeta>& inputs,
                                    const Attrs& attrs) {
  static const std::set<std::string_view> kFactories = {"zeros", "ones",    "empty",   "full",
                                                        "rand",  "randn",   "randint", "randperm"};
  if (kFactories.count(op)) return inputs.empty() ? Factory(op, attrs) : std::nullopt;

  // Every tensor input must be known; at least one tensor.
  const InputMeta* first = nullptr;
  for (const InputMeta& in : inputs) {
    if (in.kind == InputMeta::kTensor) {
      if (!in.known) return std::nullopt;
      if (first == nullptr) first = &in;
    }
  }
  if (first == nullptr) return std::nullopt;
  const InputMeta& self = inputs[0];
  OutputMeta out;
  // The server runs the op where its non-CPU tensors are (CPU scalars may
  // join them): the first such device, else the first tensor's.
  out.device = first->device;
  for (const InputMeta& in : inputs) {
    if (in.kind == InputMeta::kTensor && !in.device.empty() && in.device != "cpu") {
      out.device = in.device;
      break;
    }
  }

  if (SameMetaOps().count(op)) {
    if (self.kind != InputMeta::kTensor || !IsFloatingPoint(self.dtype)) return std::nullopt;
    out.dtype = self.dtype;
    out.shape = self.shape;
    return out;
  }

  if (ArithmeticOps().count(op) || BoolResultOps().count(op)) {
    if (inputs.size() != 2) return std::nullopt;
    std::optional<Shape> shape = Shape{};
    std::optional<DType> dtype;
    bool mixed = false;
    for (const InputMeta& in : inputs) {
      if (in.kind == InputMeta::kNone) return std::nullopt;
      if (in.kind != InputMeta::kTensor) continue;
      shape = Broadcast(*shape, in.shape);
      if (!shape.has_value()) return std::nullopt;
      if (dtype.has_value() && *dtype != in.dtype) mixed = true;
      dtype = in.dtype;
    }
    out.shape = *shape;
    if (BoolResultOps().count(op)) {
      out.dtype = DType::kBool;
      return out;
    }
    // Same floating dtype on every tensor; numbers never promote a float tensor.
    if (mixed || !IsFloatingPoint(*dtype)) return std::nullopt;
    if (op == "div" && HasAttr(attrs, "rounding_mode")) return std::nullopt;
    out.dtype = *dtype;
    return out;
  }

  if (self.kind != InputMeta::kTensor) return std::nullopt;
  const Shape& s = self.shape;
  out.dtype = self.dtype;

  if (ReduceKeepDTypeOps().count(op)) {
    if (!IsFloatingPoint(self.dtype) || HasAttr(attrs, "dtype")) return std::nullopt;
    auto shape = Reduced(s, IntsAttr(attrs, "dim"), BoolAttr(attrs, "keepdim", false));
    if (!shape.has_value()) return std::nullopt;
    out.shape = *shape;
    return out;
  }
  if (op == "argmax" || op == "argmin") {
    auto dim = IntAttr(attrs, "dim");
    if (!dim.has_value()) {
      if (BoolAttr(attrs, "keepdim", false)) return std::nullopt;
      out.shape = {};
    } else {
      auto shape = Reduced(s, Shape{*dim}, BoolAttr(attrs, "keepdim", false));
      if (!shape.has_value()) return std::nullopt;
      out.shape = *shape;
    }
    out.dtype = DType::kInt64;
    return out;
  }
  if (op == "softmax" || op == "log_softmax" || op == "cumsum") {
    if (!IsFloatingPoint(self.dtype) || HasAttr(attrs, "dtype")) return std::nullopt;
    out.shape = s;
    return out;
  }
  if (op == "to" || op == "_to_copy") {
    out.dtype = DTypeAttr(attrs, "dtype").value_or(self.dtype);
    out.device = DeviceAttr(attrs, self.device);
    if (!IsCanonicalDevice(out.device)) return std::nullopt;
    out.shape = s;
    return out;
  }
  if (op == "masked_fill") {
    out.shape = s;
    return out;
  }
  if (op == "clamp") {
    if (!IsFloatingPoint(self.dtype)) return std::nullopt;
    out.shape = s;
    return out;
  }
  if (op == "mm" || op == "matmul" || op == "addmm" || op == "bmm") {
    size_t a = op == "addmm" ? 1 : 0;
    if (inputs.size() != a + 2 || inputs[a].kind != InputMeta::kTensor ||
        inputs[a + 1].kind != InputMeta::kTensor) {
      return std::nullopt;
    }
    for (const InputMeta& in : inputs) {
      if (in.kind != InputMeta::kTensor || in.dtype != self.dtype) return std::nullopt;
    }
    if (!IsFloatingPoint(self.dtype)) return std::nullopt;
    const Shape& m1 = inputs[a].shape;
    const Shape& m2 = inputs[a + 1].shape;
    if ((op == "mm" || op == "addmm") && (m1.size() != 2 || m2.size() != 2)) return std::nullopt;
    if (op == "bmm" && (m1.size() != 3 || m2.size() != 3 || m1[0] != m2[0])) return std::nullopt;
    auto shape = Matmul(m1, m2);
    if (!shape.has_value()) return std::nullopt;
    if (op == "addmm" && !Broadcast(s, *shape).has_value()) return std::nullopt;
    out.shape = *shape;
    return out;
  }
  if (op == "t") {
    if (s.size() > 2) return std::nullopt;
    out.shape = Shape(s.rbegin(), s.rend());
    return out;
  }
  if (op == "transpose") {
    auto d0 = IntAttr(attrs, "dim0"), d1 = IntAttr(attrs, "dim1");
    if (!d0 || !d1) return std::nullopt;
    auto w0 = WrapDim(*d0, s.size()), w1 = WrapDim(*d1, s.size());
    if (!w0 || !w1) return std::nullopt;
    out.shape = s;
    if (!s.empty()) std::swap(out.shape[*w0], out.shape[*w1]);
    return out;
  }
  if (op == "unsqueeze") {
    auto d = IntAttr(attrs, "dim");
    if (!d) return std::nullopt;
    auto w = WrapDim(*d, s.size() + 1);
    if (!w) return std::nullopt;
    out.shape = s;
    out.shape.insert(out.shape.begin() + *w, 1);
    return out;
  }
  if (op == "squeeze") {
    auto dims = IntsAttr(attrs, "dim");
    std::vector<bool> drop(s.size(), false);
    if (!dims.has_value()) {
      for (size_t i = 0; i < s.size(); ++i) drop[i] = s[i] == 1;
    } else {
      for (int64_t d : *dims) {
        auto w = WrapDim(d, s.size());
        if (!w) return std::nullopt;
        if (!s.empty() && s[*w] == 1) drop[*w] = true;
      }
    }
    for (size_t i = 0; i < s.size(); ++i) {
      if (!drop[i]) out.shape.push_back(s[i]);
    }
    return out;
  }
  if (op == "view" || op == "reshape") {
    auto size = IntsAttr(attrs, op == "view" ? "size" : "shape");
    if (!size) return std::nullopt;
    auto shape = Reshape(s, *size);
    if (!shape) return std::nullopt;
    out.shape = *shape;
    return out;
  }
  if (op == "permute") {
    auto dims = IntsAttr(attrs, "dims");
    if (!dims || dims->size() != s.size()) return std::nullopt;
    std::vector<bool> seen(s.size(), false);
    for (int64_t d : *dims) {
      auto w = WrapDim(d, s.size());
      if (!w || seen[*w]) return std::nullopt;
      seen[*w] = true;
      out.shape.push_back(s[*w]);
    }
    return out;
  }
  if (op == "select") {
    auto d = IntAttr(attrs, "dim"), i = IntAttr(attrs, "index");
    if (!d || !i || s.empty()) return std::nullopt;
    auto w = WrapDim(*d, s.size());
    if (!w || *i < -s[*w] || *i >= s[*w]) return std::nullopt;
    out.shape = s;
    out.shape.erase(out.shape.begin() + *w);
    return out;
  }
  if (op == "slice") {
    if (s.empty()) return std::nullopt;
    auto w = WrapDim(IntAttr(attrs, "dim").value_or(0), s.size());
    int64_t step = IntAttr(attrs, "step").value_or(1);
    if (!w || step <= 0) return std::nullopt;
    int64_t n = s[*w];
    int64_t start = IntAttr(attrs, "start").value_or(0);
    int64_t end = IntAttr(attrs, "end").value_or(n);
    if (start < 0) start += n;
    if (end < 0) end += n;
    start = std::clamp<int64_t>(start, 0, n);
    end = std::clamp<int64_t>(end, start, n);
    out.shape = s;
    out.shape[*w] = (end - start + step - 1) / step;
    return out;
  }
  if (op == "narrow") {
    auto d = IntAttr(attrs, "dim"), start = IntAttr(attrs, "start"),
         length = IntAttr(attrs, "length");
    if (!d || !start || !length || s.empty()) return std::nullopt;
    auto w = WrapDim(*d, s.size());
    if (!w) return std::nullopt;
    int64_t st = *start < 0 ? *start + s[*w] : *start;
    if (st < 0 || *length < 0 || st + *length > s[*w]) return std::nullopt;
    out.shape = s;
    out.shape[*w] = *length;
    return out;
  }
  if (op == "index_select" || op == "gather" || op == "index") {
    if (inputs.size() != 2 || inputs[1].kind != InputMeta::kTensor) return std::nullopt;
    const InputMeta& idx = inputs[1];
    if (idx.dtype != DType::kInt64 && idx.dtype != DType::kInt32) return std::nullopt;
    if (op == "gather") {
      if (idx.shape.size() != s.size()) return std::nullopt;
      out.shape = idx.shape;
      return out;
    }
    if (op == "index") {  // t[idx] with one integer index tensor: idx.shape + s[1:]
      if (s.empty()) return std::nullopt;
      out.shape = idx.shape;
      out.shape.insert(out.shape.end(), s.begin() + 1, s.end());
      return out;
    }
    auto d = IntAttr(attrs, "dim");
    if (!d || idx.shape.size() != 1) return std::nullopt;
    auto w = WrapDim(*d, s.size());
    if (!w || s.empty()) return std::nullopt;
    out.shape = s;
    out.shape[*w] = idx.shape[0];
    return out;
  }
  if (op == "cat" || op == "stack") {
    int64_t d = IntAttr(attrs, "dim").value_or(0);
    for (const InputMeta& in : inputs) {
      if (in.kind != InputMeta::kTensor || in.dtype != self.dtype ||
          in.shape.size() != s.size()) {
        return std::nullopt;
      }
    }
    if (op == "stack") {
      auto w = WrapDim(d, s.size() + 1);
      if (!w) return std::nullopt;
      for (const InputMeta& in : inputs) {
        if (in.shape != s) return std::nullopt;
      }
      out.shape = s;
      out.shape.insert(out.shape.begin() + *w, static_cast<int64_t>(inputs.size()));
      return out;
    }
    if (s.empty()) return std::nullopt;
    auto w = WrapDim(d, s.size());
    if (!w) return std::nullopt;
    out.shape = s;
    out.shape[*w] = 0;
    for (const InputMeta& in : inputs) {
      for (size_t i = 0; i < s.size(); ++i) {
        if (i != static_cast<size_t>(*w) && in.shape[i] != s[i]) return std::nullopt;
      }
      out.shape[*w] += in.shape[*w];
    }
    return out;
  }
  return std::nullopt;
}

}  // namespace tensord::client
