// Tensor printing with PyTorch's rules (torch/_tensor_str.py), as the Python
// client's _format.py: one formatter per tensor (int mode `5.`, fixed with
// `precision` decimals, or scientific), line wrapping at `linewidth`,
// summarization with `...` beyond `threshold` elements (only the edges are
// fetched), and the dtype / grad_fn / requires_grad suffixes.
#include <cmath>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "tensord/tensord.h"

namespace tensord {

namespace {

PrintOptions g_print_options;

std::string Printf(const char* fmt, int precision, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, precision, v);
  return buf;
}

// Elements are addressed by index into `values` (floating tensors) or
// `ints` (integer and bool tensors, kept exact).
class Formatter {
 public:
  Formatter(const std::vector<double>& values, const std::vector<int64_t>& ints, bool floating,
            bool is_bool)
      : values_(values), ints_(ints), floating_(floating), is_bool_(is_bool) {
    const PrintOptions& o = g_print_options;
    if (!floating) {
      for (size_t i = 0; i < ints.size(); ++i) {
        max_width_ = std::max(max_width_, Format(i, false).size());
      }
      return;
    }
    std::vector<double> nz;
    for (double v : values) {
      if (std::isfinite(v) && v != 0) nz.push_back(v);
    }
    if (!nz.empty()) {
      double vmin = INFINITY, vmax = 0;
      for (double v : nz) {
        vmin = std::min(vmin, std::fabs(v));
        vmax = std::max(vmax, std::fabs(v));
        if (v != std::ceil(v)) int_mode_ = false;
      }
      bool big_range = vmax / vmin > 1000.0 || vmax > 1.0e8;
      sci_mode_ = big_range || (!int_mode_ && vmin < 1.0e-4);
      for (double v : nz) {
        std::string s = sci_mode_   ? Printf("%.*e", o.precision, v)
                        : int_mode_ ? Printf("%.*f", 0, v) + "."
                                    : Printf("%.*f", o.precision, v);
        max_width_ = std::max(max_width_, s.size());
      }
    }
    if (o.sci_mode.has_value()) sci_mode_ = *o.sci_mode;
  }

  size_t width() const { return max_width_; }

  std::string Format(size_t index, bool pad = true) const {
    const PrintOptions& o = g_print_options;
    std::string s;
    double v = floating_ ? values_[index] : 0;
    if (!floating_) {
      int64_t i = ints_[index];
      s = is_bool_ ? (i != 0 ? "True" : "False") : std::to_string(i);
    } else if (std::isnan(v)) {
      s = "nan";
    } else if (std::isinf(v)) {
      s = v < 0 ? "-inf" : "inf";
    } else if (sci_mode_) {
      s = Printf("%.*e", o.precision, v);
    } else if (int_mode_) {
      s = Printf("%.*f", 0, v) + ".";
    } else {
      s = Printf("%.*f", o.precision, v);
    }
    if (pad && s.size() < max_width_) s.insert(0, max_width_ - s.size(), ' ');
    return s;
  }

 private:
  const std::vector<double>& values_;
  const std::vector<int64_t>& ints_;
  bool floating_;
  bool is_bool_;
  bool int_mode_ = true;
  bool sci_mode_ = false;
  size_t max_width_ = 1;
};

// `values` holds the printed elements row-major over `kept` (the summarized
// sizes); `shape` is the true shape.
struct Body {
  const std::vector<int64_t>& shape;
  const std::vector<int64_t>& kept;
  bool summarize;
  const Formatter& fmt;

  size_t Stride(size_t dim) const {
    size_t s = 1;
    for (size_t i = dim; i < kept.size(); ++i) s *= static_cast<size_t>(kept[i]);
    return s;
  }

  std::string Vector(size_t offset, size_t indent) const {
    const PrintOptions& o = g_print_options;
    int64_t n = shape.back();
    int64_t e = o.edgeitems;
    size_t element_length = fmt.width() + 2;
    size_t per_line = std::max<size_t>(
        1, static_cast<size_t>(std::floor(static_cast<double>(o.linewidth - static_cast<int64_t>(indent)) /
                                          static_cast<double>(element_length))));
    std::vector<std::string> data;
    if (summarize && n > 2 * e) {
      for (int64_t i = 0; i < e; ++i) data.push_back(fmt.Format(offset + i));
      data.push_back(" ...");
      for (int64_t i = e; i < 2 * e; ++i) data.push_back(fmt.Format(offset + i));
    } else {
      for (int64_t i = 0; i < n; ++i) data.push_back(fmt.Format(offset + i));
    }
    std::string out = "[";
    for (size_t i = 0; i < data.size(); ++i) {
      if (i > 0) out += (i % per_line == 0) ? ",\n" + std::string(indent + 1, ' ') : ", ";
      out += data[i];
    }
    return out + "]";
  }

