#pragma once
// Native journald logging (sd_journal_send): PRIORITY, SYSLOG_IDENTIFIER, MESSAGE_ID and the
// SLOTH_* fields, so `journalctl -u slothd SLOTH_TASK=deploy` finds a task's records.
#include <string>
#include <string_view>

#include "common/log.h"
#include "daemon/systemd/libsystemd.h"

namespace sloth {

class JournalLogSink final : public LogSink {
 public:
  // Every record carries SLOTH_AGENT=agent_name.
  JournalLogSink(const Libsystemd& lib, std::string agent_name)
      : lib_(lib), agent_field_("SLOTH_AGENT=" + agent_name) {}
  void Write(const LogRecord& record) override;

 private:
  const Libsystemd& lib_;
  std::string agent_field_;
};

// True when stderr is connected to the journal (JOURNAL_STREAM names stderr's device:inode),
// as it is for a service whose StandardError= is the journal.
bool StderrIsJournal();

}  // namespace sloth
