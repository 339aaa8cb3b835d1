#include "engine/scalar.h"

#include "absl/strings/str_cat.h"

namespace tensord::engine {

std::string Scalar::ToString() const {
  if (is_bool()) return to_int() ? "True" : "False";
  if (is_integral()) return absl::StrCat(to_int());
  return absl::StrCat(to_double());
}

}  // namespace tensord::engine
