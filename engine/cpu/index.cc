// Indexing kernels (Note [Advanced indexing] in ops/index.cc).
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/cpu/kernels.h"
#include "engine/ops/index_layout.h"
#include "engine/cpu/loops.h"

namespace tensord::engine::cpu {

namespace {

// The normal form: self, then one int64 index tensor of shape B per indexed
// dim. Calls fn(b, src_offset_elems) for every b in B with the element offset
// (relative to self's offset) that the indices select; checks bounds.
template <typename F>
absl::Status ForEachIndexed(absl::string_view op, const Tensor& self, const std::vector<Tensor>& idx,
                            const std::vector<int64_t>& dims, F fn) {
  const IntSpan b_shape = idx[0].sizes();
  const int64_t nb = Numel(b_shape);
  std::vector<int64_t> pos(b_shape.size(), 0);
  for (int64_t b = 0; b < nb; ++b) {
    int64_t off = 0;
    for (size_t k = 0; k < idx.size(); ++k) {
      int64_t e = 0;
      for (size_t d = 0; d < pos.size(); ++d) e += pos[d] * idx[k].strides()[d];
      int64_t v = idx[k].data<int64_t>()[e];
      const int64_t size = self.size(dims[k]);
      if (v < -size || v >= size) {
        return absl::InvalidArgumentError(absl::StrCat("[", op, "] index ", v, " is out of bounds for dimension ",
                                                       dims[k], " with size ", size));
      }
      if (v < 0) v += size;
      off += v * self.strides()[dims[k]];
    }
    fn(b, off);
    for (int64_t d = static_cast<int64_t>(pos.size()) - 1; d >= 0; --d) {
      if (++pos[d] < b_shape[d]) break;
      pos[d] = 0;
    }
  }
  return absl::OkStatus();
}

// Copies (or adds) between self at the indexed positions and `res` ([B, rest]).
absl::Status IndexCopy(absl::string_view op, const Tensor& self, const std::vector<Tensor>& idx,
                       const std::vector<int64_t>& dims, const Tensor& res_b_rest, bool to_self, bool accumulate) {
  const std::vector<int64_t> rest = RestDims(self, dims);
  Shape rest_sizes, self_rest_strides, res_rest_strides;
  const int64_t nbd = idx[0].dim();
  for (size_t i = 0; i < rest.size(); ++i) {
    rest_sizes.push_back(self.size(rest[i]));
    self_rest_strides.push_back(self.strides()[rest[i]]);
    res_rest_strides.push_back(res_b_rest.strides()[nbd + i]);
  }
  const IntSpan b_shape = idx[0].sizes();
  std::vector<int64_t> pos(b_shape.size(), 0);
  return ForEachIndexed(op, self, idx, dims, [&](int64_t b, int64_t off) {
    int64_t res_off = res_b_rest.storage_offset();
    int64_t rem = b;
    for (int64_t d = nbd - 1; d >= 0; --d) {
      res_off += (rem % b_shape[d]) * res_b_rest.strides()[d];
      rem /= b_shape[d];
    }
    Tensor s = MakeView(self, rest_sizes, self_rest_strides, self.storage_offset() + off);
    Tensor r = MakeView(res_b_rest, rest_sizes, res_rest_strides, res_off);
    if (!to_self) CopyCast(s, r);
    else if (accumulate) AddInPlace(s, r);
    else CopyCast(r, s);
  });
}

}  // namespace

absl::Status IndexKernel(const OpCall& call, std::vector<Tensor>& out) {
  const auto& dims = *call.GetInts(0);
  std::vector<Tensor> idx = IndexInputs(call, 1);
  return IndexCopy("index", call.in(0), idx, dims, AsBRest(out[0], dims, idx[0].dim()), false, false);
}

absl::Status IndexPutKernel(const OpCall& call, std::vector<Tensor>& out) {
  const auto& dims = *call.GetInts(1);
  std::vector<Tensor> idx = IndexInputs(call, 2);
  CopyCast(call.in(0), out[0]);
  return IndexCopy("index_put", out[0], idx, dims, AsBRest(call.in(1), dims, idx[0].dim()), true, call.GetBool(0));
}

absl::Status GatherKernel(const OpCall& call, std::vector<Tensor>& out) {
  const Tensor& self = call.in(0);
  const Tensor& index = call.in(1);
  const int64_t dim = call.GetInt(0);
  const int64_t size = self.dim() == 0 ? 1 : self.size(dim);
  const int64_t dim_stride = self.dim() == 0 ? 0 : self.strides()[dim];
  Shape src_strides(self.strides().begin(), self.strides().end());
  if (self.dim() > 0) src_strides[dim] = 0;
  if (src_strides.size() < static_cast<size_t>(index.dim())) src_strides.resize(index.dim(), 0);
  absl::Status status;
  DispatchAll(self.dtype(), [&]<typename T>() {
    ForEach<3>(index.sizes(), {static_cast<char*>(out[0].raw_data()), static_cast<char*>(index.raw_data()),
                               static_cast<char*>(self.raw_data())},
               {out[0].strides(), index.strides(), IntSpan(src_strides)}, {int(sizeof(T)), 8, int(sizeof(T))},
               [&](char** p, int64_t n, const int64_t* s) {
                 for (int64_t i = 0; i < n; ++i) {
                   int64_t v = *reinterpret_cast<int64_t*>(p[1] + i * s[1]);
                   if (v < 0 || v >= size) {  // gather does not wrap negative indices
                     status = absl::InvalidArgumentError(absl::StrCat("[gather] index ", v, " is out of bounds for dimension ",
                                                                      dim, " with size ", size));
                     return;
                   }
                   *reinterpret_cast<T*>(p[0] + i * s[0]) = reinterpret_cast<T*>(p[2] + i * s[2])[v * dim_stride];
                 }
               },
               /*parallel=*/false);
  });
  return status;
}

absl::Status ScatterKernel(const OpCall& call, std::vector<Tensor>& out) {
  const Tensor& index = call.in(1);
  const bool has_src = call.inputs.size() > 2 && call.in(2).defined();
  const bool add = call.def->id == OpId::kScatterAdd;
  const int64_t dim = call.GetInt(0);
  CopyCast(call.in(0), out[0]);
  const Tensor& o = out[0];
  const int64_t size = o.dim() == 0 ? 1 : o.size(dim);
  const int64_t dim_stride = o.dim() == 0 ? 0 : o.strides()[dim];
  Shape dst_strides(o.strides().begin(), o.strides().end());
  if (o.dim() > 0) dst_strides[dim] = 0;
  Tensor src = has_src ? call.in(2) : Tensor::WrappedScalar(call.GetScalar(1));
  Shape src_strides = has_src ? Shape(src.strides().begin(), src.strides().begin() + index.dim()) : Shape(index.dim(), 0);
  Tensor value = has_src ? src : Tensor::Empty({}, o.dtype());
  if (!has_src) CopyCast(src, value);
  absl::Status status;
  DispatchAll(o.dtype(), [&]<typename T>() {
    using M = OpMath<T>;
    ForEach<3>(index.sizes(), {static_cast<char*>(o.raw_data()), static_cast<char*>(index.raw_data()),
                               static_cast<char*>(value.raw_data())},
               {IntSpan(dst_strides), index.strides(), IntSpan(src_strides)}, {int(sizeof(T)), 8, int(sizeof(T))},
               [&](char** p, int64_t n, const int64_t* s) {
                 for (int64_t i = 0; i < n; ++i) {
                   int64_t v = *reinterpret_cast<int64_t*>(p[1] + i * s[1]);
                   if (v < 0 || v >= size) {  // nor does scatter
                     status = absl::InvalidArgumentError(absl::StrCat("[", call.def->name, "] index ", v,
                                                                      " is out of bounds for dimension ", dim,
                                                                      " with size ", size));
                     return;
                   }
                   T& dst = reinterpret_cast<T*>(p[0] + i * s[0])[v * dim_stride];
                   T x = *reinterpret_cast<T*>(p[2] + i * s[2]);
                   if constexpr (std::is_same_v<T, bool>) dst = add ? (dst || x) : x;
                   else dst = add ? static_cast<T>(M(dst) + M(x)) : x;
                 }
               },
               /*parallel=*/false);
  });
  return status;
}

Tensor Nonzero(const Tensor& self) {
  std::vector<int64_t> hits;
  int64_t count = 0;
  const int64_t nd = self.dim();
  DispatchAll(self.dtype(), [&]<typename T>() {
    Tensor c = self.is_contiguous() ? self : Tensor::Empty(self.sizes(), self.dtype());
    if (!self.is_contiguous()) CopyCast(self, c);
    const T* p = c.data<T>();
    std::vector<int64_t> pos(nd, 0);
    for (int64_t i = 0, n = self.numel(); i < n; ++i) {
      if (static_cast<OpMath<T>>(p[i]) != OpMath<T>(0)) {
        hits.insert(hits.end(), pos.begin(), pos.end());
        ++count;
      }
      for (int64_t d = nd - 1; d >= 0; --d) {
        if (++pos[d] < self.size(d)) break;
        pos[d] = 0;
      }
    }
  });
  Tensor out = Tensor::Empty({count, nd}, DType::kInt64);
  std::copy(hits.begin(), hits.end(), out.data<int64_t>());
  return out;
}

}  // namespace tensord::engine::cpu
