#include "daemon/systemd/journal_log_sink.h"

#include <sys/stat.h>
#include <sys/uio.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace sloth {

void JournalLogSink::Write(const LogRecord& record) {
  std::vector<std::string> fields;
  fields.reserve(4 + record.fields.size());
  fields.push_back(fmt::format("MESSAGE={}", record.message));
  fields.push_back(fmt::format("PRIORITY={}", static_cast<int>(record.level)));
  fields.emplace_back("SYSLOG_IDENTIFIER=slothd");
  fields.push_back(agent_field_);
  if (!record.message_id.empty()) fields.push_back(fmt::format("MESSAGE_ID={}", record.message_id));
  for (const LogField& f : record.fields) fields.push_back(fmt::format("{}={}", f.key, f.value));
  std::vector<iovec> iov;
  iov.reserve(fields.size());
  for (auto& f : fields) iov.push_back({f.data(), f.size()});
  // Through the library function, not the sd_journal_sendv macro: our records name their own
  // origin (SYSLOG_IDENTIFIER, MESSAGE_ID), and this sink's CODE_FILE would be on all of them.
  lib_.journal_sendv(iov.data(), static_cast<int>(iov.size()));
}

bool StderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (!stream) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (::fstat(2, &st) != 0) return false;
  return st.st_dev == dev && st.st_ino == ino;
}

}  // namespace sloth
