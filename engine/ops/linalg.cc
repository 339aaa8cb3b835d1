// Matrix products. mm, mv, dot and bmm are primitives (BLAS kernels);
// matmul composes them following torch.matmul's rank rules.
#include <algorithm>
#include <cctype>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_split.h"
#include "engine/ops/common.h"

namespace tensord::engine {
using namespace ops;

namespace {

absl::Status CheckDTypes(absl::string_view op, const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype()) {
    return Error(op, absl::StrCat("expected m1 and m2 to have the same dtype, but got: ", DTypeName(a.dtype()),
                                  " != ", DTypeName(b.dtype())));
  }
  if (a.dtype() == DType::kBool) return Error(op, "not implemented for 'bool'");
  if (a.device() != b.device()) {
    return Error(op, absl::StrCat("Expected all tensors to be on the same device, but found at least two devices, ",
                                  a.device().ToString(), " and ", b.device().ToString(), "!"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<TensorMeta>> MmPrepare(OpCall& call) {
  const Tensor& a = call.in(0);
  const Tensor& b = call.in(1);
  if (a.dim() != 2) return Error("mm", absl::StrCat("self must be a matrix, got ", a.dim(), "-D"));
  if (b.dim() != 2) return Error("mm", absl::StrCat("mat2 must be a matrix, got ", b.dim(), "-D"));
  if (a.size(1) != b.size(0)) {
    return Error("mm", absl::StrCat("mat1 and mat2 shapes cannot be multiplied (", SizeStr(a.sizes()), " and ",
                                    SizeStr(b.sizes()), ")"));
  }
  TENSORD_RETURN_IF_ERROR(CheckDTypes("mm", a, b));
  return std::vector<TensorMeta>{MetaOf(a.dtype(), {a.size(0), b.size(1)})};
}

absl::StatusOr<std::vector<TensorMeta>> MvPrepare(OpCall& call) {
  const Tensor& a = call.in(0);
  const Tensor& v = call.in(1);
  if (a.dim() != 2 || v.dim() != 1) {
    return Error("mv", absl::StrCat("vector + matrix @ vector expected, got ", a.dim(), ", ", v.dim()));
  }
  if (a.size(1) != v.size(0)) {
    return Error("mv", absl::StrCat("size mismatch, got input (", a.size(0), "), mat (", SizeStr(a.sizes()),
                                    "), vec (", v.size(0), ")"));
  }
  TENSORD_RETURN_IF_ERROR(CheckDTypes("mv", a, v));
  return std::vector<TensorMeta>{MetaOf(a.dtype(), {a.size(0)})};
}

absl::StatusOr<std::vector<TensorMeta>> DotPrepare(OpCall& call) {
  const Tensor& a = call.in(0);
  const Tensor& b = call.in(1);
  if (a.dim() != 1 || b.dim() != 1) {
    return Error("dot", absl::StrCat("1D tensors expected, but got ", a.dim(), "D and ", b.dim(), "D tensors"));
  }
  if (a.size(0) != b.size(0)) {
    return Error("dot", absl::StrCat("inconsistent tensor size, expected tensor [", a.size(0), "] and src [",
                                     b.size(0), "] to have the same number of elements, but got ", a.size(0),
                                     " and ", b.size(0), " elements respectively"));
  }
  TENSORD_RETURN_IF_ERROR(CheckDTypes("dot", a, b));
  return std::vector<TensorMeta>{MetaOf(a.dtype(), {})};
}

absl::StatusOr<std::vector<TensorMeta>> BmmPrepare(OpCall& call) {
  const Tensor& a = call.in(0);
  const Tensor& b = call.in(1);
  if (a.dim() != 3) return Error("bmm", absl::StrCat("batch1 must be a 3D tensor, got ", a.dim(), "D"));
  if (b.dim() != 3) return Error("bmm", absl::StrCat("batch2 must be a 3D tensor, got ", b.dim(), "D"));
  if (b.size(0) != a.size(0) || b.size(1) != a.size(2)) {
    return Error("bmm", absl::StrCat("Expected size for first two dimensions of batch2 tensor to be: [", a.size(0),
                                     ", ", a.size(2), "] but got: [", b.size(0), ", ", b.size(1), "]."));
  }
  TENSORD_RETURN_IF_ERROR(CheckDTypes("bmm", a, b));
  return std::vector<TensorMeta>{MetaOf(a.dtype(), {a.size(0), a.size(1), b.size(2)})};
}

// PyTorch's should_fold: a >= 3-D operand times a 1-D or 2-D one folds its
// batch into the rows of one mm/mv, unless it is 3-D with its last two dims
// transposed over a contiguous first one (permute(0, 2, 1)), which bmm
// reads without a copy.
bool ShouldFold(const Tensor& t, int64_t other_dim) {
  if (t.dim() < 3 || (other_dim != 1 && other_dim != 2)) return false;
  const IntSpan st = t.strides();
  return !(t.dim() == 3 && other_dim == 2 && st[2] != 1 && st[0] == t.size(1) * t.size(2));
}

// t (>= 3-D) @ m (1-D or 2-D) as one mv/mm over t's rows.
Tensor FoldedProduct(const Tensor& t, const Tensor& m) {
  Shape out_shape = ToShape(t.sizes().subspan(0, t.dim() - 1));
  Tensor rows = fn::Reshape(t, {Numel(out_shape), t.size(-1)});  // not -1: k may be 0
  if (m.dim() == 1) return fn::View(fn::Mv(rows, m), out_shape);
  out_shape.push_back(m.size(1));
  return fn::View(fn::Mm(rows, m), out_shape);
}

// matmul by rank (torch.matmul): dot, mv, mm, folded mm, or broadcast bmm.
absl::StatusOr<std::vector<Tensor>> MatmulForward(OpCall& call) {
  const Tensor& a = call.in(0);
  const Tensor& b = call.in(1);
  const int64_t da = a.dim(), db = b.dim();
  if (da == 0 || db == 0) {
    return Error("matmul", absl::StrCat("both arguments to matmul need to be at least 1D, but they are ", da,
                                        "D and ", db, "D"));
  }
  TENSORD_RETURN_IF_ERROR(CheckDTypes("matmul", a, b));
  // Validate here so the error names matmul, with the matrices it multiplies.
  const int64_t k = a.size(-1);
  const int64_t kb = db == 1 ? b.size(0) : b.size(-2);
  if (k != kb) {
    std::string lhs = da == 1 ? absl::StrCat("1x", k)
                      : da >= 3 && db <= 2 ? absl::StrCat(Numel(a.sizes()) / std::max<int64_t>(k, 1), "x", k)
                                           : SizeStr(a.sizes().subspan(da - 2));
    std::string rhs = db == 1 ? absl::StrCat(kb, "x1") : SizeStr(b.sizes().subspan(db - 2));
    return Error("matmul", absl::StrCat("mat1 and mat2 shapes cannot be multiplied (", lhs, " and ", rhs, ")"));
  }
  if (da == 1 && db == 1) return std::vector<Tensor>{fn::Dot(a, b)};
  if (da == 2 && db == 1) return std::vector<Tensor>{fn::Mv(a, b)};
  if (da == 1 && db == 2) return std::vector<Tensor>{fn::Squeeze(fn::Mm(fn::Unsqueeze(a, 0), b), 0)};
  if (da == 2 && db == 2) return std::vector<Tensor>{fn::Mm(a, b)};
  if (ShouldFold(a, db) || ShouldFold(b, da)) {
    // One GEMM/GEMV over the folded batch of the >= 3-D operand; batched @
    // (1-D or 2-D) directly, (1-D or 2-D) @ batched as (b^T @ a^T)^T, as
    // PyTorch does (so 16-bit results round alike).
    if (db > da) {
      Tensor r = FoldedProduct(fn::Transpose(b, -1, -2), da == 2 ? fn::T(a) : a);
      return std::vector<Tensor>{da == 2 ? fn::Transpose(r, -1, -2) : r};
    }
    return std::vector<Tensor>{FoldedProduct(a, b)};
  }
  Tensor a1 = da == 1 ? fn::Unsqueeze(a, 0) : a;
  Tensor b1 = db == 1 ? fn::Unsqueeze(b, 1) : b;
  const int64_t n = a1.size(-2), m = b1.size(-1);
  TENSORD_ASSIGN_OR_RETURN(Shape batch, BroadcastShapes("matmul", a1.sizes().subspan(0, a1.dim() - 2),
                                                        b1.sizes().subspan(0, b1.dim() - 2)));
  const int64_t nb = Numel(batch);
  Shape ea = batch, eb = batch;
  ea.insert(ea.end(), {n, k});
  eb.insert(eb.end(), {k, m});
  Tensor a3 = fn::Reshape(fn::Expand(a1, ea), {nb, n, k});
  Tensor b3 = fn::Reshape(fn::Expand(b1, eb), {nb, k, m});
  Shape out_shape = batch;
  out_shape.insert(out_shape.end(), {n, m});
  Tensor r = fn::View(fn::Bmm(a3, b3), out_shape);
  if (da == 1) r = fn::Squeeze(r, -2);
  if (db == 1) r = fn::Squeeze(r, -1);
  return std::vector<Tensor>{r};
}

const std::vector<InputSpec> kMatInputs = {{"self"}, {"mat2"}};

}  // namespace

const OpDef& MmOp() {
  // d(A@B) = (g @ B^T, A^T @ g)
  static const OpDef d{.id = OpId::kMm, .name = "mm", .inputs = kMatInputs, .doc = "Matrix product of two 2-D tensors.",
                       .prepare = MmPrepare,
                       .backward = [](const BackwardCtx& c) {
                         return std::vector<Tensor>{
                             c.needs_input_grad[0] ? fn::Mm(c.grad(), fn::T(c.in(1))) : Tensor(),
                             c.needs_input_grad[1] ? fn::Mm(fn::T(c.in(0)), c.grad()) : Tensor()};
                       },
                       .backward_name = "MmBackward0", .saves = {.inputs = {SavedFor(1), SavedFor(0)}}};
  return d;
}
const OpDef& MvOp() {
  // d(A@v) = (outer(g, v), A^T @ g)
  static const OpDef d{.id = OpId::kMv, .name = "mv", .inputs = {{"self"}, {"vec"}},
                       .doc = "Matrix-vector product.", .prepare = MvPrepare,
                       .backward = [](const BackwardCtx& c) {
                         return std::vector<Tensor>{
                             c.needs_input_grad[0] ? fn::Mm(fn::Unsqueeze(c.grad(), 1), fn::Unsqueeze(c.in(1), 0)) : Tensor(),
                             c.needs_input_grad[1] ? fn::Mv(fn::T(c.in(0)), c.grad()) : Tensor()};
                       },
                       .backward_name = "MvBackward0", .saves = {.inputs = {SavedFor(1), SavedFor(0)}}};
  return d;
}
const OpDef& DotOp() {
  // d(a.b) = (g*b, g*a)
  static const OpDef d{.id = OpId::kDot, .name = "dot", .inputs = {{"self"}, {"other"}},
                       .doc = "Inner product of two 1-D tensors.", .prepare = DotPrepare,
                       .backward = [](const BackwardCtx& c) {
                         return std::vector<Tensor>{c.needs_input_grad[0] ? fn::Mul(c.grad(), c.in(1)) : Tensor(),
                                                    c.needs_input_grad[1] ? fn::Mul(c.grad(), c.in(0)) : Tensor()};
                       },
                       .backward_name = "DotBackward0", .saves = {.inputs = {SavedFor(1), SavedFor(0)}}};
  return d;
}
const OpDef& BmmOp() {
  // d(A@B) per batch = (g @ B^T, A^T @ g)
  static const OpDef d{.id = OpId::kBmm, .name = "bmm", .inputs = kMatInputs,
                       .doc = "Batched matrix product of two 3-D tensors.", .prepare = BmmPrepare,
                       .backward = [](const BackwardCtx& c) {
                         return std::vector<Tensor>{
                             c.needs_input_grad[0] ? fn::Bmm(c.grad(), fn::Transpose(c.in(1), 1, 2)) : Tensor(),
                             c.needs_input_grad[1] ? fn::Bmm(fn::Transpose(c.in(0), 1, 2), c.grad()) : Tensor()};
                       },
                       .backward_name = "BmmBackward0", .saves = {.inputs = {SavedFor(1), SavedFor(0)}}};
  return d;
}
const OpDef& OuterOp() {
  static const OpDef d{.id = OpId::kOuter, .name = "outer", .inputs = {{"self"}, {"vec2"}},
                       .doc = "Outer product of two 1-D tensors.",
                       .forward = [](OpCall& call) -> absl::StatusOr<std::vector<Tensor>> {
                         const Tensor& a = call.in(0);
                         const Tensor& b = call.in(1);
                         if (a.dim() != 1 || b.dim() != 1) {
                           return Error("outer", absl::StrCat("expects 1-D tensors, got ", a.dim(), "-D and ", b.dim(), "-D"));
                         }
                         return std::vector<Tensor>{fn::Mul(fn::Unsqueeze(a, 1), b)};
                       },
                       .differentiable_composite = true};
  return d;
}
// beta * self + alpha * (a @ b), composed (so every term differentiates).
absl::StatusOr<std::vector<Tensor>> AddProduct(OpCall& call, OpId product) {
  const Scalar beta = call.GetScalar(0), alpha = call.GetScalar(1);
  Tensor prod = fn::Call1(product, {call.in(1), call.in(2)});
  if (alpha.to_double() != 1.0) prod = fn::Mul(prod, alpha);
  if (beta.to_double() == 0.0) return std::vector<Tensor>{fn::Add(prod, fn::ZerosLike(prod))};  // self ignored (NaN too)
  Tensor self = beta.to_double() == 1.0 ? call.in(0) : fn::Mul(call.in(0), beta);
  TENSORD_ASSIGN_OR_RETURN(Shape shape, BroadcastShapes(call.def->name, self.sizes(), prod.sizes()));
  if (!std::equal(shape.begin(), shape.end(), prod.sizes().begin(), prod.sizes().end())) {
    return Error(call.def->name, absl::StrCat("self of shape ", ShapeToString(self.sizes()),
                                              " cannot broadcast to the product's shape ", ShapeToString(prod.sizes())));
  }
  return std::vector<Tensor>{fn::Add(self, prod)};
}
// d(beta*s + alpha*(A@B)) = (sum_to_size(beta*g), alpha*g @ B^T, alpha*A^T @ g)
// (PyTorch's addmm/baddbmm backward; one node, AddmmBackward0 in the graph).
template <bool kBatched>
std::vector<Tensor> AddProductBackward(const BackwardCtx& c) {
  const Scalar beta = std::get<Scalar>(c.attr(0)), alpha = std::get<Scalar>(c.attr(1));
  const Tensor& g = c.grad();
  Tensor gs, g1, g2;
  if (c.needs_input_grad[0]) gs = fn::SumToSize(beta.to_double() == 1.0 ? g : fn::Mul(g, beta), c.in_sizes(0));
  const Tensor ga = alpha.to_double() == 1.0 ? g : fn::Mul(g, alpha);
  if (c.needs_input_grad[1]) g1 = kBatched ? fn::Bmm(ga, fn::Transpose(c.in(2), 1, 2)) : fn::Mm(ga, fn::T(c.in(2)));
  if (c.needs_input_grad[2]) g2 = kBatched ? fn::Bmm(fn::Transpose(c.in(1), 1, 2), ga) : fn::Mm(fn::T(c.in(1)), ga);
  return {gs, g1, g2};
}
// Integer products take integer beta and alpha (PyTorch truncates them).
absl::StatusOr<std::vector<Tensor>> AddProductForward(OpCall& call, OpId product) {
  if (!IsFloating(ResultType({call.in(1), call.in(2)}))) {
    for (int i : {0, 1}) call.attrs[i] = Scalar(static_cast<int64_t>(call.GetScalar(i).to_double()));
  }
  return AddProduct(call, product);
}
const OpDef& AddmmOp() {
  static const OpDef d{.id = OpId::kAddmm, .name = "addmm", .inputs = {{"self"}, {"mat1"}, {"mat2"}},
                       .attrs = {WithDefault("beta", AttrType::kScalar, Scalar(1)),
                                 WithDefault("alpha", AttrType::kScalar, Scalar(1))},
                       .doc = "beta * self + alpha * (mat1 @ mat2).",
                       .forward = [](OpCall& call) { return AddProductForward(call, OpId::kMm); },
                       .backward = AddProductBackward<false>, .backward_name = "AddmmBackward0",
                       .saves = {.inputs = {kSavedNever, SavedFor(2), SavedFor(1)}}};
  return d;
}
const OpDef& BaddbmmOp() {
  static const OpDef d{.id = OpId::kBaddbmm, .name = "baddbmm", .inputs = {{"self"}, {"batch1"}, {"batch2"}},
                       .attrs = {WithDefault("beta", AttrType::kScalar, Scalar(1)),
                                 WithDefault("alpha", AttrType::kScalar, Scalar(1))},
                       .doc = "beta * self + alpha * bmm(batch1, batch2).",
                       .forward = [](OpCall& call) { return AddProductForward(call, OpId::kBmm); },
                       .backward = AddProductBackward<true>, .backward_name = "BaddbmmBackward0",
                       .saves = {.inputs = {kSavedNever, SavedFor(2), SavedFor(1)}}};
  return d;
}
// Note [einsum]
//   Subscripts become integer labels: a letter is its character code, the
//   dims an ellipsis covers are kEllipsisLabel + k, right-aligned across
//   operands (so they broadcast like NumPy). Then, per operand, a repeated
//   label takes the diagonal (where(eye) and a sum), and a label found in no
//   other operand and not in the output is summed away. Operands are then
//   contracted left to right, two at a time, each pair as one bmm: labels of
//   both that are still needed (output or a later operand) are batch dims,
//   labels of both that are not are contracted, the rest are left/right.
//   Size-1 dims broadcast against the label's size. Everything is built from
//   differentiable ops, so einsum needs no backward rule of its own.
namespace {

constexpr int kEllipsisLabel = 128;
using Labels = std::vector<int>;

Tensor EinsumPermute(const Tensor& t, const Labels& have, const Labels& want) {
  std::vector<int64_t> perm;
  for (int l : want) perm.push_back(std::find(have.begin(), have.end(), l) - have.begin());
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i) identity = identity && perm[i] == static_cast<int64_t>(i);
  return identity ? t : fn::Permute(t, perm);
}

bool Has(const Labels& ls, int l) { return std::find(ls.begin(), ls.end(), l) != ls.end(); }

// Sums `t` over the dims whose labels `keep` rejects.
template <typename Keep>
Tensor SumLabelsAway(Tensor t, Labels& labels, Keep keep) {
  std::vector<int64_t> dims;
  Labels kept;
  for (size_t d = 0; d < labels.size(); ++d) {
    if (keep(labels[d])) kept.push_back(labels[d]); else dims.push_back(static_cast<int64_t>(d));
  }
  if (dims.empty()) return t;
  labels = kept;
  return fn::Sum(t, dims, false);
}

// The diagonal over every repeated label (the later dim is removed).
absl::StatusOr<Tensor> EinsumDiagonals(Tensor t, Labels& labels, size_t operand) {
  for (size_t p = 0; p < labels.size(); ++p) {
    for (size_t q = p + 1; q < labels.size();) {
      if (labels[q] != labels[p]) { ++q; continue; }
      const int64_t n = t.size(p);
      if (t.size(q) != n) {
        return Error("einsum", absl::StrCat("einsum(): subscript ", std::string(1, static_cast<char>(labels[p])),
                                            " is repeated for operand ", operand, " but the sizes don't match, ",
                                            t.size(q), " != ", n));
      }
      Shape row(t.dim(), 1), col(t.dim(), 1);
      row[p] = n;
      col[q] = n;
      Tensor ar = fn::Call1(OpId::kArange, {}, {Scalar(int64_t{0}), Scalar(n), Scalar(int64_t{1}), DType::kInt64, t.device().ToString()});
      Tensor eye = fn::Call1(OpId::kEq, {fn::View(ar, row), fn::View(ar, col)});
      t = fn::Sum(fn::Call1(OpId::kWhere, {eye, t, fn::Full({}, Scalar(0), t.dtype())}), std::vector<int64_t>{int64_t(q)}, false);
      labels.erase(labels.begin() + q);
    }
  }
  return t;
}

}  // namespace

absl::StatusOr<std::vector<Tensor>> EinsumForward(OpCall& call) {
  std::string eq;
  for (char c : *call.GetStr(0)) if (c != ' ') eq.push_back(c);
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  std::vector<std::string> terms = absl::StrSplit(lhs, ',');
  const size_t n_ops = call.inputs.size();
  if (terms.size() > n_ops) return Error("einsum", "einsum(): fewer operands were provided than specified in the equation");
  if (terms.size() < n_ops) return Error("einsum", "einsum(): more operands were provided than specified in the equation");
  // Parses one term: letters, and at most one "..." (marked as -1).
  auto parse = [&](const std::string& term, size_t offset, const std::string& who) -> absl::StatusOr<Labels> {
    Labels out;
    bool ellipsis = false;
    for (size_t i = 0; i < term.size(); ++i) {
      const char c = term[i];
      if (c == '.') {
        if (ellipsis || term.compare(i, 3, "...") != 0) {
          return Error("einsum", absl::StrCat("einsum(): found '.' for ", who, " that is not part of any ellipsis"));
        }
        ellipsis = true;
        out.push_back(-1);
        i += 2;
      } else if (std::isalpha(static_cast<unsigned char>(c))) {
        out.push_back(c);
      } else {
        return Error("einsum", absl::StrCat("einsum(): invalid subscript given at index ", offset + i,
                                            " in the equation string, subscripts must be in [a-zA-Z]"));
      }
    }
    return out;
  };
  std::vector<Labels> labels(n_ops);
  std::vector<int64_t> ellipsis_dims(n_ops, 0);
  int64_t max_ellipsis = 0;
  size_t offset = 0;
  for (size_t i = 0; i < n_ops; ++i) {
    TENSORD_ASSIGN_OR_RETURN(labels[i], parse(terms[i], offset, absl::StrCat("operand ", i)));
    offset += terms[i].size() + 1;
    const int64_t letters = static_cast<int64_t>(labels[i].size()) - (Has(labels[i], -1) ? 1 : 0);
    const int64_t ndim = call.in(i).dim();
    if (Has(labels[i], -1) ? letters > ndim : letters != ndim) {
      return Error("einsum", absl::StrCat("einsum(): the number of subscripts in the equation (", letters,
                                          ") ", Has(labels[i], -1) ? "is more than" : "does not match",
                                          " the number of dimensions (", ndim, ") for operand ", i,
                                          Has(labels[i], -1) ? "" : " and no ellipsis was given"));
    }
    if (Has(labels[i], -1)) ellipsis_dims[i] = ndim - letters;
    max_ellipsis = std::max(max_ellipsis, ellipsis_dims[i]);
  }
  // Ellipsis dims, right-aligned: operand i's k-th is label kEllipsisLabel + (max - e_i) + k.
  for (size_t i = 0; i < n_ops; ++i) {
    auto it = std::find(labels[i].begin(), labels[i].end(), -1);
    if (it == labels[i].end()) continue;
    Labels dims;
    for (int64_t k = 0; k < ellipsis_dims[i]; ++k) dims.push_back(kEllipsisLabel + static_cast<int>(max_ellipsis - ellipsis_dims[i] + k));
    it = labels[i].erase(it);
    labels[i].insert(it, dims.begin(), dims.end());
  }
  Labels out;
  Labels all_ellipsis;
  for (int64_t k = 0; k < max_ellipsis; ++k) all_ellipsis.push_back(kEllipsisLabel + static_cast<int>(k));
  if (arrow == std::string::npos) {  // implicit: the ellipsis dims, then letters seen once, in ASCII order
    out = all_ellipsis;
    for (int c = 'A'; c <= 'z'; ++c) {
      int count = 0;
      for (const Labels& l : labels) count += static_cast<int>(std::count(l.begin(), l.end(), c));
      if (count == 1) out.push_back(c);
    }
  } else {
    TENSORD_ASSIGN_OR_RETURN(Labels parsed, parse(eq.substr(arrow + 2), arrow + 2, "the output"));
    for (int l : parsed) {
      if (l == -1) { out.insert(out.end(), all_ellipsis.begin(), all_ellipsis.end()); continue; }
      const std::string name(1, static_cast<char>(l));
      if (Has(out, l)) return Error("einsum", absl::StrCat("einsum(): output subscript ", name, " appears more than once in the output"));
      bool found = false;
      for (const Labels& ls : labels) found = found || Has(ls, l);
      if (!found) {
        return Error("einsum", absl::StrCat("einsum(): output subscript ", name,
                                            " does not appear in the equation for any input operand"));
      }
      out.push_back(l);
    }
  }
  // Each label's size; size-1 dims broadcast.
  std::vector<Tensor> ops = call.inputs;
  for (size_t i = 0; i < n_ops; ++i) {
    TENSORD_ASSIGN_OR_RETURN(ops[i], EinsumDiagonals(ops[i], labels[i], i));
  }
  absl::flat_hash_map<int, int64_t> size;
  for (size_t i = 0; i < n_ops; ++i) {
    for (size_t d = 0; d < labels[i].size(); ++d) {
      const int l = labels[i][d];
      const int64_t s = ops[i].size(d);
      auto [it, fresh] = size.emplace(l, s);
      if (fresh || it->second == s || s == 1) continue;
      if (it->second != 1) {
        const std::string name = l >= kEllipsisLabel ? "..." : std::string(1, static_cast<char>(l));
        return Error("einsum", absl::StrCat("einsum(): subscript ", name, " has size ", s, " for operand ", i,
                                            " which does not broadcast with previously seen size ", it->second));
      }
      it->second = s;
    }
  }
  auto needed_after = [&](size_t i, int l) {  // in the output or in an operand after i
    if (Has(out, l)) return true;
    for (size_t j = i + 1; j < n_ops; ++j) if (Has(labels[j], l)) return true;
    return false;
  };
  // Labels found in one operand only and not in the output are summed first.
  for (size_t i = 0; i < n_ops; ++i) {
    ops[i] = SumLabelsAway(ops[i], labels[i], [&](int l) {
      if (Has(out, l)) return true;
      for (size_t j = 0; j < n_ops; ++j) if (j != i && Has(labels[j], l)) return true;
      return false;
    });
  }
  auto expand_to_sizes = [&](const Tensor& t, const Labels& ls) {
    Shape want;
    for (int l : ls) want.push_back(size[l]);
    return std::equal(want.begin(), want.end(), t.sizes().begin(), t.sizes().end()) ? t : fn::Expand(t, want);
  };
  auto prod = [&](const Labels& ls) { int64_t n = 1; for (int l : ls) n *= size[l]; return n; };
  Tensor acc = ops[0];
  Labels acc_labels = labels[0];
  for (size_t k = 1; k < n_ops; ++k) {
    const Labels& lb = labels[k];
    Labels batch, left, right, contract;
    for (int l : acc_labels) {
      if (Has(lb, l)) (needed_after(k, l) ? batch : contract).push_back(l);
      else left.push_back(l);
    }
    for (int l : lb) if (!Has(acc_labels, l)) right.push_back(l);
    // Broadcast shared labels; left/right keep their own sizes until they meet another operand.
    Labels a_order = batch, b_order = batch;
    a_order.insert(a_order.end(), left.begin(), left.end());
    a_order.insert(a_order.end(), contract.begin(), contract.end());
    b_order.insert(b_order.end(), contract.begin(), contract.end());
    b_order.insert(b_order.end(), right.begin(), right.end());
    Tensor a = EinsumPermute(acc, acc_labels, a_order);
    Tensor b = EinsumPermute(ops[k], lb, b_order);
    Shape a_want, b_want;
    for (int l : batch) { a_want.push_back(size[l]); b_want.push_back(size[l]); }
    int64_t left_n = 1, right_n = 1;
    for (size_t i = 0; i < left.size(); ++i) { const int64_t s = a.size(a_want.size()); a_want.push_back(s); left_n *= s; }
    for (int l : contract) { a_want.push_back(size[l]); b_want.push_back(size[l]); }
    for (size_t d = b_want.size(); d < b_order.size(); ++d) { b_want.push_back(b.size(d)); right_n *= b.size(d); }
    if (!std::equal(a_want.begin(), a_want.end(), a.sizes().begin(), a.sizes().end())) a = fn::Expand(a, a_want);
    if (!std::equal(b_want.begin(), b_want.end(), b.sizes().begin(), b.sizes().end())) b = fn::Expand(b, b_want);
    Tensor a3 = fn::Reshape(a, {prod(batch), left_n, prod(contract)});
    Tensor b3 = fn::Reshape(b, {prod(batch), prod(contract), right_n});
    Shape shape;
    for (int l : batch) shape.push_back(size[l]);
    for (size_t d = batch.size(); d < batch.size() + left.size(); ++d) shape.push_back(a.size(d));
    for (size_t d = batch.size() + contract.size(); d < b_order.size(); ++d) shape.push_back(b.size(d));
    acc = fn::Reshape(fn::Bmm(a3, b3), shape);
    acc_labels = batch;
    acc_labels.insert(acc_labels.end(), left.begin(), left.end());
    acc_labels.insert(acc_labels.end(), right.begin(), right.end());
  }
  acc = SumLabelsAway(acc, acc_labels, [&](int l) { return Has(out, l); });
  acc = EinsumPermute(acc, acc_labels, out);
  return std::vector<Tensor>{expand_to_sizes(acc, out)};
}

const OpDef& EinsumOp() {
  static const OpDef d{.id = OpId::kEinsum, .name = "einsum", .inputs = {{"operands", false, true}},
                       .attrs = {Required("equation", AttrType::kStr)},
                       .doc = "Einstein summation: any number of operands (contracted left to right), diagonals, ellipsis.",
                       .forward = EinsumForward, .differentiable_composite = true};
  return d;
}

const OpDef& MatmulOp() {
  static const OpDef d{.id = OpId::kMatmul, .name = "matmul", .inputs = {{"self"}, {"other"}},
                       .doc = "torch.matmul: dot, mv, mm or batched broadcast product by rank.",
                       .forward = MatmulForward, .differentiable_composite = true};
  return d;
}

}  // namespace tensord::engine
