// Matrix products. mm, mv, dot and bmm are primitives (BLAS kernels);
// matmul composes them following torch.matmul's rank rules.
#include <algorithm>
#include <cctype>

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
  if (da >= 3 && db <= 2) {
    // Fold a's batch dims into rows: one GEMM instead of a batch of them.
    Shape out_shape = ToShape(a.sizes().subspan(0, da - 1));
    Tensor a2 = fn::Reshape(a, {-1, k});
    Tensor r = db == 1 ? fn::Mv(a2, b) : fn::Mm(a2, b);
    if (db == 2) out_shape.push_back(b.size(1));
    return std::vector<Tensor>{fn::View(r, out_shape)};
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
                       .backward_name = "MmBackward0", .save = kSaveInputs};
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
                       .backward_name = "MvBackward0", .save = kSaveInputs};
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
                       .backward_name = "DotBackward0", .save = kSaveInputs};
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
                       .backward_name = "BmmBackward0", .save = kSaveInputs};
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
const OpDef& AddmmOp() {
  static const OpDef d{.id = OpId::kAddmm, .name = "addmm", .inputs = {{"self"}, {"mat1"}, {"mat2"}},
                       .attrs = {WithDefault("beta", AttrType::kScalar, Scalar(1)),
                                 WithDefault("alpha", AttrType::kScalar, Scalar(1))},
                       .doc = "beta * self + alpha * (mat1 @ mat2).",
                       .forward = [](OpCall& call) { return AddProduct(call, OpId::kMm); },
                       .differentiable_composite = true};
  return d;
}
const OpDef& BaddbmmOp() {
  static const OpDef d{.id = OpId::kBaddbmm, .name = "baddbmm", .inputs = {{"self"}, {"batch1"}, {"batch2"}},
                       .attrs = {WithDefault("beta", AttrType::kScalar, Scalar(1)),
                                 WithDefault("alpha", AttrType::kScalar, Scalar(1))},
                       .doc = "beta * self + alpha * bmm(batch1, batch2).",
                       .forward = [](OpCall& call) { return AddProduct(call, OpId::kBmm); },
                       .differentiable_composite = true};
  return d;
}
// einsum for one or two operands without repeated indices inside an operand
// ("ij,jk->ik", "bij,bjk->bik", "ii" is refused). Reduced to sums, a permute
// and one bmm: batch dims (in both and in the output), left/right dims (in one
// and the output), contracted dims (in both, not in the output).
absl::StatusOr<std::vector<Tensor>> EinsumForward(OpCall& call) {
  std::string eq;
  for (char c : *call.GetStr(0)) if (c != ' ') eq.push_back(c);
  const size_t arrow = eq.find("->");
  std::string lhs = eq.substr(0, arrow), out;
  std::vector<std::string> terms = absl::StrSplit(lhs, ',');
  if (terms.size() != call.inputs.size() || terms.size() > 2) {
    return Error("einsum", absl::StrCat("equation has ", terms.size(), " operands but ", call.inputs.size(),
                                        " tensors were given (1 or 2 supported)"));
  }
  for (size_t i = 0; i < terms.size(); ++i) {
    const std::string& t = terms[i];
    if (static_cast<int64_t>(t.size()) != call.in(i).dim()) {
      return Error("einsum", absl::StrCat("the number of subscripts in the equation (", t.size(),
                                          ") does not match the number of dimensions (", call.in(i).dim(),
                                          ") for operand ", i));
    }
    for (char c : t) {
      if (!std::isalpha(static_cast<unsigned char>(c))) return Error("einsum", absl::StrCat("invalid subscript '", std::string(1, c), "'"));
      if (std::count(t.begin(), t.end(), c) > 1) return Error("einsum", "repeated subscripts within an operand (diagonals) are not supported yet");
    }
  }
  if (arrow == std::string::npos) {  // implicit output: indices seen once, sorted
    std::string all = absl::StrJoin(terms, "");
    for (char c = 'A'; c <= 'z'; ++c) if (std::count(all.begin(), all.end(), c) == 1) out.push_back(c);
  } else {
    out = eq.substr(arrow + 2);
  }
  // Sum away indices of an operand that appear nowhere else.
  std::vector<Tensor> ops = call.inputs;
  for (size_t i = 0; i < terms.size(); ++i) {
    std::vector<int64_t> dims;
    std::string kept;
    for (size_t d = 0; d < terms[i].size(); ++d) {
      char c = terms[i][d];
      bool elsewhere = out.find(c) != std::string::npos || (terms.size() == 2 && terms[1 - i].find(c) != std::string::npos);
      if (elsewhere) kept.push_back(c); else dims.push_back(d);
    }
    if (!dims.empty()) ops[i] = fn::Sum(ops[i], dims, false);
    terms[i] = kept;
  }
  auto size_of = [&](char c) -> int64_t {
    for (size_t i = 0; i < terms.size(); ++i) {
      size_t p = terms[i].find(c);
      if (p != std::string::npos) return ops[i].size(p);
    }
    return 1;
  };
  auto permute_to = [&](const Tensor& t, const std::string& have, const std::string& want) {
    std::vector<int64_t> perm;
    for (char c : want) perm.push_back(have.find(c));
    return fn::Permute(t, perm);
  };
  if (terms.size() == 1) return std::vector<Tensor>{permute_to(ops[0], terms[0], out)};
  const std::string &a = terms[0], &b = terms[1];
  std::string batch, left, right, contract;
  for (char c : a) {
    bool in_b = b.find(c) != std::string::npos, in_out = out.find(c) != std::string::npos;
    if (in_b && in_out) batch.push_back(c);
    else if (in_b) contract.push_back(c);
    else left.push_back(c);
  }
  for (char c : b) if (a.find(c) == std::string::npos) right.push_back(c);
  for (char c : a + b) {
    if (a.find(c) != std::string::npos && b.find(c) != std::string::npos && size_of(c) != ops[1].size(b.find(c))) {
      return Error("einsum", absl::StrCat("operands do not broadcast: subscript '", std::string(1, c), "' has sizes ",
                                          ops[0].size(a.find(c)), " and ", ops[1].size(b.find(c))));
    }
  }
  auto prod = [&](const std::string& s) { int64_t n = 1; for (char c : s) n *= size_of(c); return n; };
  Tensor a3 = fn::Reshape(permute_to(ops[0], a, batch + left + contract), {prod(batch), prod(left), prod(contract)});
  Tensor b3 = fn::Reshape(permute_to(ops[1], b, batch + contract + right), {prod(batch), prod(contract), prod(right)});
  Shape shape;
  for (char c : batch + left + right) shape.push_back(size_of(c));
  Tensor r = fn::Reshape(fn::Bmm(a3, b3), shape);
  return std::vector<Tensor>{permute_to(r, batch + left + right, out)};
}

const OpDef& EinsumOp() {
  static const OpDef d{.id = OpId::kEinsum, .name = "einsum", .inputs = {{"operands", false, true}},
                       .attrs = {Required("equation", AttrType::kStr)},
                       .doc = "Einstein summation over one or two operands (no diagonals yet).",
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