  std::string Str(size_t dim, size_t offset, size_t indent) const {
    size_t ndim = shape.size();
    if (ndim == 0) return fmt.Format(0);
    if (dim == ndim - 1) return Vector(offset, indent);
    int64_t e = g_print_options.edgeitems;
    size_t stride = Stride(dim + 1);
    std::vector<std::string> slices;
    if (summarize && shape[dim] > 2 * e) {
      for (int64_t i = 0; i < e; ++i) slices.push_back(Str(dim + 1, offset + i * stride, indent + 1));
      slices.push_back("...");
      for (int64_t i = e; i < 2 * e; ++i) {
        slices.push_back(Str(dim + 1, offset + i * stride, indent + 1));
      }
    } else {
      for (int64_t i = 0; i < shape[dim]; ++i) {
        slices.push_back(Str(dim + 1, offset + i * stride, indent + 1));
      }
    }
    std::string sep = "," + std::string(ndim - dim - 1, '\n') + std::string(indent + 1, ' ');
    std::string out = "[";
    for (size_t i = 0; i < slices.size(); ++i) out += (i ? sep : "") + slices[i];
    return out + "]";
  }
};

std::string ShapeTuple(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    s += (i ? ", " : "") + std::to_string(shape[i]);
  }
  return s + (shape.size() == 1 ? ",)" : ")");
}

}  // namespace

void SetPrintOptions(const PrintOptions& options) { g_print_options = options; }
const PrintOptions& GetPrintOptions() { return g_print_options; }

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "tensor(undefined)";
  const PrintOptions& o = g_print_options;
  TensorInfo info = t.Info();
  const std::string prefix = "tensor(";
  const size_t indent = prefix.size();
  int64_t numel = 1;
  for (int64_t s : info.shape) numel *= s;
  std::vector<std::string> suffixes;
  if (info.device != "cpu" && !info.device.empty()) {
    suffixes.push_back("device='" + info.device + "'");
  }
  std::string body;
  if (numel == 0) {
    if (info.shape.size() != 1) suffixes.push_back("size=" + ShapeTuple(info.shape));
    if (info.dtype != DType::kFloat32) {
      suffixes.push_back("dtype=tensord." + std::string(DTypeName(info.dtype)));
    }
    body = "[]";
  } else {
    if (info.dtype != DType::kFloat32 && info.dtype != DType::kInt64 &&
        info.dtype != DType::kBool) {
      suffixes.push_back("dtype=tensord." + std::string(DTypeName(info.dtype)));
    }
    bool summarize = static_cast<double>(numel) > o.threshold;
    std::vector<int64_t> kept = info.shape;
    Tensor edges = t;
    if (summarize) {
      // Fetch only the edge items of every dimension.
      GradModeGuard no_grad(false);
      for (size_t d = 0; d < kept.size(); ++d) {
        if (kept[d] > 2 * o.edgeitems) {
          int64_t dim = static_cast<int64_t>(d);
          edges = Cat({edges.Slice(dim, 0, o.edgeitems), edges.Slice(dim, -o.edgeitems)}, dim);
          kept[d] = 2 * o.edgeitems;
        }
      }
    }
    bool floating = IsFloatingPoint(info.dtype);
    std::vector<double> values;
    std::vector<int64_t> ints;
    if (floating) {
      values = edges.ToVector<double>();
    } else {
      ints = edges.ToVector<int64_t>();
    }
    Formatter fmt(values, ints, floating, info.dtype == DType::kBool);
    body = Body{info.shape, kept, summarize, fmt}.Str(0, 0, indent);
  }
  if (!info.grad_fn.empty()) {
    suffixes.push_back("grad_fn=<" + info.grad_fn + ">");
  } else if (info.requires_grad) {
    suffixes.push_back("requires_grad=True");
  }
  std::string out = prefix + body;
  size_t nl = out.rfind('\n');
  // torch: len(s) - s.rfind("\n") + 1 (so + 2 without a newline).
  size_t last_line_len = nl == std::string::npos ? out.size() + 2 : out.size() - nl + 1;
  for (const std::string& suffix : suffixes) {
    if (last_line_len + suffix.size() + 2 > static_cast<size_t>(o.linewidth)) {
      out += ",\n" + std::string(indent, ' ') + suffix;
      last_line_len = indent + suffix.size();
    } else {
      out += ", " + suffix;
      last_line_len += suffix.size() + 2;
    }
  }
  return os << out << ')';
}

}  // namespace tensord
