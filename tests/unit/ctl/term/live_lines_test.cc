// LiveLines' bytes, read back from a pipe: the block is written, then moved over and rewritten.
#include "ctl/term/live_lines.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace sloth::term {
namespace {

std::string Drain(int fd) {
  std::string out;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<size_t>(n));
  return out;
}

TEST(LiveLines, RedrawsTheBlockInPlaceAndGivesTheCursorBack) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
  {
    LiveLines lines(fds[1]);
    lines.Draw({"a running", "b queued"});
    lines.Draw({"a success"});  // shorter: the rest of the old block is cleared
  }
  ::close(fds[1]);
  EXPECT_EQ(Drain(fds[0]),
            "\x1b[?25l"                                  // cursor hidden
            "\x1b[2Ka running\n\x1b[2Kb queued\n\x1b[J"  // first block
            "\r\x1b[2A\x1b[2Ka success\n\x1b[J"          // back up two lines, one line now
            "\x1b[?25h");                                // cursor shown again
  ::close(fds[0]);
}

}  // namespace
}  // namespace sloth::term
