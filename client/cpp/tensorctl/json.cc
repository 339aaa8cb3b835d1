#include "json.h"

#include <cmath>
#include <utility>

namespace tensord::tensorctl {

namespace {

nlohmann::ordered_json JsonNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  return value;
}

}  // namespace

std::string JsonQuote(std::string_view s) { return nlohmann::ordered_json(s).dump(); }

nlohmann::ordered_json* JsonWriter::Put(nlohmann::ordered_json value) {
  if (open_.empty()) {
    root_ = std::move(value);
    return &root_;
  }
  nlohmann::ordered_json& parent = *open_.back();
  if (parent.is_object()) {
    nlohmann::ordered_json& slot = parent[key_];
    slot = std::move(value);
    return &slot;
  }
  parent.push_back(std::move(value));
  return &parent.back();
}

JsonWriter& JsonWriter::BeginObject() {
  open_.push_back(Put(nlohmann::ordered_json::object()));
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  open_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  open_.push_back(Put(nlohmann::ordered_json::array()));
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  open_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view key) {
  key_ = std::string(key);
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view value) {
  Put(std::string(value));
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t value) {
  Put(value);
  return *this;
}

JsonWriter& JsonWriter::Uint(uint64_t value) {
  Put(value);
  return *this;
}

JsonWriter& JsonWriter::Double(double value) {
  Put(JsonNumber(value));
  return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
  Put(value);
  return *this;
}

JsonWriter& JsonWriter::Null() {
  Put(nullptr);
  return *this;
}

}  // namespace tensord::tensorctl
