#include "server/log.h"

#include <cstdio>

#include <grpc/support/log.h>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tensord::server {
namespace {

// Quotes values that would break key=value parsing.
void AppendValue(std::string* out, absl::string_view v) {
  const bool plain = !v.empty() && v.find_first_of(" \"=\\\n\t") == absl::string_view::npos;
  if (plain) {
    out->append(v.data(), v.size());
    return;
  }
  out->push_back('"');
  for (char c : v) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\t': out->append("\\t"); break;
      default: out->push_back(c);
    }
  }
  out->push_back('"');
}

LogFormat g_format = LogFormat::kText;

std::string Timestamp() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
}

void GrpcLog(gpr_log_func_args* args) {
  absl::string_view level = "info";
  if (args->severity == GPR_LOG_SEVERITY_ERROR) level = "error";
  if (args->severity == GPR_LOG_SEVERITY_DEBUG) level = "debug";
  Log(level, "grpc",
      {{"source", absl::StrCat(args->file != nullptr ? args->file : "?", ":", args->line)},
       {"message", args->message != nullptr ? args->message : ""}});
}

}  // namespace

void SetLogFormat(LogFormat format) { g_format = format; }

void RouteGrpcLogs() { gpr_set_log_function(GrpcLog); }

void Log(absl::string_view level, absl::string_view event, std::initializer_list<LogField> fields) {
  std::string line;
  if (g_format == LogFormat::kJson) {
    nlohmann::ordered_json j;
    j["ts"] = Timestamp();
    j["level"] = level;
    j["event"] = event;
    for (const LogField& f : fields) j[std::string(f.first)] = f.second;
    // Invalid UTF-8 (a client's bytes in a message) is replaced, not thrown.
    line = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  } else {
    line = absl::StrCat("ts=", Timestamp(), " level=", level, " event=", event);
    for (const LogField& f : fields) {
      absl::StrAppend(&line, " ", f.first, "=");
      AppendValue(&line, f.second);
    }
  }
  line.push_back('\n');
  // One fwrite per line so concurrent lines do not interleave.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

std::string ShortId(absl::string_view session_id) {
  return std::string(session_id.substr(0, 8));
}

}  // namespace tensord::server
