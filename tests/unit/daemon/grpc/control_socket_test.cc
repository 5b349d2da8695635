// Who may use the control socket: ControlRefusal on credentials and supplementary groups.
#include "daemon/grpc/control_socket.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sloth {
namespace {

using ::testing::HasSubstr;

constexpr uid_t kDaemonUser = 991;
constexpr gid_t kControlGroup = 992;

ControlAccess WithGroup() { return ControlAccess{kDaemonUser, kControlGroup, "slothd"}; }

TEST(ControlRefusal, RootAndTheDaemonsUserAreAdmitted) {
  EXPECT_FALSE(ControlRefusal({1, 0, 0}, {}, WithGroup()));
  EXPECT_FALSE(ControlRefusal({1, kDaemonUser, 5}, {}, WithGroup()));
  EXPECT_FALSE(ControlRefusal({1, 0, 0}, {}, ControlAccess{kDaemonUser, std::nullopt, ""}));
}

TEST(ControlRefusal, MembersOfTheGroupByPrimaryOrSupplementaryGroupAreAdmitted) {
  EXPECT_FALSE(ControlRefusal({1, 1000, kControlGroup}, {}, WithGroup()));
  const gid_t groups[] = {27, kControlGroup, 100};
  EXPECT_FALSE(ControlRefusal({1, 1000, 1000}, groups, WithGroup()));
}

TEST(ControlRefusal, OthersAreRefusedWithWhatToDo) {
  const gid_t groups[] = {27, 100};
  auto why = ControlRefusal({1, 1000, 1000}, groups, WithGroup());
  ASSERT_TRUE(why);
  EXPECT_EQ(*why,
            "uid 1000 is not root, slothd's user (uid 991) or a member of group slothd; ask an administrator to add "
            "it (adduser USER slothd, then log in again)");
  auto no_group = ControlRefusal({1, 1000, kControlGroup}, {}, ControlAccess{kDaemonUser, std::nullopt, "slothd"});
  ASSERT_TRUE(no_group) << "without a resolved group, its gid means nothing";
  EXPECT_THAT(*no_group, HasSubstr("no control group is configured"));
}

TEST(ControlRefusal, UnknownCredentialsAreRefused) {
  EXPECT_THAT(ControlRefusal(PeerCredentials{}, {}, WithGroup()).value_or(""), HasSubstr("SO_PEERCRED"));
}

TEST(MissingGroupNote, OnlyForANamedGroupThatDoesNotExist) {
  EXPECT_FALSE(MissingGroupNote(WithGroup()));
  EXPECT_FALSE(MissingGroupNote(ControlAccess{kDaemonUser, std::nullopt, ""}));
  EXPECT_THAT(MissingGroupNote(ControlAccess{kDaemonUser, std::nullopt, "ops"}).value_or(""),
              HasSubstr("control group ops does not exist: only root and uid 991"));
}

}  // namespace
}  // namespace sloth
