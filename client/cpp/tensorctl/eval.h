// `tensorctl eval`: a small Python-like expression language over the client.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tensord/tensord.h"

namespace tensord::tensorctl {

struct EvalResult {
  bool ok = false;
  bool syntax_error = false;  // the expression itself is malformed (a usage error)
  int code = 0;               // gRPC code of a server-side failure
  std::string error;
  std::string text;  // the printed value (torch-like), with a trailing newline
  std::string json;  // the value as JSON, with a trailing newline
  tensord::Tensor tensor;  // the value when it is a tensor (for `tensorctl graph`)
  std::vector<std::pair<std::string, tensord::Tensor>> names;  // tensors assigned to names
};

// Evaluates `source` (statements separated by ';') in `client`'s session.
EvalResult Evaluate(Client& client, const std::string& source);

// One tensor of a file: contiguous little-endian row-major bytes.
struct FileTensor {
  std::string name;  // safetensors key ("" for .npy)
  DType dtype = DType::kUndefined;
  std::vector<int64_t> shape;
  std::string data;
};

// Reads a .npy file (one array) or a .safetensors file (by extension).
// Throws std::runtime_error naming the file and the problem.
std::vector<FileTensor> ReadTensorFile(const std::string& path);
// Writes a .npy file (exactly one tensor) or a .safetensors file.
void WriteTensorFile(const std::string& path, const std::vector<FileTensor>& tensors);

}  // namespace tensord::tensorctl
