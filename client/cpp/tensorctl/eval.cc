#include "eval.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <utility>
#include <vector>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "json.h"

namespace tensord::tensorctl {
namespace {

// A user error in the expression (not the server's).
struct SyntaxError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---------------------------------------------------------------- tokens

struct Token {
  enum Kind { kEnd, kNumber, kName, kString, kPunct } kind = kEnd;
  std::string text;
  size_t pos = 0;
};

std::vector<Token> Tokenize(const std::string& s) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    if (std::isspace(c)) {
      ++i;
      continue;
    }
    Token t;
    t.pos = i;
    if (std::isdigit(c) || (c == '.' && i + 1 < s.size() && std::isdigit(s[i + 1]))) {
      size_t j = i;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
      if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
        size_t k = j + 1;
        if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
        if (k < s.size() && std::isdigit(static_cast<unsigned char>(s[k]))) {
          j = k;
          while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
        }
      }
      t.kind = Token::kNumber;
      t.text = s.substr(i, j - i);
      i = j;
    } else if (std::isalpha(c) || c == '_') {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      t.kind = Token::kName;
      t.text = s.substr(i, j - i);
      i = j;
    } else if (c == '"' || c == '\'') {
      size_t j = s.find(static_cast<char>(c), i + 1);
      if (j == std::string::npos) throw SyntaxError("unterminated string at column " + std::to_string(i + 1));
      t.kind = Token::kString;
      t.text = s.substr(i + 1, j - i - 1);
      i = j + 1;
    } else if (s.compare(i, 2, "**") == 0) {
      t.kind = Token::kPunct;
      t.text = "**";
      i += 2;
    } else if (std::string_view("+-*/@()[],.=;").find(static_cast<char>(c)) != std::string_view::npos) {
      t.kind = Token::kPunct;
      t.text = std::string(1, static_cast<char>(c));
      ++i;
    } else {
      throw SyntaxError(std::string("unexpected character '") + static_cast<char>(c) +
                        "' at column " + std::to_string(i + 1));
    }
    tokens.push_back(std::move(t));
  }
  Token end;
  end.pos = s.size();
  tokens.push_back(end);
  return tokens;
}

// ---------------------------------------------------------------- values

struct Value {
  enum Kind { kNone, kTensor, kNumber, kList, kString, kDType } kind = kNone;
  tensord::Tensor tensor;
  Scalar number;
  std::vector<Value> list;
  std::string str;
  DType dtype = DType::kUndefined;

  static Value Of(tensord::Tensor t) {
    Value v;
    v.kind = kTensor;
    v.tensor = std::move(t);
    return v;
  }
  static Value Num(Scalar s) {
    Value v;
    v.kind = kNumber;
    v.number = s;
    return v;
  }
};

std::optional<DType> ParseDTypeName(const std::string& name) {
  static const std::map<std::string, DType> kNames = {
      {"bool", DType::kBool},         {"uint8", DType::kUInt8},     {"int8", DType::kInt8},
      {"int16", DType::kInt16},       {"short", DType::kInt16},     {"int32", DType::kInt32},
      {"int", DType::kInt32},         {"int64", DType::kInt64},     {"long", DType::kInt64},
      {"float16", DType::kFloat16},   {"half", DType::kFloat16},    {"bfloat16", DType::kBFloat16},
      {"float32", DType::kFloat32},   {"float", DType::kFloat32},   {"float64", DType::kFloat64},
      {"double", DType::kFloat64}};
  auto it = kNames.find(name);
  if (it == kNames.end()) return std::nullopt;
  return it->second;
}

std::string ScalarText(const Scalar& s) {
  if (s.is_bool()) return std::get<bool>(s.value()) ? "True" : "False";
  if (s.is_integral()) return std::to_string(s.ToInt());
  std::ostringstream os;
  os.precision(8);
  os << s.ToDouble();
  std::string out = os.str();
  if (out.find_first_of(".eEn") == std::string::npos) out += ".0";
  return out;
}

// ---------------------------------------------------------------- evaluator

class Evaluator {
 public:
  Evaluator(Client& client, std::vector<Token> tokens)
      : client_(client), tokens_(std::move(tokens)) {}

  const std::map<std::string, Value>& vars() const { return vars_; }

  Value Program() {
    Value last;
    while (true) {
      if (Peek().kind == Token::kEnd) break;
      if (IsPunct(";")) {
        Next();
        continue;
      }
      if (Peek().kind == Token::kName && tokens_[pos_ + 1].kind == Token::kPunct &&
          tokens_[pos_ + 1].text == "=") {
        std::string name = Next().text;
        Next();
        vars_[name] = Expr();
        last = Value();
      } else {
        last = Expr();
      }
      if (!IsPunct(";") && Peek().kind != Token::kEnd) {
        throw SyntaxError("unexpected '" + Peek().text + "' at column " +
                          std::to_string(Peek().pos + 1));
      }
    }
    return last;
  }

