#include "daemon/core/telemetry/process_stats.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace {

// A field of /proc/self/status such as "Threads" or "VmRSS" (kB), read independently of the parser.
uint64_t StatusField(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stoull(line.substr(key.size() + 1));
  }
  ADD_FAILURE() << key << " not in /proc/self/status";
  return 0;
}

}  // namespace

TEST(ParseProcStat, ReadsFieldsAfterACommandNameWithSpacesAndParens) {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
  // cutime cstime priority nice num_threads itrealvalue starttime vsize rss ...
  const std::string stat =
      "1234 (my (weird) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 1000 123456789 300 "
      "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  auto s = sloth::ParseProcStat(stat, 100, 4096, 1700000000);
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->cpu_seconds_total, 3.0);
  EXPECT_EQ(s->threads, 7u);
  EXPECT_DOUBLE_EQ(s->start_time_seconds, 1700000010.0);
  EXPECT_EQ(s->virtual_memory_bytes, 123456789u);
  EXPECT_EQ(s->resident_memory_bytes, 300u * 4096u);
}

TEST(ParseProcStat, RefusesTruncatedOrGarbledInput) {
  EXPECT_FALSE(sloth::ParseProcStat("", 100, 4096, 0));
  EXPECT_FALSE(sloth::ParseProcStat("1 (x) S 1 2 3", 100, 4096, 0));
  EXPECT_FALSE(sloth::ParseProcStat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 abc 0 0 0 20 0 1 0 1 1 1", 100, 4096, 0));
}

TEST(ParseBootTime, FindsTheBtimeLine) {
  EXPECT_EQ(sloth::ParseBootTime("cpu  1 2 3\nbtime 1700000000\nprocesses 5\n"), 1700000000.0);
  EXPECT_FALSE(sloth::ParseBootTime("cpu 1 2 3\n"));
}

TEST(ProcessStatsReader, ValuesMatchProc) {
  sloth::ProcessStatsReader reader;
  auto s = reader.Read();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->threads, StatusField("Threads"));
  const double rss_kib = static_cast<double>(s->resident_memory_bytes) / 1024.0;
  EXPECT_NEAR(rss_kib, static_cast<double>(StatusField("VmRSS")), 2048.0);
  EXPECT_NEAR(static_cast<double>(s->virtual_memory_bytes) / 1024.0, static_cast<double>(StatusField("VmSize")),
              2048.0);
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  EXPECT_EQ(s->max_fds, limit.rlim_cur);
  const auto now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_GT(s->start_time_seconds, now - 3600);
  EXPECT_LE(s->start_time_seconds, now + 1);
}

TEST(ProcessStatsReader, OpenFdsFollowsOpenAndClose) {
  const uint64_t before = sloth::ProcessStatsReader().Read()->open_fds;
  size_t listed = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    (void)e;
    ++listed;
  }
  // directory_iterator's own descriptor is listed too.
  EXPECT_EQ(before, listed - 1);
  int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(sloth::ProcessStatsReader().Read()->open_fds, before + 1);
  ::close(fd);
  EXPECT_EQ(sloth::ProcessStatsReader().Read()->open_fds, before);
}

TEST(ProcessStatsReader, OpenFdsIsCountedAtMostOnceInAWhile) {
  sloth::ProcessStatsReader reader;
  const uint64_t first = reader.Read()->open_fds;
  int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  // Within kOpenFdsReuse (1 s) of the first count: the same figure, not a new listing.
  EXPECT_EQ(reader.Read()->open_fds, first);
  ::close(fd);
}
