// A minimal streaming JSON writer for tensorctl's --json output.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tensord::tensorctl {

// Writes indented JSON. Inside an object, call Key() before each value.
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
  JsonWriter& Double(double value);  // non-finite values become null
  JsonWriter& Bool(bool value);
  JsonWriter& Null();

  // The document, with a trailing newline.
  std::string str() const { return out_ + "\n"; }

 private:
  void BeforeValue();
  void Open(char c);
  void Close(char c);

  std::string out_;
  std::vector<bool> has_items_;  // per open container
  bool after_key_ = false;
};

std::string JsonQuote(std::string_view s);

}  // namespace tensord::tensorctl