 private:
  const Token& Peek() const { return tokens_[pos_]; }
  const Token& Next() { return tokens_[pos_++]; }
  bool IsPunct(const char* p) const {
    return Peek().kind == Token::kPunct && Peek().text == p;
  }
  void Expect(const char* p) {
    if (!IsPunct(p)) {
      throw SyntaxError(std::string("expected '") + p + "' at column " +
                        std::to_string(Peek().pos + 1) +
                        (Peek().kind == Token::kEnd ? " (end of input)" : ", got '" + Peek().text + "'"));
    }
    Next();
  }

  Value Expr() {
    Value v = Term();
    while (IsPunct("+") || IsPunct("-")) {
      std::string op = Next().text;
      Value rhs = Term();
      v = Binary(op == "+" ? "add" : "sub", v, rhs);
    }
    return v;
  }

  Value Term() {
    Value v = Unary();
    while (IsPunct("*") || IsPunct("/") || IsPunct("@")) {
      std::string op = Next().text;
      Value rhs = Unary();
      v = Binary(op == "*" ? "mul" : op == "/" ? "div" : "matmul", v, rhs);
    }
    return v;
  }

  Value Unary() {
    if (IsPunct("-")) {
      Next();
      Value v = Unary();
      if (v.kind == Value::kNumber) {
        if (v.number.is_floating_point()) return Value::Num(-v.number.ToDouble());
        return Value::Num(-v.number.ToInt());
      }
      return Value::Of(CallOp("neg", {v}, {})[0]);
    }
    if (IsPunct("+")) {
      Next();
      return Unary();
    }
    return Power();
  }

  Value Power() {
    Value base = Postfix();
    if (IsPunct("**")) {
      Next();
      Value exponent = Unary();  // right-associative, binds tighter than unary minus on the left
      return Binary("pow", base, exponent);
    }
    return base;
  }

  Value Postfix() {
    Value v = Primary();
    while (IsPunct(".")) {
      Next();
      if (Peek().kind != Token::kName) throw SyntaxError("expected a name after '.'");
      std::string name = Next().text;
      if (IsPunct("(")) {
        auto [args, kwargs] = Arguments();
        args.insert(args.begin(), v);
        v = Call(name, std::move(args), std::move(kwargs), /*method=*/true);
      } else {
        v = Attribute(v, name);
      }
    }
    return v;
  }

  Value Primary() {
    const Token& t = Peek();
    if (t.kind == Token::kNumber) {
      Next();
      bool is_float = t.text.find_first_of(".eE") != std::string::npos;
      if (is_float) return Value::Num(std::strtod(t.text.c_str(), nullptr));
      return Value::Num(static_cast<int64_t>(std::strtoll(t.text.c_str(), nullptr, 10)));
    }
    if (t.kind == Token::kString) {
      Next();
      Value v;
      v.kind = Value::kString;
      v.str = t.text;
      return v;
    }
    if (IsPunct("(")) {
      Next();
      Value v = Expr();
      Expect(")");
      return v;
    }
    if (IsPunct("[")) {
      Next();
      Value v;
      v.kind = Value::kList;
      while (!IsPunct("]")) {
        v.list.push_back(Expr());
        if (!IsPunct(",")) break;
        Next();
      }
      Expect("]");
      return v;
    }
    if (t.kind == Token::kName) {
      std::string name = Next().text;
      if (IsPunct("(")) {
        auto [args, kwargs] = Arguments();
        return Call(name, std::move(args), std::move(kwargs), /*method=*/false);
      }
      if (name == "True" || name == "False") return Value::Num(Scalar(name == "True"));
      if (name == "None") return Value();
      if (auto it = vars_.find(name); it != vars_.end()) return it->second;
      if (auto d = ParseDTypeName(name)) {
        Value v;
        v.kind = Value::kDType;
        v.dtype = *d;
        return v;
      }
      throw SyntaxError("unknown name '" + name + "'");
    }
    if (t.kind == Token::kEnd) throw SyntaxError("unexpected end of input");
    throw SyntaxError("unexpected '" + t.text + "' at column " + std::to_string(t.pos + 1));
  }

  std::pair<std::vector<Value>, std::vector<std::pair<std::string, Value>>> Arguments() {
    Expect("(");
    std::vector<Value> args;
    std::vector<std::pair<std::string, Value>> kwargs;
    while (!IsPunct(")")) {
      if (Peek().kind == Token::kName && tokens_[pos_ + 1].kind == Token::kPunct &&
          tokens_[pos_ + 1].text == "=") {
        std::string name = Next().text;
        Next();
        kwargs.emplace_back(name, Expr());
      } else {
        if (!kwargs.empty()) throw SyntaxError("positional argument after keyword argument");
        args.push_back(Expr());
      }
      if (!IsPunct(",")) break;
      Next();
    }
    Expect(")");
    return {std::move(args), std::move(kwargs)};
  }

  // ------------------------------------------------------------ semantics

