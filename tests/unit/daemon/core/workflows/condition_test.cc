#include "daemon/core/workflows/condition.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/daemon/core/workflows/workflow_test_support.h"

using sloth::Condition;
using sloth::Values;
using sloth::test::MustFail;
using sloth::test::MustLoad;

namespace {

bool Holds(std::string_view text) {
  Values values;
  values.Set("env", {"prod", "t"});
  values.Set("empty", {"", "t"});
  values.Set("off", {"Off", "t"});
  values.Set("yes", {"yes", "t"});
  values.Set("zero", {"0", "t"});
  values.Set("n", {"3", "t"});
  values.Set("db.host", {"db1", "t"});
  auto condition = Condition::Parse(text);
  if (!condition) {
    ADD_FAILURE() << text << ": " << condition.error().message;
    return false;
  }
  return condition->Holds(values);
}

sloth::ConditionError Error(std::string_view text) {
  auto condition = Condition::Parse(text);
  EXPECT_FALSE(condition) << text;
  return condition ? sloth::ConditionError{} : condition.error();
}

}  // namespace

TEST(Condition, ComparesValuesAsText) {
  EXPECT_TRUE(Holds("env == 'prod'"));
  EXPECT_TRUE(Holds("env == \"prod\""));
  EXPECT_FALSE(Holds("env != 'prod'"));
  EXPECT_TRUE(Holds("n == 3"));
  EXPECT_TRUE(Holds("'prod' == env"));
  EXPECT_TRUE(Holds("db.host == 'db1'"));
  EXPECT_FALSE(Holds("env == empty"));
}

TEST(Condition, AValueAloneHoldsUnlessEmptyFalseZeroNoOrOff) {
  EXPECT_TRUE(Holds("env"));
  EXPECT_TRUE(Holds("yes"));
  EXPECT_FALSE(Holds("empty"));
  EXPECT_FALSE(Holds("off"));
  EXPECT_FALSE(Holds("zero"));
  EXPECT_TRUE(Holds("true"));
  EXPECT_FALSE(Holds("false"));
  EXPECT_TRUE(Holds("!empty"));
  EXPECT_TRUE(Holds("not zero"));
}

TEST(Condition, AndBindsTighterThanOrAndParenthesesGroup) {
  EXPECT_TRUE(Holds("yes || empty && zero"));
  EXPECT_FALSE(Holds("(yes || empty) && zero"));
  EXPECT_TRUE(Holds("yes and not (empty or zero)"));
  EXPECT_TRUE(Holds("!!yes"));
  EXPECT_TRUE(Holds("env == 'prod' && n != 4"));
}

TEST(Condition, NamesAreListedWithTheirOffsets) {
  auto condition = Condition::Parse("env == 'x' || ordered");
  ASSERT_TRUE(condition);
  ASSERT_EQ(condition->names().size(), 2u);
  EXPECT_EQ(condition->names()[0], (std::pair<std::string, size_t>{"env", 0}));
  EXPECT_EQ(condition->names()[1], (std::pair<std::string, size_t>{"ordered", 14}));
}

TEST(Condition, SyntaxErrorsSayWhereAndWhat) {
  EXPECT_EQ(Error("").message, "empty: write a condition such as env == 'prod'");
  EXPECT_EQ(Error("env ==").offset, 6u);
  EXPECT_EQ(Error("env == 'prod").offset, 7u);
  EXPECT_EQ(Error("(env").message, "'(' is not closed");
  EXPECT_EQ(Error("env prod").offset, 4u);
  EXPECT_EQ(Error("{{ env }}").message, "refer to values by name, without {{ }} (e.g. env == 'prod')");
  EXPECT_EQ(Error("!= x").offset, 0u);
  EXPECT_EQ(Error("env == and").offset, 7u);
  EXPECT_EQ(Error("env && ").message, "expected a value name or a literal at the end");
  EXPECT_EQ(Error("a || $").offset, 5u);
  EXPECT_EQ(Error(std::string(40, '(') + "a" + std::string(40, ')')).message, "nested more than 32 deep");
  EXPECT_EQ(Error(std::string(5000, 'a')).message, "longer than 4096 bytes");
}

TEST(Condition, WhenErrorsInAFilePointIntoTheCondition) {
  EXPECT_EQ(MustFail("[values]\nenv='dev'\n[groups.g.tasks.t]\ncommand='x'\nwhen = \"env == 'prod' && regoin\"\n"),
            "deploy.toml:5:26: groups.g.tasks.t.when: no value named 'regoin' (values: env; give it a default in "
            "[values])");
  EXPECT_EQ(MustFail("[values]\nenv='dev'\n[groups.g.tasks.t]\ncommand='x'\nwhen = \"env ==\"\n"),
            "deploy.toml:5:15: groups.g.tasks.t.when: expected a value name or a literal at the end");
}

TEST(Condition, ResolvedTasksKnowWhetherTheirConditionHolds) {
  auto wf = MustLoad(
      "[values]\nenv='dev'\n[groups.g.tasks.a]\ncommand='x'\nwhen=\"env == 'prod'\"\n"
      "[groups.g.tasks.b]\ncommand='x'\nwhen=\"env == 'dev'\"\n");
  ASSERT_EQ(wf.tasks.size(), 2u);
  EXPECT_FALSE(wf.tasks[0].condition_holds);
  EXPECT_EQ(wf.tasks[0].when, "env == 'prod'");
  EXPECT_TRUE(wf.tasks[1].condition_holds);
  auto prod = MustLoad("[values]\nenv='dev'\n[groups.g.tasks.a]\ncommand='x'\nwhen=\"env == 'prod'\"\n", {"env=prod"});
  EXPECT_TRUE(prod.tasks[0].condition_holds);
}
