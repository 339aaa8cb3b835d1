// Structured one-line logs on stderr: `ts=... level=info event=... k=v ...`,
// or one JSON object per line ({"ts":..., "level":..., "event":..., "k":"v"}).
// Never log secrets: session ids are capabilities, so log ShortId(id) only.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace tensord::server {

using LogField = std::pair<absl::string_view, std::string>;

enum class LogFormat { kText, kJson };
// Applies to every later line; call before starting threads that log.
void SetLogFormat(LogFormat format);

// Sends gRPC core's own log lines (gpr_log) through Log() as event "grpc",
// with their severity, source location and message. gRPC's verbosity still
// decides which lines exist ($GRPC_VERBOSITY, default ERROR).
void RouteGrpcLogs();

void Log(absl::string_view level, absl::string_view event, std::initializer_list<LogField> fields);
inline void LogInfo(absl::string_view event, std::initializer_list<LogField> fields = {}) {
  Log("info", event, fields);
}
inline void LogWarning(absl::string_view event, std::initializer_list<LogField> fields = {}) {
  Log("warning", event, fields);
}
inline void LogError(absl::string_view event, std::initializer_list<LogField> fields = {}) {
  Log("error", event, fields);
}

// The first 8 characters of a session id: enough to correlate log lines,
// too few to use the session.
std::string ShortId(absl::string_view session_id);

}  // namespace tensord::server