  Value Binary(const std::string& op, const Value& a, const Value& b) {
    if (a.kind == Value::kNumber && b.kind == Value::kNumber) {
      bool floating = a.number.is_floating_point() || b.number.is_floating_point() ||
                      op == "div";
      if (op == "pow") {
        double r = std::pow(a.number.ToDouble(), b.number.ToDouble());
        return floating || b.number.ToInt() < 0 ? Value::Num(r)
                                                : Value::Num(static_cast<int64_t>(std::llround(r)));
      }
      if (floating) {
        double x = a.number.ToDouble(), y = b.number.ToDouble();
        double r = op == "add" ? x + y : op == "sub" ? x - y : op == "mul" ? x * y : x / y;
        return Value::Num(r);
      }
      int64_t x = a.number.ToInt(), y = b.number.ToInt();
      if (op == "matmul") throw SyntaxError("'@' needs tensors");
      return Value::Num(op == "add" ? x + y : op == "sub" ? x - y : x * y);
    }
    return Value::Of(CallOp(op, {a, b}, {})[0]);
  }

  Value Attribute(const Value& v, const std::string& name) {
    if (v.kind != Value::kTensor) throw SyntaxError("'." + name + "' needs a tensor");
    if (name == "T") return Value::Of(v.tensor.T());
    if (name == "grad") {
      tensord::Tensor g = v.tensor.Grad();
      return g.defined() ? Value::Of(g) : Value();
    }
    if (name == "shape") {
      Value out;
      out.kind = Value::kList;
      for (int64_t s : v.tensor.Shape()) out.list.push_back(Value::Num(s));
      return out;
    }
    if (name == "dtype") {
      Value out;
      out.kind = Value::kDType;
      out.dtype = v.tensor.DType();
      return out;
    }
    if (name == "requires_grad") return Value::Num(Scalar(v.tensor.RequiresGrad()));
    if (name == "is_leaf") return Value::Num(Scalar(v.tensor.IsLeaf()));
    if (name == "grad_fn") {
      Value out;
      std::string fn = v.tensor.GradFn();
      if (fn.empty()) return out;
      out.kind = Value::kString;
      out.str = fn;
      return out;
    }
    throw SyntaxError("unknown tensor attribute '" + name + "'");
  }

  static std::vector<int64_t> Ints(const Value& v, const std::string& what) {
    std::vector<int64_t> out;
    if (v.kind == Value::kNumber && v.number.is_integral()) return {v.number.ToInt()};
    if (v.kind != Value::kList) throw SyntaxError(what + " must be an int or a list of ints");
    for (const Value& x : v.list) {
      if (x.kind != Value::kNumber || !x.number.is_integral()) {
        throw SyntaxError(what + " must be a list of ints");
      }
      out.push_back(x.number.ToInt());
    }
    return out;
  }

  // zeros(2, 3) and zeros([2, 3]) both mean size [2, 3].
  static std::vector<int64_t> SizeArgs(const std::vector<Value>& args, size_t from) {
    if (args.size() == from + 1 && args[from].kind == Value::kList) return Ints(args[from], "size");
    std::vector<int64_t> size;
    for (size_t i = from; i < args.size(); ++i) {
      std::vector<int64_t> one = Ints(args[i], "size");
      size.insert(size.end(), one.begin(), one.end());
    }
    return size;
  }

  TensorOptions Options(std::vector<std::pair<std::string, Value>>* kwargs) {
    TensorOptions opts;
    for (auto it = kwargs->begin(); it != kwargs->end();) {
      if (it->first == "dtype") {
        if (it->second.kind != Value::kDType) throw SyntaxError("dtype= needs a dtype name");
        opts.dtype = it->second.dtype;
      } else if (it->first == "requires_grad") {
        opts.requires_grad = it->second.kind == Value::kNumber && it->second.number.ToInt() != 0;
      } else if (it->first == "device") {
        if (it->second.kind != Value::kString) throw SyntaxError("device= needs a string");
        opts.device = it->second.str;
      } else {
        ++it;
        continue;
      }
      it = kwargs->erase(it);
    }
    return opts;
  }

  static void CheckNoKwargs(const std::string& fn,
                            const std::vector<std::pair<std::string, Value>>& kwargs) {
    if (!kwargs.empty()) {
      throw SyntaxError(fn + "() got an unexpected keyword argument '" + kwargs[0].first + "'");
    }
  }

  // Flattens nested lists of numbers into data + shape.
  static void Flatten(const Value& v, size_t depth, std::vector<int64_t>* shape,
                      std::vector<Scalar>* data) {
    if (v.kind == Value::kNumber) {
      if (depth != shape->size()) throw SyntaxError("tensor(): ragged nested list");
      data->push_back(v.number);
      return;
    }
    if (v.kind != Value::kList) throw SyntaxError("tensor() needs numbers or nested lists");
    int64_t n = static_cast<int64_t>(v.list.size());
    if (depth == shape->size()) {
      if (!data->empty()) throw SyntaxError("tensor(): ragged nested list");
      shape->push_back(n);
    } else if ((*shape)[depth] != n) {
      throw SyntaxError("tensor(): ragged nested list");
    }
    for (const Value& x : v.list) Flatten(x, depth + 1, shape, data);
  }

