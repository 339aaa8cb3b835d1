// Status helpers. Abseil 20220623 (Debian 12) has no status macros; these are
// project-prefixed so they never clash with protobuf's or gRPC's.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#define TENSORD_CONCAT_INNER_(a, b) a##b
#define TENSORD_CONCAT_(a, b) TENSORD_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define TENSORD_RETURN_IF_ERROR(expr)                 \
  do {                                                \
    ::absl::Status tensord_status_ = (expr);          \
    if (!tensord_status_.ok()) return tensord_status_; \
  } while (0)

// `TENSORD_ASSIGN_OR_RETURN(auto x, StatusOrExpr());`
#define TENSORD_ASSIGN_OR_RETURN(lhs, expr) \
  TENSORD_ASSIGN_OR_RETURN_IMPL_(TENSORD_CONCAT_(tensord_statusor_, __LINE__), lhs, expr)
#define TENSORD_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()
