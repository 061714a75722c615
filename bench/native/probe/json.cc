#include "json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace podipc::probe {

const Json* Json::Get(const std::string& key) const {
  if (type_ != Type::kObject) return nullptr;
  const Json* found = nullptr;
  for (const auto& [k, v] : members_) {
    if (k == key) found = &v;
  }
  return found;
}

class JsonParser {
 public:
  explicit JsonParser(const std::string& text) : s_(text) {}

  Json ParseDocument() {
    Json value = ParseValue(0);
    SkipSpace();
    if (at_ != s_.size()) Fail("end of input");
    return value;
  }

 private:
  [[noreturn]] void Fail(const char* expected) {
    throw std::runtime_error("JSON: expected " + std::string(expected) + " at offset " + std::to_string(at_));
  }

  void SkipSpace() {
    while (at_ < s_.size() && (s_[at_] == ' ' || s_[at_] == '\t' || s_[at_] == '\n' || s_[at_] == '\r')) at_++;
  }

  bool Consume(const char* word) {
    size_t n = std::char_traits<char>::length(word);
    if (s_.compare(at_, n, word) != 0) return false;
    at_ += n;
    return true;
  }

  Json ParseValue(int depth) {
    if (depth > 64) Fail("less nesting");
    SkipSpace();
    if (at_ >= s_.size()) Fail("a value");
    Json v;
    char c = s_[at_];
    if (c == '{') {
      v.type_ = Json::Type::kObject;
      at_++;
      SkipSpace();
      if (at_ < s_.size() && s_[at_] == '}') {
        at_++;
        return v;
      }
      for (;;) {
        SkipSpace();
        if (at_ >= s_.size() || s_[at_] != '"') Fail("a string key");
        std::string key = ParseString();
        SkipSpace();
        if (at_ >= s_.size() || s_[at_] != ':') Fail("':'");
        at_++;
        v.members_.emplace_back(std::move(key), ParseValue(depth + 1));
        SkipSpace();
        if (at_ < s_.size() && s_[at_] == ',') {
          at_++;
          continue;
        }
        if (at_ < s_.size() && s_[at_] == '}') {
          at_++;
          return v;
        }
        Fail("',' or '}'");
      }
    }
    if (c == '[') {
      v.type_ = Json::Type::kArray;
      at_++;
      SkipSpace();
      if (at_ < s_.size() && s_[at_] == ']') {
        at_++;
        return v;
      }
      for (;;) {
        v.items_.push_back(ParseValue(depth + 1));
        SkipSpace();
        if (at_ < s_.size() && s_[at_] == ',') {
          at_++;
          continue;
        }
        if (at_ < s_.size() && s_[at_] == ']') {
          at_++;
          return v;
        }
        Fail("',' or ']'");
      }
    }
    if (c == '"') {
      v.type_ = Json::Type::kString;
      v.string_ = ParseString();
      return v;
    }
    if (Consume("true")) {
      v.type_ = Json::Type::kBool;
      v.bool_ = true;
      return v;
    }
    if (Consume("false")) {
      v.type_ = Json::Type::kBool;
      return v;
    }
    if (Consume("null")) return v;
    if (c == '-' || (c >= '0' && c <= '9')) {
      size_t start = at_;
      if (s_[at_] == '-') at_++;
      while (at_ < s_.size() && ((s_[at_] >= '0' && s_[at_] <= '9') || s_[at_] == '.' || s_[at_] == 'e' || s_[at_] == 'E' ||
                                 s_[at_] == '+' || s_[at_] == '-')) {
        at_++;
      }
      std::string digits = s_.substr(start, at_ - start);
      char* end = nullptr;
      double d = std::strtod(digits.c_str(), &end);
      if (end == digits.c_str() || *end != '\0') {
        at_ = start;
        Fail("a number");
      }
      v.type_ = Json::Type::kNumber;
      v.number_ = d;
      return v;
    }
    Fail("a value");
  }

  static void AppendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  uint32_t ParseHex4() {
    if (at_ + 4 > s_.size()) Fail("four hex digits");
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
      char h = s_[at_++];
      v <<= 4;
      if (h >= '0' && h <= '9') v |= static_cast<uint32_t>(h - '0');
      else if (h >= 'a' && h <= 'f') v |= static_cast<uint32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') v |= static_cast<uint32_t>(h - 'A' + 10);
      else Fail("a hex digit");
    }
    return v;
  }

  std::string ParseString() {
    at_++;  // opening quote
    std::string out;
    for (;;) {
      if (at_ >= s_.size()) Fail("closing '\"'");
      char c = s_[at_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) Fail("no control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at_ >= s_.size()) Fail("an escape");
      char e = s_[at_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp = ParseHex4();
          if (cp >= 0xD800 && cp <= 0xDBFF && s_.compare(at_, 2, "\\u") == 0) {
            at_ += 2;
            uint32_t low = ParseHex4();
            if (low >= 0xDC00 && low <= 0xDFFF) cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            else cp = 0xFFFD;
          }
          AppendUtf8(out, cp);
          break;
        }
        default:
          Fail("a valid escape");
      }
    }
  }

  const std::string& s_;
  size_t at_ = 0;
};

Json Json::Parse(const std::string& text) { return JsonParser(text).ParseDocument(); }

std::string JsonQuote(const std::string& value) {
  std::string out = "\"";
  for (unsigned char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

void JsonWriter::Separate() {
  if (afterKey_) {
    afterKey_ = false;
    return;
  }
  if (!hasValue_.empty()) {
    if (hasValue_.back()) out_ += ',';
    hasValue_.back() = true;
  }
}

JsonWriter& JsonWriter::BeginObject() {
  Separate();
  out_ += '{';
  hasValue_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  out_ += '}';
  hasValue_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  Separate();
  out_ += '[';
  hasValue_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  out_ += ']';
  hasValue_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::Key(const std::string& key) {
  Separate();
  out_ += JsonQuote(key);
  out_ += ':';
  afterKey_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(const std::string& value) {
  Separate();
  out_ += JsonQuote(value);
  return *this;
}

JsonWriter& JsonWriter::Number(double value) {
  Separate();
  if (!std::isfinite(value)) value = 0;
  char buf[40];
  if (std::floor(value) == value && std::fabs(value) < 9007199254740992.0) {
    std::snprintf(buf, sizeof buf, "%.0f", value);
  } else {
    // The shortest %g precision that parses back to the same double.
    for (int precision = 15; precision <= 17; precision++) {
      std::snprintf(buf, sizeof buf, "%.*g", precision, value);
      if (std::strtod(buf, nullptr) == value) break;
    }
  }
  out_ += buf;
  return *this;
}

JsonWriter& JsonWriter::Uint(uint64_t value) {
  Separate();
  out_ += std::to_string(value);
  return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
  Separate();
  out_ += value ? "true" : "false";
  return *this;
}

}  // namespace podipc::probe