  Value MakeTensor(const std::vector<Value>& args,
                   std::vector<std::pair<std::string, Value>> kwargs) {
    TensorOptions opts = Options(&kwargs);
    CheckNoKwargs("tensor", kwargs);
    if (args.size() != 1) throw SyntaxError("tensor() takes one argument");
    if (args[0].kind == Value::kTensor) return Value::Of(args[0].tensor.Clone());
    std::vector<int64_t> shape;
    std::vector<Scalar> data;
    Flatten(args[0], 0, &shape, &data);
    bool any_float = false, all_bool = !data.empty();
    for (const Scalar& s : data) {
      any_float |= s.is_floating_point();
      all_bool &= s.is_bool();
    }
    if (any_float) {
      std::vector<float> f;
      for (const Scalar& s : data) f.push_back(static_cast<float>(s.ToDouble()));
      return Value::Of(client_.Tensor(f, shape, opts));
    }
    if (all_bool) {
      std::vector<bool> b;
      for (const Scalar& s : data) b.push_back(s.ToInt() != 0);
      return Value::Of(client_.Tensor(b, shape, opts));
    }
    std::vector<int64_t> i;
    for (const Scalar& s : data) i.push_back(s.ToInt());
    return Value::Of(client_.Tensor(i, shape, opts));
  }

  // load("x.npy"), load("m.safetensors", "name"): a tensor from a file.
  Value Load(const std::vector<Value>& args, std::vector<std::pair<std::string, Value>> kwargs) {
    TensorOptions opts = Options(&kwargs);
    CheckNoKwargs("load", kwargs);
    if (args.empty() || args.size() > 2 || args[0].kind != Value::kString ||
        (args.size() == 2 && args[1].kind != Value::kString)) {
      throw SyntaxError("load(path) or load(path, name) takes strings");
    }
    std::vector<FileTensor> tensors;
    try {
      tensors = ReadTensorFile(args[0].str);
    } catch (const std::runtime_error& e) {
      throw SyntaxError(std::string("load: ") + e.what());
    }
    const FileTensor* pick = nullptr;
    if (args.size() == 2) {
      for (const FileTensor& t : tensors) {
        if (t.name == args[1].str) pick = &t;
      }
      if (pick == nullptr) throw SyntaxError("load: " + args[0].str + " has no tensor '" + args[1].str + "'");
    } else if (tensors.size() == 1) {
      pick = &tensors[0];
    } else {
      std::string names;
      for (const FileTensor& t : tensors) names += (names.empty() ? "" : ", ") + t.name;
      throw SyntaxError("load: " + args[0].str + " holds several tensors; name one: " + names);
    }
    return Value::Of(client_.FromBytes(pick->dtype, pick->shape, pick->data.data(), pick->data.size(), opts));
  }

