// tensorctl's --json output: a streaming builder over nlohmann::json (Debian's
// nlohmann-json3-dev), which does the escaping and number formatting.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace tensord::tensorctl {

// Builds one JSON document in call order. Inside an object, call Key() before
// each value. Keys keep their insertion order.
class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  // JSON has no NaN or infinities: non-finite values are written as the
  // strings "NaN", "Infinity" and "-Infinity" (protobuf's JSON mapping),
  // never as null, so a NaN result stays distinguishable from a missing one.
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();

  // The document, indented by 2, with a trailing newline.
  std::string str() const { return root_.dump(2) + "\n"; }

 private:
  // Adds `value` where the next value goes; returns it.
  nlohmann::ordered_json* Put(nlohmann::ordered_json value);

  nlohmann::ordered_json root_;
  std::vector<nlohmann::ordered_json*> open_;  // open containers, outermost first
  std::string key_;
};

// `s` as a JSON string literal, quotes included.
std::string JsonQuote(std::string_view s);

}  // namespace tensord::tensorctl
