#include "daemon/core/workflows/placeholders.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/daemon/core/workflows/workflow_test_support.h"

using sloth::LocatedString;
using sloth::SubstitutePlaceholders;
using sloth::Values;
using sloth::test::MustFail;
using sloth::test::MustLoad;
using ::testing::HasSubstr;

namespace {

Values SomeValues() {
  Values values;
  values.Set("src", {"/srv/app", "test"});
  values.Set("db.host", {"db1", "test"});
  values.Set("loop", {"{{ src }}", "test"});
  return values;
}

LocatedString At11(std::string text) {
  LocatedString located;
  located.value = std::move(text);
  located.at = {1, 1};
  return located;
}

std::string Substitute(std::string text) {
  auto out = SubstitutePlaceholders(At11(std::move(text)), SomeValues(), "f.toml", "k");
  return out ? *out : "ERROR " + out.error().ToString();
}

}  // namespace

TEST(Placeholders, ReplacesNamesWithOrWithoutBlanks) {
  EXPECT_EQ(Substitute("make -C {{ src }}"), "make -C /srv/app");
  EXPECT_EQ(Substitute("{{src}}:{{\tdb.host }}"), "/srv/app:db1");
  EXPECT_EQ(Substitute("no placeholders"), "no placeholders");
  EXPECT_EQ(Substitute(""), "");
}

TEST(Placeholders, OtherBracesAreText) {
  EXPECT_EQ(Substitute("docker inspect -f '{{.State.Status}}' x"), "docker inspect -f '{{.State.Status}}' x");
  EXPECT_EQ(Substitute("{{ json .Config }} {{ src"), "{{ json .Config }} {{ src");
  EXPECT_EQ(Substitute("{{{ src }}}"), "{/srv/app}");
  EXPECT_EQ(Substitute("{{ }}"), "{{ }}");
}

TEST(Placeholders, ASubstitutedValueIsNotScannedAgain) { EXPECT_EQ(Substitute("{{ loop }}"), "{{ src }}"); }

TEST(Placeholders, UnknownNameIsAnErrorAtThePlaceholder) {
  EXPECT_EQ(MustFail("[groups.g.tasks.t]\ncommand = \"make -C {{ srcdir }}\"\n"),
            "deploy.toml:2:20: groups.g.tasks.t.command: unknown placeholder {{ srcdir }}: no value of that name (set "
            "it in [values], a --values file or with --set srcdir=...; values: none)");
}

TEST(Placeholders, PositionsCountCharactersAndLinesOfMultiLineStrings) {
  EXPECT_THAT(MustFail("[values]\nsrc='x'\n[groups.g.tasks.t]\ncommand = '''\necho é\nmake {{ dst }}'''\n"),
              ::testing::StartsWith("deploy.toml:6:6: groups.g.tasks.t.command: unknown placeholder {{ dst }}"));
  EXPECT_THAT(MustFail("[groups.g.tasks.t]\ncommand = \"é {{ x }}\"\n"), ::testing::StartsWith("deploy.toml:2:14:"));
  // With escape sequences the spelling differs from the value: the string's own position.
  EXPECT_THAT(MustFail("[groups.g.tasks.t]\ncommand = \"a\\tb {{ x }}\"\n"),
              ::testing::StartsWith("deploy.toml:2:11:"));
}

TEST(Placeholders, WorkdirAndEnvAreSubstitutedAndNamed) {
  auto wf = MustLoad(
      "[values]\nsrc='/srv'\n[groups.g.tasks.t]\ncommand='ls'\nworkdir='{{ src }}/app'\nenv={ DIR='{{ src }}' }\n");
  ASSERT_EQ(wf.tasks.size(), 1u);
  EXPECT_EQ(wf.tasks[0].spec.workdir, "/srv/app");
  EXPECT_EQ(wf.tasks[0].spec.env[0].second, "/srv");
  EXPECT_THAT(MustFail("[groups.g.tasks.t]\ncommand='ls'\nenv={ DIR='{{ nope }}' }\n"),
              ::testing::StartsWith("deploy.toml:3:12: groups.g.tasks.t.env.DIR: unknown placeholder {{ nope }}"));
  EXPECT_THAT(MustFail("[groups.g.tasks.t]\ncommand='ls'\nworkdir='{{ nope }}'\n"),
              ::testing::StartsWith("deploy.toml:3:10: groups.g.tasks.t.workdir: unknown placeholder"));
}

TEST(Placeholders, AResultLargerThanTheCapIsRefused) {
  Values values;
  values.Set("big", {std::string(600 * 1024, 'x'), "test"});
  auto out = SubstitutePlaceholders(At11("{{ big }}{{ big }}"), values, "f.toml", "k");
  ASSERT_FALSE(out);
  EXPECT_THAT(out.error().message, HasSubstr("longer than 1048576 bytes"));
}

TEST(Placeholders, TheMessageListsTheKnownValues) {
  EXPECT_THAT(MustFail("[values]\nb=1\na=2\n[groups.g.tasks.t]\ncommand='{{ c }}'\n"), HasSubstr("values: a, b)"));
}
