#pragma once
// A block of lines redrawn in place on a terminal (`slothctl run`'s live progress): each Draw
// moves the cursor back over the block drawn before and writes the new one, so the block updates
// while whatever was printed above it stays. The cursor is hidden while the block is live.
// Owned by one thread at a time.
#include <string>
#include <vector>

namespace sloth::term {

class LiveLines {
 public:
  explicit LiveLines(int fd);
  // Shows the cursor again; the last block stays on the screen, the next output goes below it.
  ~LiveLines();
  LiveLines(const LiveLines&) = delete;
  LiveLines& operator=(const LiveLines&) = delete;

  // Replaces the block drawn last with `lines`; each must fit the terminal's width (no wrapping).
  void Draw(const std::vector<std::string>& lines);

 private:
  void Write(const std::string& bytes) const;
  int fd_;
  size_t drawn_ = 0;  // lines of the block on the screen
};

}  // namespace sloth::term
