#include "ctl/term/terminal.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace sloth::term {
namespace {

constexpr char kEnter[] = "\x1b[?1049h\x1b[?25l\x1b[2J\x1b[H";
constexpr char kLeave[] = "\x1b[0m\x1b[?25h\x1b[?1049l";

// Process-wide because signal handlers need it; written only while no handler is installed.
struct SavedState {
  int in_fd = -1;
  int out_fd = -1;
  int event_write_fd = -1;
  termios original{};
  volatile sig_atomic_t active = 0;  // the terminal is in our modes now
  struct sigaction previous[6]{};
};
SavedState g_state;
bool g_atexit_registered = false;

constexpr int kRestoringSignals[] = {SIGINT, SIGTERM, SIGHUP};
constexpr int kAllSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGTSTP, SIGCONT, SIGWINCH};

void WriteAll(int fd, const char* data, size_t size) {  // async-signal-safe
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    size -= static_cast<size_t>(n);
  }
}

void Notify(char event) {  // async-signal-safe
  if (g_state.event_write_fd >= 0) {
    [[maybe_unused]] ssize_t n = ::write(g_state.event_write_fd, &event, 1);
  }
}

void RestoreNow() {  // async-signal-safe
  if (!g_state.active) return;
  g_state.active = 0;
  tcsetattr(g_state.in_fd, TCSAFLUSH, &g_state.original);
  WriteAll(g_state.out_fd, kLeave, sizeof kLeave - 1);
}

void EnterNow() {  // async-signal-safe
  termios raw = g_state.original;
  raw.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));  // ISIG stays: Ctrl-C, Ctrl-Z work
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  tcsetattr(g_state.in_fd, TCSAFLUSH, &raw);
  WriteAll(g_state.out_fd, kEnter, sizeof kEnter - 1);
  g_state.active = 1;
}

void OnTerminatingSignal(int sig) {
  RestoreNow();
  signal(sig, SIG_DFL);
  raise(sig);  // delivered when the handler returns (sig is blocked inside it)
}

void OnStop(int) {
  const int saved_errno = errno;
  RestoreNow();
  signal(SIGTSTP, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTSTP);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  raise(SIGTSTP);  // stops here until SIGCONT
  struct sigaction action {};
  action.sa_handler = OnStop;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGTSTP, &action, nullptr);
  EnterNow();
  Notify('C');
  errno = saved_errno;
}

void OnContinue(int) {
  const int saved_errno = errno;
  Notify('C');  // stopped by SIGSTOP (modes kept) or resumed after OnStop: redraw either way
  errno = saved_errno;
}

void OnResize(int) {
  const int saved_errno = errno;
  Notify('W');
  errno = saved_errno;
}

void RestoreAtExit() { RestoreNow(); }

void Install(int sig, void (*handler)(int), struct sigaction* previous) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  for (int other : kAllSignals) sigaddset(&action.sa_mask, other);
  action.sa_flags = SA_RESTART;
  sigaction(sig, &action, previous);
}

}  // namespace

TerminalSize QueryTerminalSize(int fd) {
  winsize size{};
  if (ioctl(fd, TIOCGWINSZ, &size) != 0 || size.ws_col == 0) return {0, 0};
  return {size.ws_col, size.ws_row};
}

Terminal::Terminal(int in_fd, int out_fd) : in_fd_(in_fd), out_fd_(out_fd) {
  if (g_state.in_fd >= 0) throw std::logic_error("Terminal: one at a time");
  termios original{};
  if (tcgetattr(in_fd, &original) != 0) {
    throw std::runtime_error(std::string("cannot read the terminal's modes: ") + std::strerror(errno));
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw std::runtime_error(std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  event_read_fd_ = fds[0];
  g_state.in_fd = in_fd;
  g_state.out_fd = out_fd;
  g_state.event_write_fd = fds[1];
  g_state.original = original;
  if (!g_atexit_registered) {
    std::atexit(RestoreAtExit);
    g_atexit_registered = true;
  }
  int i = 0;
  for (int sig : kRestoringSignals) Install(sig, OnTerminatingSignal, &g_state.previous[i++]);
  Install(SIGTSTP, OnStop, &g_state.previous[i++]);
  Install(SIGCONT, OnContinue, &g_state.previous[i++]);
  Install(SIGWINCH, OnResize, &g_state.previous[i++]);
  EnterNow();
}

Terminal::~Terminal() {
  RestoreNow();
  int i = 0;
  for (int sig : kAllSignals) sigaction(sig, &g_state.previous[i++], nullptr);
  ::close(g_state.event_write_fd);
  ::close(event_read_fd_);
  g_state.event_write_fd = -1;
  g_state.in_fd = -1;
  g_state.out_fd = -1;
}

unsigned Terminal::TakeEvents() {
  unsigned events = 0;
  char buffer[64];
  for (;;) {
    const ssize_t n = ::read(event_read_fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t k = 0; k < n; ++k) {
      if (buffer[k] == 'W') events |= kResized;
      if (buffer[k] == 'C') events |= kResumed;
    }
  }
  return events;
}

void Terminal::Write(std::string_view bytes) const { WriteAll(out_fd_, bytes.data(), bytes.size()); }

}  // namespace sloth::term
