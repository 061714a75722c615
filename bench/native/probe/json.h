// A small JSON reader (a DOM, for the plan and rendezvous files) and writer (result lines,
// rendezvous, ledger lines). Setup and reporting only: nothing here runs per message.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace podipc::probe {

class Json {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  Type type() const { return type_; }
  bool IsNumber() const { return type_ == Type::kNumber; }
  bool IsString() const { return type_ == Type::kString; }
  bool IsObject() const { return type_ == Type::kObject; }
  bool IsArray() const { return type_ == Type::kArray; }
  bool IsBool() const { return type_ == Type::kBool; }
  double number() const { return number_; }
  bool boolean() const { return bool_; }
  const std::string& string() const { return string_; }
  const std::vector<Json>& items() const { return items_; }
  const std::vector<std::pair<std::string, Json>>& members() const { return members_; }
  // The member `key` of an object, or nullptr (also for non-objects). The last one wins on
  // duplicates, as in JSON.parse.
  const Json* Get(const std::string& key) const;

  // Throws std::runtime_error naming the offset and what was expected.
  static Json Parse(const std::string& text);

 private:
  friend class JsonParser;
  Type type_ = Type::kNull;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<Json> items_;
  std::vector<std::pair<std::string, Json>> members_;
};

// Builds one JSON text. Keys and values in call order; the caller keeps nesting balanced.
class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(const std::string& key);
  JsonWriter& String(const std::string& value);
  // Integers print exactly; other numbers in the shortest form that reads back the same.
  // NaN and infinities (never produced by a sane probe) print as 0, since JSON has neither.
  JsonWriter& Number(double value);
  JsonWriter& Uint(uint64_t value);
  JsonWriter& Bool(bool value);
  const std::string& text() const { return out_; }

 private:
  void Separate();
  std::string out_;
  // Per open container: whether a value was written (a comma is due), and after a key.
  std::vector<bool> hasValue_;
  bool afterKey_ = false;
};

std::string JsonQuote(const std::string& value);

}  // namespace podipc::probe
