#include "ctl/term/live_lines.h"

#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

namespace sloth::term {

LiveLines::LiveLines(int fd) : fd_(fd) { Write("\x1b[?25l"); }

LiveLines::~LiveLines() { Write("\x1b[?25h"); }

void LiveLines::Draw(const std::vector<std::string>& lines) {
  std::string out;
  if (drawn_ > 0) out += fmt::format("\r\x1b[{}A", drawn_);
  for (const std::string& line : lines) out += "\x1b[2K" + line + "\n";
  out += "\x1b[J";  // what is left of a longer block before
  Write(out);
  drawn_ = lines.size();
}

void LiveLines::Write(const std::string& bytes) const {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the terminal went away: nothing to draw on
    done += static_cast<size_t>(n);
  }
}

}  // namespace sloth::term
