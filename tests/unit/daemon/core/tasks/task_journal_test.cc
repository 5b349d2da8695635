// The runner's journal in a temporary state directory: what a restart reads back.
#include "daemon/core/tasks/task_journal.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace sloth {
namespace {

class TaskJournalTest : public ::testing::Test {
 protected:
  TaskJournalTest() {
    char pattern[] = "/tmp/sloth-journal-XXXXXX";
    dir_ = ::mkdtemp(pattern);
  }
  ~TaskJournalTest() override { std::filesystem::remove_all(dir_); }

  static TaskResult Task(std::string id, TaskStatus status = TaskStatus::kSuccess) {
    TaskResult r;
    r.id = std::move(id);
    r.name = "n";
    r.group = "g";
    r.command = "echo 'quoted' \"and\" \\ more";
    r.status = status;
    r.exit_code = status == TaskStatus::kSuccess ? 0 : 3;
    r.reason = status == TaskStatus::kSuccess ? "" : "exit code 3";
    r.start_time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'123));
    r.end_time = r.start_time + std::chrono::seconds(2);
    r.duration = std::chrono::milliseconds(2000);
    r.kept_output = "not kept in the journal";
    return r;
  }
  std::string Text() const {
    std::ifstream in(dir_ + "/tasks.journal");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  std::string dir_;
  Logger log_{std::make_unique<ConsoleLogSink>(stderr)};
};

TEST_F(TaskJournalTest, FinishedTasksComeBackAndUnfinishedOnesAreNamed) {
  {
    TaskJournal journal(dir_, 10, log_);
    EXPECT_TRUE(journal.finished().empty());
    journal.Started(Task("t-000001-aaaa", TaskStatus::kRunning), {.pid = 4242, .start_ticks = 99, .unit = {}});
    journal.Finished(Task("t-000001-aaaa", TaskStatus::kFailed));
    journal.Started(Task("t-000002-bbbb", TaskStatus::kRunning), {.pid = 4343, .start_ticks = 100, .unit = {}});
  }
  TaskJournal again(dir_, 10, log_);
  ASSERT_EQ(again.finished().size(), 1u);
  const TaskResult& done = again.finished()[0];
  EXPECT_EQ(done.id, "t-000001-aaaa");
  EXPECT_EQ(done.status, TaskStatus::kFailed);
  EXPECT_EQ(done.exit_code, 3);
  EXPECT_EQ(done.reason, "exit code 3");
  EXPECT_EQ(done.command, Task("x").command);
  EXPECT_EQ(done.start_time, Task("x").start_time);
  EXPECT_EQ(done.duration, std::chrono::milliseconds(2000));
  EXPECT_TRUE(done.kept_output.empty());
  ASSERT_EQ(again.unfinished().size(), 1u);
  EXPECT_EQ(again.unfinished()[0].task.id, "t-000002-bbbb");
  EXPECT_EQ(again.unfinished()[0].record.pid, 4343);
  EXPECT_EQ(again.unfinished()[0].record.start_ticks, 100u);
  EXPECT_EQ(again.last_sequence(), 2u);
}

TEST_F(TaskJournalTest, ATornLastLineIsSkipped) {
  {
    TaskJournal journal(dir_, 10, log_);
    journal.Finished(Task("t-000001-aaaa"));
  }
  std::ofstream(dir_ + "/tasks.journal", std::ios::app) << "{\"finished\":{\"id\":\"t-0000";
  TaskJournal again(dir_, 10, log_);
  ASSERT_EQ(again.finished().size(), 1u);
  EXPECT_EQ(again.finished()[0].id, "t-000001-aaaa");
}

TEST_F(TaskJournalTest, TheFileStaysBoundedAndKeepsTheLastHistoryAndWhatRuns) {
  {
    TaskJournal journal(dir_, 5, log_);
    journal.Started(Task("t-000000-cccc", TaskStatus::kRunning), {.pid = 1, .start_ticks = 1, .unit = {}});
    for (int i = 1; i <= 500; ++i) journal.Finished(Task(fmt::format("t-{:06}-aaaa", i)));
  }
  std::string text = Text();
  EXPECT_LE(std::count(text.begin(), text.end(), '\n'), 2 * (5 + 1) + 64 + 1);
  TaskJournal again(dir_, 5, log_);
  ASSERT_EQ(again.finished().size(), 5u);
  EXPECT_EQ(again.finished().front().id, "t-000496-aaaa");
  EXPECT_EQ(again.finished().back().id, "t-000500-aaaa");
  ASSERT_EQ(again.unfinished().size(), 1u);
  EXPECT_EQ(again.unfinished()[0].task.id, "t-000000-cccc");
}

TEST_F(TaskJournalTest, AStateDirectoryThatCannotBeWrittenStopsNothing) {
  TaskJournal journal(dir_ + "/missing/deeper", 5, log_);
  journal.Started(Task("t-000001-aaaa", TaskStatus::kRunning), {});
  journal.Finished(Task("t-000001-aaaa"));
  EXPECT_TRUE(journal.finished().empty());
}

}  // namespace
}  // namespace sloth
