#include "daemon/core/workflows/values.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using sloth::ApplySet;
using sloth::MergeValuesFile;
using sloth::Values;

TEST(Values, FileGivesScalarsAsTextAndTablesAsDottedNames) {
  Values values;
  auto merged =
      MergeValuesFile("env = 'dev'\nreplicas = 3\nratio = 1.5\nfast = true\n[db]\nhost = 'db1'\n", "dev.toml", &values);
  ASSERT_TRUE(merged) << merged.error().ToString();
  EXPECT_EQ(values.Find("env")->text, "dev");
  EXPECT_EQ(values.Find("env")->origin, "dev.toml:1:1");
  EXPECT_EQ(values.Find("replicas")->text, "3");
  EXPECT_EQ(values.Find("ratio")->text, "1.5");
  EXPECT_EQ(values.Find("fast")->text, "true");
  EXPECT_EQ(values.Find("db.host")->text, "db1");
  EXPECT_EQ(values.Find("db"), nullptr);
  EXPECT_EQ(values.Names(), (std::vector<std::string>{"db.host", "env", "fast", "ratio", "replicas"}));
}

TEST(Values, LaterSourcesOverrideEarlierOnes) {
  Values values;
  ASSERT_TRUE(MergeValuesFile("env = 'dev'\nkeep = 1\n", "a.toml", &values));
  ASSERT_TRUE(MergeValuesFile("env = 'staging'\n", "b.toml", &values));
  ASSERT_TRUE(ApplySet("env=prod", &values));
  EXPECT_EQ(values.Find("env")->text, "prod");
  EXPECT_EQ(values.Find("env")->origin, "--set");
  EXPECT_EQ(values.Find("keep")->text, "1");
}

TEST(Values, ErrorsNameTheFileAndPosition) {
  Values values;
  auto array = MergeValuesFile("ok = 1\nhosts = ['a']\n", "dev.toml", &values);
  ASSERT_FALSE(array);
  EXPECT_EQ(array.error().ToString(),
            "dev.toml:2:1: hosts: expected a string, a number, a boolean or a table, got an array");
  auto syntax = MergeValuesFile("env = \n", "dev.toml", &values);
  ASSERT_FALSE(syntax);
  EXPECT_THAT(syntax.error().ToString(), ::testing::StartsWith("dev.toml:1:"));
  auto name = MergeValuesFile("'a b' = 1\n", "dev.toml", &values);
  ASSERT_FALSE(name);
  EXPECT_EQ(name.error().ToString(),
            "dev.toml:1:1: value name 'a b': use letters, digits, '_' and '-', starting with a letter or '_'");
}

TEST(Values, SetTakesEverythingAfterTheFirstEquals) {
  Values values;
  ASSERT_TRUE(ApplySet("url=http://x/?a=b", &values));
  EXPECT_EQ(values.Find("url")->text, "http://x/?a=b");
  ASSERT_TRUE(ApplySet("db.host=", &values));
  EXPECT_EQ(values.Find("db.host")->text, "");
}

TEST(Values, SetRefusesWhatIsNotNameEqualsValue) {
  Values values;
  for (const char* bad : {"novalue", "=x", "1a=x", "a..b=x", "a b=x", ".a=x"}) {
    auto set = ApplySet(bad, &values);
    ASSERT_FALSE(set) << bad;
    EXPECT_THAT(set.error().ToString(), ::testing::StartsWith("--set: expected NAME=VALUE")) << bad;
  }
}