  Value Call(const std::string& name, std::vector<Value> args,
             std::vector<std::pair<std::string, Value>> kwargs, bool method) {
    if (!method) {
      if (name == "tensor") return MakeTensor(args, std::move(kwargs));
      if (name == "load") return Load(args, std::move(kwargs));
      if (name == "zeros" || name == "ones" || name == "empty" || name == "rand" ||
          name == "randn") {
        TensorOptions opts = Options(&kwargs);
        CheckNoKwargs(name, kwargs);
        std::vector<int64_t> size = SizeArgs(args, 0);
        if (name == "zeros") return Value::Of(client_.Zeros(size, opts));
        if (name == "ones") return Value::Of(client_.Ones(size, opts));
        if (name == "empty") return Value::Of(client_.Empty(size, opts));
        if (name == "rand") return Value::Of(client_.Rand(size, opts));
        return Value::Of(client_.Randn(size, opts));
      }
      if (name == "full") {
        TensorOptions opts = Options(&kwargs);
        CheckNoKwargs(name, kwargs);
        if (args.size() != 2 || args[1].kind != Value::kNumber) {
          throw SyntaxError("full(size, fill_value) takes a size and a number");
        }
        return Value::Of(client_.Full(Ints(args[0], "size"), args[1].number, opts));
      }
      if (name == "arange") {
        TensorOptions opts = Options(&kwargs);
        CheckNoKwargs(name, kwargs);
        std::vector<Scalar> s;
        for (const Value& a : args) {
          if (a.kind != Value::kNumber) throw SyntaxError("arange() takes numbers");
          s.push_back(a.number);
        }
        if (s.size() == 1) return Value::Of(client_.Arange(s[0], opts));
        if (s.size() == 2) return Value::Of(client_.Arange(s[0], s[1], 1, opts));
        if (s.size() == 3) return Value::Of(client_.Arange(s[0], s[1], s[2], opts));
        throw SyntaxError("arange() takes 1 to 3 numbers");
      }
      if (name == "randint") {
        TensorOptions opts = Options(&kwargs);
        CheckNoKwargs(name, kwargs);
        if (args.size() == 2) {
          return Value::Of(client_.Randint(Ints(args[0], "high")[0], Ints(args[1], "size"), opts));
        }
        if (args.size() == 3) {
          return Value::Of(client_.Randint(Ints(args[0], "low")[0], Ints(args[1], "high")[0],
                                           Ints(args[2], "size"), opts));
        }
        throw SyntaxError("randint([low,] high, size)");
      }
      if (name == "manual_seed") {
        CheckNoKwargs(name, kwargs);
        if (args.size() != 1 || args[0].kind != Value::kNumber) {
          throw SyntaxError("manual_seed(seed) takes an int");
        }
        client_.ManualSeed(static_cast<uint64_t>(args[0].number.ToInt()));
        return Value();
      }
    }
    if (method && !args.empty() && args[0].kind == Value::kTensor) {
      const tensord::Tensor& self = args[0].tensor;
      if (name == "backward") {
        CheckNoKwargs(name, kwargs);
        if (args.size() == 1) {
          self.Backward();
        } else if (args[1].kind == Value::kTensor) {
          self.Backward(args[1].tensor);
        } else {
          throw SyntaxError("backward(gradient) needs a tensor");
        }
        return Value();
      }
      if (name == "item") {
        DType d = self.DType();
        if (d == DType::kBool) return Value::Num(Scalar(self.Item<bool>()));
        if (IsFloatingPoint(d)) return Value::Num(self.Item<double>());
        return Value::Num(self.Item<int64_t>());
      }
      if (name == "size" && args.size() == 2) return Value::Num(self.Size(Ints(args[1], "dim")[0]));
      if (name == "size" || name == "dim" || name == "numel") {
        if (name == "dim") return Value::Num(self.Dim());
        if (name == "numel") return Value::Num(self.Numel());
        return Attribute(args[0], "shape");
      }
      if (name == "tolist") return Value::Of(self);
    }
    // Any registered op.
    const OpInfo* info = FindOp(name);
    if (info == nullptr) throw SyntaxError("unknown function '" + name + "'");
    std::vector<Operand> inputs;
    Attrs attrs;
    size_t n_inputs = info->inputs.size();
    size_t attr_index = 0;
    for (size_t i = 0; i < args.size(); ++i) {
      if (i + 1 == n_inputs && info->variadic && args[i].kind == Value::kList) {
        for (const Value& v : args[i].list) inputs.push_back(ToOperand(v, name));  // cat([a, b])
      } else if (i < n_inputs) {
        inputs.push_back(ToOperand(args[i], name));
      } else {
        // Extra positionals fill the attributes in declaration order; a
        // trailing run of ints fills one "ints" attribute (x.view(2, 3)).
        if (attr_index >= info->attrs.size()) {
          throw SyntaxError(name + "() takes at most " +
                            std::to_string(n_inputs + info->attrs.size()) + " arguments");
        }
        const OpInfo::Attr& a = info->attrs[attr_index++];
        if (a.type == "ints" && args[i].kind == Value::kNumber) {
          std::vector<int64_t> ints;
          while (i < args.size() && args[i].kind == Value::kNumber) {
            ints.push_back(Ints(args[i], a.name)[0]);
            ++i;
          }
          --i;
          attrs[a.name] = ints;
        } else {
          attrs[a.name] = ToAttr(args[i], a.name);
        }
      }
    }
    for (auto& [key, value] : kwargs) {
      bool is_input = false;
      for (size_t i = 0; i < n_inputs; ++i) {
        if (info->inputs[i] == key) {
          if (inputs.size() <= i) inputs.resize(i + 1);
          inputs[i] = ToOperand(value, name);
          is_input = true;
        }
      }
      if (!is_input) attrs[key] = ToAttr(value, key);
    }
    std::vector<tensord::Tensor> out = CallOp(name, std::move(inputs), std::move(attrs));
    if (out.empty()) return method && !args.empty() ? args[0] : Value();
    return Value::Of(out[0]);
  }

  const OpInfo* FindOp(const std::string& name) {
    if (ops_.empty()) ops_ = client_.Ops();
    for (const OpInfo& op : ops_) {
      if (op.name == name) return &op;
    }
    return nullptr;
  }

  static Operand ToOperand(const Value& v, const std::string& op) {
    switch (v.kind) {
      case Value::kTensor: return v.tensor;
      case Value::kNumber: return v.number;
      case Value::kNone: return kNone;
      default: throw SyntaxError(op + "(): tensor inputs must be tensors or numbers");
    }
  }

