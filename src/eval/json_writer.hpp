// A write-only, streaming, indented JSON emitter for reports a person may
// also read (the metrics of `mdn eval`). Numbers are written with 10
// significant digits; NaN and infinities, which JSON cannot hold, become null
// (the metric is undefined for that data, e.g. R^2 of a constant target).
// Parsing lives elsewhere (the model file's metadata); this only writes.
#pragma once
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace mdn::report {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }

  // Inside an object: the next value's key.
  void key(const std::string& k) {
    separate();
    string_literal(k);
    out_ += ": ";
    pending_key_ = true;
  }
  void value(double v) {
    separate();
    if (!std::isfinite(v)) {
      out_ += "null";
      return;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    out_ += buf;
  }
  void value(long long v) {
    separate();
    out_ += std::to_string(v);
  }
  void value(int v) { value(static_cast<long long>(v)); }
  void value(bool v) {
    separate();
    out_ += v ? "true" : "false";
  }
  void value(const std::string& v) {
    separate();
    string_literal(v);
  }
  void value(const char* v) { value(std::string(v)); }
  void null() {
    separate();
    out_ += "null";
  }

  template <class V>
  void field(const std::string& k, const V& v) {
    key(k);
    value(v);
  }
  void field(const std::string& k, const std::vector<double>& v) {
    key(k);
    begin_array();
    for (double x : v) value(x);
    end_array();
  }

 private:
  // Short arrays of numbers stay on one line; objects and arrays of
  // containers put one member per line.
  void separate(bool container = false) {
    if (pending_key_) {
      pending_key_ = false;
      return;
    }
    if (stack_.empty()) return;
    Level& top = stack_.back();
    if (top.count++ > 0) out_ += ",";
    if (top.kind == '{' || container) {
      top.multiline = true;
      newline();
    } else if (top.count > 1) {
      out_ += " ";
    }
  }
  void open(char kind) {
    separate(true);
    out_ += kind;
    stack_.push_back({kind, 0, false});
  }
  void close(char kind) {
    const bool multiline = stack_.back().multiline;
    stack_.pop_back();
    if (multiline) newline();
    out_ += kind;
  }
  void newline() {
    out_ += "\n";
    out_.append(2 * stack_.size(), ' ');
  }
  void string_literal(const std::string& s) {
    out_ += '"';
    for (unsigned char c : s) {
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        default:
          if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out_ += buf;
          } else {
            out_ += char(c);  // UTF-8 passes through unchanged
          }
      }
    }
    out_ += '"';
  }

  struct Level {
    char kind;
    int count;
    bool multiline;
  };
  std::string& out_;
  std::vector<Level> stack_;
  bool pending_key_ = false;
};

}  // namespace mdn::report
