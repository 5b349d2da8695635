#include "daemon/core/workflows/workflow_scheduler.h"

#include <algorithm>
#include <random>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/daemon/core/workflows/workflow_test_support.h"

using sloth::TaskStatus;
using sloth::Workflow;
using sloth::WorkflowScheduler;
using sloth::test::MustLoad;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;
using Attempt = WorkflowScheduler::Attempt;

namespace {

// Drives a scheduler as the executor would and checks, after every event, that no limit is
// passed and that every task started had its dependencies satisfied.
class Driver {
 public:
  explicit Driver(Workflow workflow, uint32_t max_parallel = 16)
      : workflow_(std::move(workflow)), scheduler_(workflow_, max_parallel), max_parallel_(max_parallel) {}

  WorkflowScheduler::Decisions Start() { return CheckRules(scheduler_.Start()); }
  WorkflowScheduler::Decisions Finish(size_t task, Attempt outcome = Attempt::kSucceeded) {
    running_.erase(task);
    return CheckRules(scheduler_.AttemptFinished(task, outcome));
  }
  WorkflowScheduler::Decisions RetryDue(size_t task) { return CheckRules(scheduler_.RetryDue(task)); }
  WorkflowScheduler::Decisions Cancel() { return CheckRules(scheduler_.Cancel("by the caller")); }
  WorkflowScheduler& scheduler_for_test() { return scheduler_; }

  size_t Index(const std::string& qualified) const {
    for (size_t t = 0; t < workflow_.tasks.size(); ++t) {
      if (workflow_.QualifiedName(t) == qualified) return t;
    }
    ADD_FAILURE() << "no task " << qualified;
    return 0;
  }
  std::vector<std::string> Names(const std::vector<size_t>& tasks) const {
    std::vector<std::string> names;
    for (size_t t : tasks) names.push_back(workflow_.QualifiedName(t));
    return names;
  }
  std::vector<std::pair<std::string, std::string>> Skips(const WorkflowScheduler::Decisions& d) const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [task, reason] : d.skipped) out.emplace_back(workflow_.QualifiedName(task), reason);
    return out;
  }
  std::vector<std::string> Groups(const WorkflowScheduler::Decisions& d) const {
    std::vector<std::string> out;
    for (size_t g : d.groups_finished) {
      out.push_back(workflow_.groups[g].name + ":" + std::string(sloth::TaskStatusName(scheduler_.group_status(g))));
    }
    return out;
  }
  const WorkflowScheduler& scheduler() const { return scheduler_; }
  const Workflow& workflow() const { return workflow_; }
  const std::set<size_t>& running() const { return running_; }

  // For decisions the test asked the scheduler for itself: what ended is no longer running.
  WorkflowScheduler::Decisions Check(WorkflowScheduler::Decisions d) {
    std::erase_if(running_, [&](size_t t) {
      return scheduler_.status(t) != TaskStatus::kRunning && scheduler_.status(t) != TaskStatus::kQueued;
    });
    return CheckRules(std::move(d));
  }

 private:
  // Succeeded, or skipped by its `when`.
  bool Satisfied(size_t task) const {
    return scheduler_.status(task) == TaskStatus::kSuccess ||
           (scheduler_.status(task) == TaskStatus::kSkipped && scheduler_.reason(task).starts_with("when:"));
  }

  WorkflowScheduler::Decisions CheckRules(WorkflowScheduler::Decisions d) {
    for (size_t task : d.start) {
      for (size_t dep : workflow_.tasks[task].depends_on) {
        EXPECT_TRUE(Satisfied(dep)) << "started before its dependency";
      }
      for (size_t g : workflow_.groups[workflow_.group_of[task]].depends_on) {
        EXPECT_TRUE(scheduler_.group_status(g) == TaskStatus::kSuccess ||
                    scheduler_.group_status(g) == TaskStatus::kSkipped);
        for (size_t t : workflow_.groups[g].tasks) EXPECT_TRUE(Satisfied(t));
      }
      running_.insert(task);
    }
    EXPECT_LE(running_.size(), max_parallel_);
    EXPECT_EQ(scheduler_.running(), running_.size() + waiting_retry_count(d));
    for (size_t g = 0; g < workflow_.groups.size(); ++g) {
      const auto limit = workflow_.groups[g].parallel.value_or(max_parallel_);
      const auto in_group =
          std::count_if(running_.begin(), running_.end(), [&](size_t t) { return workflow_.group_of[t] == g; });
      EXPECT_LE(static_cast<uint32_t>(in_group), limit);
    }
    return d;
  }
  size_t waiting_retry_count(const WorkflowScheduler::Decisions& d) {
    for (size_t t : d.retry) waiting_retry_.insert(t);
    for (size_t t : d.start) waiting_retry_.erase(t);
    std::erase_if(waiting_retry_, [&](size_t t) { return scheduler_.status(t) != TaskStatus::kRunning; });
    return waiting_retry_.size();
  }

  Workflow workflow_;
  WorkflowScheduler scheduler_;
  uint32_t max_parallel_;
  std::set<size_t> running_;
  std::set<size_t> waiting_retry_;
};