  static AttrValue ToAttr(const Value& v, const std::string& name) {
    switch (v.kind) {
      case Value::kNone: return kNone;
      case Value::kNumber:
        if (v.number.is_bool()) return std::get<bool>(v.number.value());
        if (v.number.is_integral()) return v.number.ToInt();
        return v.number.ToDouble();
      case Value::kList: return Ints(v, name);
      case Value::kString: return v.str;
      case Value::kDType: return v.dtype;
      case Value::kTensor: break;
    }
    throw SyntaxError("attribute '" + name + "' cannot be a tensor");
  }

  std::vector<tensord::Tensor> CallOp(const std::string& name, std::vector<Value> args,
                                      Attrs attrs) {
    std::vector<Operand> inputs;
    for (const Value& v : args) inputs.push_back(ToOperand(v, name));
    return CallOp(name, std::move(inputs), std::move(attrs));
  }

  std::vector<tensord::Tensor> CallOp(const std::string& name, std::vector<Operand> inputs,
                                      Attrs attrs) {
    return client_.Call(name, std::move(inputs), std::move(attrs));
  }

  Client& client_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  std::map<std::string, Value> vars_;
  std::vector<OpInfo> ops_;
};

// ---------------------------------------------------------------- output

void TensorJsonData(JsonWriter& w, const std::vector<int64_t>& shape, size_t dim,
                    const std::vector<double>& values, DType dtype, size_t* index) {
  if (dim == shape.size()) {
    double v = values[(*index)++];
    if (dtype == DType::kBool) {
      w.Bool(v != 0);
    } else if (IsFloatingPoint(dtype)) {
      w.Double(v);
    } else {
      w.Int(static_cast<int64_t>(v));
    }
    return;
  }
  w.BeginArray();
  for (int64_t i = 0; i < shape[dim]; ++i) TensorJsonData(w, shape, dim + 1, values, dtype, index);
  w.EndArray();
}

void WriteJson(JsonWriter& w, const Value& v) {
  switch (v.kind) {
    case Value::kNone: w.Null(); return;
    case Value::kNumber:
      if (v.number.is_bool()) {
        w.Bool(std::get<bool>(v.number.value()));
      } else if (v.number.is_integral()) {
        w.Int(v.number.ToInt());
      } else {
        w.Double(v.number.ToDouble());
      }
      return;
    case Value::kString: w.String(v.str); return;
    case Value::kDType: w.String(DTypeName(v.dtype)); return;
    case Value::kList:
      w.BeginArray();
      for (const Value& x : v.list) WriteJson(w, x);
      w.EndArray();
      return;
    case Value::kTensor: {
      TensorInfo info = v.tensor.Info();
      std::vector<double> values = v.tensor.ToVector<double>();
      w.BeginObject();
      w.Key("dtype").String(DTypeName(info.dtype));
      w.Key("shape").BeginArray();
      for (int64_t s : info.shape) w.Int(s);
      w.EndArray();
      w.Key("requires_grad").Bool(info.requires_grad);
      if (!info.grad_fn.empty()) w.Key("grad_fn").String(info.grad_fn);
      w.Key("data");
      size_t index = 0;
      TensorJsonData(w, info.shape, 0, values, info.dtype, &index);
      w.EndObject();
      return;
    }
  }
}

std::string Text(const Value& v) {
  switch (v.kind) {
    case Value::kNone: return "None";
    case Value::kNumber: return ScalarText(v.number);
    case Value::kString: return v.str;
    case Value::kDType: return "tensord." + std::string(DTypeName(v.dtype));
    case Value::kList: {
      std::string out = "[";
      for (size_t i = 0; i < v.list.size(); ++i) {
        if (i) out += ", ";
        out += Text(v.list[i]);
      }
      return out + "]";
    }
    case Value::kTensor: {
      std::ostringstream os;
      os << v.tensor;
      return os.str();
    }
  }
  return "";
}

}  // namespace

EvalResult Evaluate(Client& client, const std::string& source) {
  EvalResult result;
  try {
    Evaluator evaluator(client, Tokenize(source));
    Value value = evaluator.Program();
    client.Synchronize();
    if (value.kind == Value::kTensor) result.tensor = value.tensor;
    for (const auto& [name, v] : evaluator.vars()) {
      if (v.kind == Value::kTensor) result.names.emplace_back(name, v.tensor);
    }
    result.text = Text(value) + "\n";
    JsonWriter w;
    WriteJson(w, value);
    result.json = w.str();
    result.ok = true;
  } catch (const SyntaxError& e) {
    result.syntax_error = true;
    result.code = 3;
    result.error = e.what();
  } catch (const Error& e) {
    result.code = e.code();
    // what() without its leading "CODE: " (the caller prints the code).
    std::string what = e.what();
    std::string prefix = std::string(e.code_name()) + ": ";
    result.error = what.rfind(prefix, 0) == 0 ? what.substr(prefix.size()) : what;
    // The call site is this file, which means nothing to a CLI user.
    for (size_t at; (at = result.error.find(" (at eval.cc:")) != std::string::npos;) {
      size_t close = result.error.find(')', at);
      result.error.erase(at, close == std::string::npos ? std::string::npos : close - at + 1);
    }
  }
  return result;
}

