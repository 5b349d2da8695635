#pragma once
// The one object that owns the terminal while `metrics grafana --watch` draws on it: alternate
// screen, hidden cursor, cbreak mode (no echo, keys one by one). It always gives the terminal
// back: on destruction (normal return or exception), at exit(), on SIGINT/SIGTERM/SIGHUP
// (restore, then the signal is re-raised so the exit status tells the truth), and around
// Ctrl-Z (restore, stop; on resume re-enter and report kResumed so the caller redraws).
// SIGWINCH is reported as kResized. Owned by the main thread; one at a time per process.
#include <string_view>

namespace sloth::term {

struct TerminalSize {
  int cols = 80;
  int rows = 24;
};

// The size of the terminal on `fd`, or nullopt-like {0, 0} when it is not a terminal.
TerminalSize QueryTerminalSize(int fd);

class Terminal {
 public:
  enum Event : unsigned { kResized = 1, kResumed = 2 };

  // Takes over `in_fd` (keys) and `out_fd` (drawing), both terminals; throws std::runtime_error
  // (with errno's words) if the terminal modes cannot be read or set.
  Terminal(int in_fd, int out_fd);
  ~Terminal();
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  // Becomes readable when an event is pending; poll() it beside in_fd.
  int event_fd() const { return event_read_fd_; }
  // The pending events (a mask of Event), cleared.
  unsigned TakeEvents();
  TerminalSize Size() const { return QueryTerminalSize(out_fd_); }
  // Writes all of `bytes` to the terminal (retrying short writes and EINTR).
  void Write(std::string_view bytes) const;

 private:
  int in_fd_;
  int out_fd_;
  int event_read_fd_ = -1;
};

}  // namespace sloth::term