constexpr const char* kChain = R"(
[groups.g.tasks]
a.command = 'x'
b = { command = 'x', depends_on = ['a'] }
c = { command = 'x', depends_on = ['b'] }
)";

constexpr const char* kDiamond = R"(
[groups.g.tasks]
a.command = 'x'
b = { command = 'x', depends_on = ['a'] }
c = { command = 'x', depends_on = ['a'] }
d = { command = 'x', depends_on = ['b', 'c'] }
)";

std::string Wide(int tasks, std::string group_header = "[groups.g]\n") {
  std::string text = group_header + "[groups.g.tasks]\n";
  for (int i = 0; i < tasks; ++i) text += "t" + std::to_string(i) + ".command = 'true'\n";
  return text;
}

}  // namespace

TEST(WorkflowScheduler, AChainStartsEachTaskWhenThePreviousSucceeds) {
  Driver d(MustLoad(kChain));
  auto start = d.Start();
  EXPECT_THAT(d.Names(start.start), ElementsAre("g.a"));
  EXPECT_FALSE(start.finished);
  EXPECT_EQ(d.scheduler().group_status(0), TaskStatus::kRunning);
  EXPECT_THAT(d.Names(d.Finish(0).start), ElementsAre("g.b"));
  EXPECT_THAT(d.Names(d.Finish(1).start), ElementsAre("g.c"));
  auto last = d.Finish(2);
  EXPECT_THAT(last.start, IsEmpty());
  EXPECT_TRUE(last.finished);
  EXPECT_THAT(d.Groups(last), ElementsAre("g:success"));
  EXPECT_EQ(d.scheduler().run_status(), TaskStatus::kSuccess);
  EXPECT_EQ(d.scheduler().attempts(2), 1u);
}

TEST(WorkflowScheduler, ADiamondRunsBothMiddlesThenTheJoin) {
  Driver d(MustLoad(kDiamond));
  EXPECT_THAT(d.Names(d.Start().start), ElementsAre("g.a"));
  EXPECT_THAT(d.Names(d.Finish(0).start), ElementsAre("g.b", "g.c"));
  EXPECT_THAT(d.Finish(2).start, IsEmpty());
  EXPECT_THAT(d.Names(d.Finish(1).start), ElementsAre("g.d"));
  EXPECT_TRUE(d.Finish(3).finished);
}

TEST(WorkflowScheduler, AWideFanOutStaysUnderTheRunsLimit) {
  Driver d(MustLoad(Wide(10)), 3);
  EXPECT_THAT(d.Names(d.Start().start), ElementsAre("g.t0", "g.t1", "g.t2"));
  EXPECT_THAT(d.Names(d.Finish(1).start), ElementsAre("g.t3"));
  EXPECT_THAT(d.Names(d.Finish(0).start), ElementsAre("g.t4"));
  size_t started = 5;
  while (!d.running().empty()) {
    auto next = d.Finish(*d.running().begin());
    started += next.start.size();
    EXPECT_LE(next.start.size(), 1u);
  }
  EXPECT_EQ(started, 10u);
  EXPECT_TRUE(d.scheduler().finished());
}