// ---------------------------------------------------------------- files

namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

[[noreturn]] void FileError(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) FileError(path, "cannot open it for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int64_t Numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

// NumPy's descr <-> dtype (little-endian or byte-order-free only).
struct NpyType {
  const char* descr;
  DType dtype;
};
constexpr NpyType kNpyTypes[] = {
    {"<f8", DType::kFloat64}, {"<f4", DType::kFloat32}, {"<f2", DType::kFloat16},
    {"<i8", DType::kInt64},   {"<i4", DType::kInt32},   {"<i2", DType::kInt16},
    {"|i1", DType::kInt8},    {"|u1", DType::kUInt8},   {"|b1", DType::kBool}};

// safetensors dtype names.
struct StType {
  const char* name;
  DType dtype;
};
constexpr StType kStTypes[] = {
    {"F64", DType::kFloat64}, {"F32", DType::kFloat32}, {"F16", DType::kFloat16},
    {"BF16", DType::kBFloat16}, {"I64", DType::kInt64}, {"I32", DType::kInt32},
    {"I16", DType::kInt16},   {"I8", DType::kInt8},     {"U8", DType::kUInt8},
    {"BOOL", DType::kBool}};

// The value of `key` in a NumPy header dict ("{'descr': '<f4', ...}").
std::string NpyField(const std::string& header, const std::string& key, const std::string& path) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos) FileError(path, "the .npy header has no '" + key + "'");
  at = header.find(':', at);
  if (at == std::string::npos) FileError(path, "malformed .npy header");
  ++at;
  while (at < header.size() && header[at] == ' ') ++at;
  size_t end = at;
  if (at < header.size() && header[at] == '(') {
    end = header.find(')', at);
    if (end == std::string::npos) FileError(path, "malformed .npy shape");
    return header.substr(at, end - at + 1);
  }
  if (at < header.size() && header[at] == '\'') {
    end = header.find('\'', at + 1);
    if (end == std::string::npos) FileError(path, "malformed .npy header");
    return header.substr(at + 1, end - at - 1);
  }
  while (end < header.size() && header[end] != ',' && header[end] != '}') ++end;
  return header.substr(at, end - at);
}

FileTensor ReadNpy(const std::string& path, const std::string& bytes) {
  static const std::string kMagic("\x93NUMPY", 6);
  if (bytes.compare(0, 6, kMagic) != 0 || bytes.size() < 10) FileError(path, "not a .npy file");
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len, header_at;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | static_cast<unsigned char>(bytes[9]) << 8;
    header_at = 10;
  } else {
    if (bytes.size() < 12) FileError(path, "truncated .npy header");
    header_len = 0;
    for (int i = 0; i < 4; ++i) {
      header_len |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    }
    header_at = 12;
  }
  if (header_at + header_len > bytes.size()) FileError(path, "truncated .npy header");
  std::string header = bytes.substr(header_at, header_len);
  FileTensor t;
  std::string descr = NpyField(header, "descr", path);
  if (descr == "<b1") descr = "|b1";
  if (descr == "<i1") descr = "|i1";
  if (descr == "<u1") descr = "|u1";
  for (const NpyType& n : kNpyTypes) {
    if (descr == n.descr) t.dtype = n.dtype;
  }
  if (t.dtype == DType::kUndefined) {
    FileError(path, "unsupported .npy dtype '" + descr +
                        "' (supported: little-endian float64/32/16, int64/32/16/8, uint8, bool)");
  }
  if (NpyField(header, "fortran_order", path) != "False") {
    FileError(path, "Fortran-order .npy arrays are not supported (save with np.ascontiguousarray)");
  }
  std::string shape = NpyField(header, "shape", path);
  for (size_t i = 1; i < shape.size();) {
    while (i < shape.size() && !std::isdigit(static_cast<unsigned char>(shape[i]))) ++i;
    if (i >= shape.size()) break;
    size_t j = i;
    while (j < shape.size() && std::isdigit(static_cast<unsigned char>(shape[j]))) ++j;
    t.shape.push_back(std::stoll(shape.substr(i, j - i)));
    i = j;
  }
  const size_t nbytes = static_cast<size_t>(Numel(t.shape)) * ItemSize(t.dtype);
  const size_t data_at = header_at + header_len;
  if (bytes.size() - data_at != nbytes) {
    FileError(path, "holds " + std::to_string(bytes.size() - data_at) + " data bytes; its header says " +
                        std::to_string(nbytes));
  }
  t.data = bytes.substr(data_at);
  return t;
}

