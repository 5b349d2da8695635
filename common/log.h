#pragma once
// One logging interface for the whole daemon: components log structured events to a Logger,
// and the sink decides the format (plain lines on a terminal/file now, journald later).
#include <atomic>
#include <cstdio>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

namespace sloth {

// Ordered like syslog priorities (journald's PRIORITY): lower is more severe.
enum class LogLevel { kError = 3, kWarning = 4, kNotice = 5, kInfo = 6, kDebug = 7 };

std::string_view LogLevelName(LogLevel level);
// Accepts error|warning|notice|info|debug.
bool ParseLogLevel(std::string_view text, LogLevel* level);

// A structured field; keys are journald-style upper-case names such as SLOTH_TASK.
struct LogField {
  std::string_view key;
  std::string value;
};

struct LogRecord {
  LogLevel level;
  std::string_view message_id;  // a 128-bit id per event kind (hex), or empty
  std::string_view message;
  std::span<const LogField> fields;
};

class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void Write(const LogRecord& record) = 0;
};

// Plain timestamped lines: "2026-11-25T06:12:07.123Z warning: message (KEY=value)".
class ConsoleLogSink final : public LogSink {
 public:
  explicit ConsoleLogSink(FILE* out);
  void Write(const LogRecord& record) override;

 private:
  std::mutex mutex_;
  FILE* out_;
};

// Thread-safe: any thread may log; the sink serialises writes.
class Logger {
 public:
  explicit Logger(std::unique_ptr<LogSink> sink, LogLevel min_level = LogLevel::kInfo);

  void Log(LogLevel level, std::string_view message, std::span<const LogField> fields,
           std::string_view message_id = {});
  void Log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {},
           std::string_view message_id = {}) {
    Log(level, message, std::span<const LogField>(fields.begin(), fields.size()), message_id);
  }
  bool Enabled(LogLevel level) const { return static_cast<int>(level) <= static_cast<int>(min_level_.load()); }
  void Error(std::string_view message, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kError, message, fields);
  }
  void Warning(std::string_view message, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kWarning, message, fields);
  }
  void Notice(std::string_view message, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kNotice, message, fields);
  }
  void Info(std::string_view message, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kInfo, message, fields);
  }
  void Debug(std::string_view message, std::initializer_list<LogField> fields = {}) {
    Log(LogLevel::kDebug, message, fields);
  }
  void set_min_level(LogLevel level) { min_level_.store(level); }

 private:
  std::unique_ptr<LogSink> sink_;
  std::atomic<LogLevel> min_level_;
};

}  // namespace sloth