TEST(WorkflowScheduler, AGroupsParallelLimitsItWithinTheRunsLimit) {
  Driver d(MustLoad(Wide(5, "[groups.g]\nparallel = 2\n") + "[groups.h.tasks]\nx.command='x'\ny.command='x'\n"), 3);
  // Two of g (its limit), then h fills the run's third slot.
  EXPECT_THAT(d.Names(d.Start().start), ElementsAre("g.t0", "g.t1", "h.x"));
  EXPECT_THAT(d.Names(d.Finish(d.Index("h.x")).start), ElementsAre("h.y"));
  EXPECT_THAT(d.Names(d.Finish(d.Index("g.t0")).start), ElementsAre("g.t2"));
  // A file asking for more than the agent allows gets the agent's limit.
  Driver greedy(MustLoad(Wide(6, "[groups.g]\nparallel = 100\n")), 4);
  EXPECT_EQ(greedy.Start().start.size(), 4u);
}

TEST(WorkflowScheduler, DependantsOfAFailureAreSkippedWithTheReasonAndOthersGoOn) {
  Driver d(MustLoad(R"(
[groups.g.tasks]
a.command = 'x'
b = { command = 'x', depends_on = ['a'] }
c = { command = 'x', depends_on = ['b'] }
other.command = 'x'
)"));
  EXPECT_THAT(d.Names(d.Start().start), ElementsAre("g.a", "g.other"));
  auto failed = d.Finish(0, Attempt::kFailed);
  EXPECT_THAT(d.Skips(failed), UnorderedElementsAre(Pair("g.b", "dependency g.a failed"),
                                                    Pair("g.c", "dependency g.b was skipped (g.a failed)")));
  EXPECT_EQ(d.scheduler().status(0), TaskStatus::kFailed);
  EXPECT_EQ(d.scheduler().status(2), TaskStatus::kSkipped);
  EXPECT_EQ(d.scheduler().reason(2), "dependency g.b was skipped (g.a failed)");
  EXPECT_FALSE(failed.finished);
  auto last = d.Finish(3);
  EXPECT_TRUE(last.finished);
  EXPECT_THAT(d.Groups(last), ElementsAre("g:failed"));
  EXPECT_EQ(d.scheduler().run_status(), TaskStatus::kFailed);
}

TEST(WorkflowScheduler, AGroupThatDidNotSucceedSkipsTheGroupsThatDependOnIt) {
  Driver d(MustLoad(R"(
[groups.build.tasks.compile]
command = 'x'
[groups.deploy]
depends_on = ['build']
tasks.push.command = 'x'
[groups.notify]
depends_on = ['deploy']
tasks.mail.command = 'x'
[groups.docs.tasks.render]
command = 'x'
)"));
  EXPECT_THAT(d.Names(d.Start().start), ElementsAre("build.compile", "docs.render"));
  auto failed = d.Finish(0, Attempt::kFailed);
  EXPECT_THAT(d.Skips(failed),
              ElementsAre(Pair("deploy.push", "dependency group build failed (build.compile failed)"),
                          Pair("notify.mail", "dependency group deploy was skipped (build.compile failed)")));
  EXPECT_THAT(d.Groups(failed), ElementsAre("build:failed", "deploy:skipped", "notify:skipped"));
  EXPECT_THAT(d.Groups(d.Finish(3)), ElementsAre("docs:success"));
}

TEST(WorkflowScheduler, AGroupCutShortAfterSomeTasksRanHasFailed) {
  Driver d(MustLoad(R"(
[groups.a.tasks.x]
command = 'x'
[groups.b.tasks]
ok.command = 'x'
late = { command = 'x', depends_on = ['a.x'] }
)"));
  d.Start();
  d.Finish(d.Index("b.ok"));
  auto failed = d.Finish(d.Index("a.x"), Attempt::kFailed);
  EXPECT_THAT(d.Groups(failed), ElementsAre("a:failed", "b:failed"));
}

TEST(WorkflowScheduler, AFailedAttemptIsRetriedHoldingItsSlot) {
  Driver d(MustLoad("[groups.g.tasks]\na={command='x',retries=2}\nb.command='x'\n"), 1);
  EXPECT_THAT(d.Names(d.Start().start), ElementsAre("g.a"));
  auto first = d.Finish(0, Attempt::kFailed);
  EXPECT_THAT(d.Names(first.retry), ElementsAre("g.a"));
  EXPECT_THAT(first.start, IsEmpty());  // b waits: a keeps the only slot
  EXPECT_EQ(d.scheduler().status(0), TaskStatus::kRunning);
  EXPECT_THAT(d.Names(d.RetryDue(0).start), ElementsAre("g.a"));
  EXPECT_EQ(d.scheduler().attempts(0), 2u);
  EXPECT_THAT(d.Names(d.Finish(0, Attempt::kFailed).retry), ElementsAre("g.a"));
  d.RetryDue(0);
  EXPECT_EQ(d.scheduler().attempts(0), 3u);
  auto last = d.Finish(0, Attempt::kFailed);  // retries exhausted
  EXPECT_THAT(last.retry, IsEmpty());
  EXPECT_EQ(d.scheduler().status(0), TaskStatus::kFailed);
  EXPECT_THAT(d.Names(last.start), ElementsAre("g.b"));
}

TEST(WorkflowScheduler, ARetryThatSucceedsSucceeds) {
  Driver d(MustLoad("[groups.g.tasks]\na={command='x',retries=1}\nb={command='x',depends_on=['a']}\n"));
  d.Start();
  d.Finish(0, Attempt::kFailed);
  d.RetryDue(0);
  EXPECT_THAT(d.Names(d.Finish(0).start), ElementsAre("g.b"));
  EXPECT_EQ(d.scheduler().status(0), TaskStatus::kSuccess);
  EXPECT_EQ(d.scheduler().attempts(0), 2u);
}

TEST(WorkflowScheduler, ACancelledAttemptIsNotRetried) {
  Driver d(MustLoad("[groups.g.tasks]\na={command='x',retries=3}\n"));
  d.Start();
  auto cancelled = d.Finish(0, Attempt::kCancelled);
  EXPECT_THAT(cancelled.retry, IsEmpty());
  EXPECT_TRUE(cancelled.finished);
  EXPECT_EQ(d.scheduler().status(0), TaskStatus::kFailed);
}

TEST(WorkflowScheduler, AFalseWhenSkipsTheTaskOnceItsDependenciesSucceedAndItsDependantsRun) {
  Driver d(MustLoad(R"(
[groups.g.tasks]
a.command = 'x'
b = { command = 'x', depends_on = ['a'], when = 'false' }
c = { command = 'x', depends_on = ['b'] }
)"));
  auto start = d.Start();
  EXPECT_THAT(d.Names(start.start), ElementsAre("g.a"));
  EXPECT_THAT(start.skipped, IsEmpty());  // not before a: c must not start ahead of a
  auto after_a = d.Finish(0);
  EXPECT_THAT(d.Skips(after_a), ElementsAre(Pair("g.b", "when: false is false")));
  EXPECT_THAT(d.Names(after_a.start), ElementsAre("g.c"));
  EXPECT_THAT(d.Groups(d.Finish(2)), ElementsAre("g:success"));
  EXPECT_EQ(d.scheduler().run_status(), TaskStatus::kSuccess);
}

TEST(WorkflowScheduler, AFalseWhenBehindAFailureIsSkippedForTheFailure) {
  Driver d(MustLoad(R"(
[groups.g.tasks]
a.command = 'x'
b = { command = 'x', depends_on = ['a'], when = 'false' }
)"));
  d.Start();
  EXPECT_THAT(d.Skips(d.Finish(0, Attempt::kFailed)), ElementsAre(Pair("g.b", "dependency g.a failed")));
}

TEST(WorkflowScheduler, AGroupWhoseTasksAllHadAFalseWhenIsSkippedButSatisfiesItsDependants) {
  Driver d(
      MustLoad("[groups.a.tasks.x]\ncommand='x'\nwhen='false'\n[groups.b]\ndepends_on=['a']\ntasks.y.command='x'\n"));
  auto start = d.Start();
  EXPECT_THAT(d.Groups(start), ElementsAre("a:skipped"));
  EXPECT_THAT(d.Names(start.start), ElementsAre("b.y"));
  EXPECT_THAT(d.Groups(d.Finish(1)), ElementsAre("b:success"));
  EXPECT_EQ(d.scheduler().run_status(), TaskStatus::kSuccess);
}

TEST(WorkflowScheduler, CancelSkipsWhatHasNotStartedAndStartsNothingMore) {
  Driver d(MustLoad(Wide(6)), 2);
  d.Start();
  auto cancel = d.Cancel();
  EXPECT_EQ(cancel.skipped.size(), 4u);
  EXPECT_THAT(d.Skips(cancel).front(), Pair("g.t2", "cancelled: by the caller"));
  EXPECT_FALSE(cancel.finished);  // t0 and t1 still run until the executor stops them
  EXPECT_TRUE(d.scheduler().cancelled());
  EXPECT_THAT(d.Finish(0, Attempt::kCancelled).start, IsEmpty());
  auto last = d.Finish(1);  // one that ended well before the cancel reached it
  EXPECT_TRUE(last.finished);
  EXPECT_THAT(d.Groups(last), ElementsAre("g:failed"));
  EXPECT_EQ(d.scheduler().status(1), TaskStatus::kSuccess);
  EXPECT_THAT(d.Cancel().skipped, IsEmpty());  // nothing left
}

TEST(WorkflowScheduler, AStartNotCarriedOutBeforeACancelIsSkippedAndARetryFails) {
  Driver d(MustLoad("[groups.g.tasks]\na={command='x',retries=1}\nb.command='x'\nc={command='x',depends_on=['b']}\n"));
  EXPECT_THAT(d.Names(d.Start().start), ElementsAre("g.a", "g.b"));
  d.Finish(0, Attempt::kFailed);
  d.RetryDue(0);                              // a's second attempt decided, b's first
  EXPECT_EQ(d.Skips(d.Cancel()).size(), 1u);  // c
  auto withdrawn = d.Check(d.scheduler_for_test().StartWithdrawn(1));
  EXPECT_THAT(d.Skips(withdrawn), ElementsAre(Pair("g.b", "cancelled: by the caller")));
  EXPECT_FALSE(withdrawn.finished);
  auto retry = d.Check(d.scheduler_for_test().StartWithdrawn(0));
  EXPECT_EQ(d.scheduler().status(0), TaskStatus::kFailed);
  EXPECT_TRUE(retry.finished);
  EXPECT_THAT(d.Groups(retry), ElementsAre("g:failed"));
}

TEST(WorkflowScheduler, CancelWhileARetryWaitsEndsThatTaskAsFailed) {
  Driver d(MustLoad("[groups.g.tasks.a]\ncommand='x'\nretries=5\n"));
  d.Start();
  d.Finish(0, Attempt::kFailed);
  EXPECT_FALSE(d.Cancel().finished);
  auto due = d.RetryDue(0);
  EXPECT_THAT(due.start, IsEmpty());
  EXPECT_TRUE(due.finished);
  EXPECT_EQ(d.scheduler().status(0), TaskStatus::kFailed);
}

TEST(WorkflowScheduler, AThousandWideTasksAndAThousandChainedOnesRunThrough) {
  Driver wide(MustLoad(Wide(1000)), 16);
  size_t starts = wide.Start().start.size();
  while (!wide.running().empty()) starts += wide.Finish(*wide.running().begin()).start.size();
  EXPECT_EQ(starts, 1000u);
  EXPECT_TRUE(wide.scheduler().finished());

  std::string chain = "[groups.g.tasks]\nt0.command='true'\n";
  for (int i = 1; i < 1000; ++i) {
    chain += "t" + std::to_string(i) + "={command='true',depends_on=['t" + std::to_string(i - 1) + "']}\n";
  }
  Driver chained(MustLoad(chain));
  chained.Start();
  for (size_t t = 0; t < 1000; ++t) {
    auto next = chained.Finish(t);
    EXPECT_EQ(next.start.size(), t + 1 < 1000 ? 1u : 0u);
  }
  EXPECT_TRUE(chained.scheduler().finished());
  // The first failure of a long chain skips the rest without recursing.
  Driver failing(MustLoad(chain));
  failing.Start();
  EXPECT_EQ(failing.Finish(0, Attempt::kFailed).skipped.size(), 999u);
}

// Random DAGs with random outcomes: every task ends with a status, a task runs only after what
// it needs succeeded (Driver checks), and a task is skipped exactly when something it needs did
// not succeed.
TEST(WorkflowScheduler, RandomWorkflowsKeepEveryRule) {
  std::mt19937 random(15);
  for (int round = 0; round < 300; ++round) {
    const int groups = 1 + static_cast<int>(random() % 4);
    std::string text;
    for (int g = 0; g < groups; ++g) {
      text += "[groups.g" + std::to_string(g) + "]\n";
      if (random() % 2 == 0) text += "parallel = " + std::to_string(1 + random() % 3) + "\n";
      if (g > 0 && random() % 3 == 0) text += "depends_on = ['g" + std::to_string(random() % g) + "']\n";
      const int tasks = 1 + static_cast<int>(random() % 5);
      for (int t = 0; t < tasks; ++t) {
        text += "[groups.g" + std::to_string(g) + ".tasks.t" + std::to_string(t) + "]\ncommand = 'x'\n";
        if (random() % 4 == 0) text += "when = '" + std::string(random() % 2 ? "true" : "false") + "'\n";
        if (random() % 4 == 0) text += "retries = 1\n";
        std::vector<std::string> deps;
        if (t > 0 && random() % 2 == 0) deps.push_back("t" + std::to_string(random() % t));
        if (g > 0 && random() % 3 == 0) deps.push_back("g" + std::to_string(random() % g) + ".t0");
        if (!deps.empty()) text += "depends_on = ['" + deps[0] + (deps.size() > 1 ? "', '" + deps[1] : "") + "']\n";
      }
    }
    Driver d(MustLoad(text), 1 + static_cast<uint32_t>(random() % 4));
    auto decisions = d.Start();
    std::vector<size_t> retrying = decisions.retry;
    for (int guard = 0; guard < 1000 && !d.scheduler().finished(); ++guard) {
      if (!retrying.empty()) {
        const size_t t = retrying.back();
        retrying.pop_back();
        d.RetryDue(t);
      } else if (round % 10 == 0 && guard == 3) {
        d.Cancel();
      } else {
        ASSERT_FALSE(d.running().empty()) << text;
        const size_t t = *std::next(d.running().begin(), static_cast<long>(random() % d.running().size()));
        decisions = d.Finish(t, random() % 3 == 0 ? Attempt::kFailed : Attempt::kSucceeded);
        retrying.insert(retrying.end(), decisions.retry.begin(), decisions.retry.end());
      }
    }
    ASSERT_TRUE(d.scheduler().finished()) << text;
    const Workflow& wf = d.workflow();
    bool all_satisfied = true;
    for (size_t t = 0; t < wf.tasks.size(); ++t) {
      const TaskStatus s = d.scheduler().status(t);
      ASSERT_TRUE(s == TaskStatus::kSuccess || s == TaskStatus::kFailed || s == TaskStatus::kSkipped) << text;
      bool needs_unsatisfied = false;
      for (size_t dep : wf.tasks[t].depends_on) {
        const TaskStatus ds = d.scheduler().status(dep);
        needs_unsatisfied |= ds == TaskStatus::kFailed ||
                             (ds == TaskStatus::kSkipped && !d.scheduler().reason(dep).starts_with("when:"));
      }
      for (size_t g : wf.groups[wf.group_of[t]].depends_on) {
        for (size_t other : wf.groups[g].tasks) {
          const TaskStatus os = d.scheduler().status(other);
          needs_unsatisfied |= os == TaskStatus::kFailed ||
                               (os == TaskStatus::kSkipped && !d.scheduler().reason(other).starts_with("when:"));
        }
      }
      if (!d.scheduler().cancelled()) {
        EXPECT_EQ(needs_unsatisfied, s == TaskStatus::kSkipped && !d.scheduler().reason(t).starts_with("when:"))
            << wf.QualifiedName(t) << " in\n"
            << text;
      }
      all_satisfied &=
          s == TaskStatus::kSuccess || (s == TaskStatus::kSkipped && d.scheduler().reason(t).starts_with("when:"));
    }
    EXPECT_EQ(d.scheduler().run_status(), all_satisfied ? TaskStatus::kSuccess : TaskStatus::kFailed) << text;
    for (size_t g = 0; g < wf.groups.size(); ++g) {
      const TaskStatus gs = d.scheduler().group_status(g);
      EXPECT_TRUE(gs == TaskStatus::kSuccess || gs == TaskStatus::kFailed || gs == TaskStatus::kSkipped);
    }
  }
}