std::vector<FileTensor> ReadSafetensors(const std::string& path, const std::string& bytes) {
  if (bytes.size() < 8) FileError(path, "too short to be a .safetensors file");
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  if (n > bytes.size() - 8) FileError(path, "header length " + std::to_string(n) + " exceeds the file");
  google::protobuf::Struct header;
  if (!google::protobuf::util::JsonStringToMessage(bytes.substr(8, n), &header).ok()) {
    FileError(path, "the header is not a JSON object");
  }
  const std::string data = bytes.substr(8 + n);
  std::vector<std::pair<uint64_t, FileTensor>> found;
  for (const auto& [key, value] : header.fields()) {
    if (key == "__metadata__") continue;
    const auto& f = value.struct_value().fields();
    FileTensor t;
    t.name = key;
    auto dtype = f.find("dtype");
    for (const StType& s : kStTypes) {
      if (dtype != f.end() && dtype->second.string_value() == s.name) t.dtype = s.dtype;
    }
    if (t.dtype == DType::kUndefined) FileError(path, "tensor '" + key + "' has an unsupported dtype");
    if (auto shape = f.find("shape"); shape != f.end()) {
      for (const auto& d : shape->second.list_value().values()) {
        t.shape.push_back(static_cast<int64_t>(d.number_value()));
      }
    }
    auto offsets = f.find("data_offsets");
    if (offsets == f.end() || offsets->second.list_value().values_size() != 2) {
      FileError(path, "tensor '" + key + "' has no data_offsets");
    }
    const auto begin = static_cast<uint64_t>(offsets->second.list_value().values(0).number_value());
    const auto end = static_cast<uint64_t>(offsets->second.list_value().values(1).number_value());
    const uint64_t nbytes = static_cast<uint64_t>(Numel(t.shape)) * ItemSize(t.dtype);
    if (end < begin || end > data.size() || end - begin != nbytes) {
      FileError(path, "tensor '" + key + "': data_offsets do not hold its " + std::to_string(nbytes) +
                          " bytes");
    }
    t.data = data.substr(begin, end - begin);
    found.emplace_back(begin, std::move(t));
  }
  // The parsed map lost the header's order: use the data's.
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<FileTensor> out;
  for (auto& [begin, t] : found) out.push_back(std::move(t));
  return out;
}

void WriteWholeFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) FileError(path, "cannot open it for writing");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) FileError(path, "write failed");
}

std::string LittleEndian(uint64_t v, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

}  // namespace

std::vector<FileTensor> ReadTensorFile(const std::string& path) {
  std::string bytes = ReadWholeFile(path);
  if (EndsWith(path, ".npy")) return {ReadNpy(path, bytes)};
  if (EndsWith(path, ".safetensors")) return ReadSafetensors(path, bytes);
  FileError(path, "unknown file type (expected .npy or .safetensors)");
}

void WriteTensorFile(const std::string& path, const std::vector<FileTensor>& tensors) {
  if (EndsWith(path, ".npy")) {
    if (tensors.size() != 1) FileError(path, "a .npy file holds exactly one tensor");
    const FileTensor& t = tensors[0];
    const char* descr = nullptr;
    for (const NpyType& n : kNpyTypes) {
      if (n.dtype == t.dtype) descr = n.descr;
    }
    if (descr == nullptr) {
      FileError(path, std::string(DTypeName(t.dtype)) + " has no .npy type; write .safetensors instead");
    }
    std::string shape = "(";
    for (size_t i = 0; i < t.shape.size(); ++i) {
      shape += std::to_string(t.shape[i]);
      if (t.shape.size() == 1) shape += ",";  // Python's one-tuple
      if (i + 1 < t.shape.size()) shape += ", ";
    }
    shape += ")";
    std::string header =
        std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    // Pad with spaces so that the data starts at a multiple of 64, then '\n'.
    const size_t total = 10 + header.size() + 1;
    header.append((64 - total % 64) % 64, ' ');
    header += '\n';
    std::string out("\x93NUMPY\x01\x00", 8);
    out += LittleEndian(header.size(), 2) + header + t.data;
    WriteWholeFile(path, out);
    return;
  }
  if (!EndsWith(path, ".safetensors")) FileError(path, "unknown file type (expected .npy or .safetensors)");
  std::string header = "{\"__metadata__\":{\"format\":\"pt\"}";
  uint64_t offset = 0;
  for (const FileTensor& t : tensors) {
    const char* st = nullptr;
    for (const StType& s : kStTypes) {
      if (s.dtype == t.dtype) st = s.name;
    }
    if (st == nullptr) FileError(path, "unsupported dtype");
    header += "," + JsonQuote(t.name) + ":{\"dtype\":\"" + st + "\",\"shape\":[";
    for (size_t i = 0; i < t.shape.size(); ++i) header += (i ? "," : "") + std::to_string(t.shape[i]);
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + t.data.size()) + "]}";
    offset += t.data.size();
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string out = LittleEndian(header.size(), 8) + header;
  for (const FileTensor& t : tensors) out += t.data;
  WriteWholeFile(path, out);
}

}  // namespace tensord::tensorctl
