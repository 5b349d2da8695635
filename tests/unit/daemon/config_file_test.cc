// ReadConfigFile: only regular files, bounded, never blocking.
#include "daemon/config_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sloth {
namespace {

using ::testing::HasSubstr;

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = std::filesystem::temp_directory_path().string() + "/config-file-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& content) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::string dir_;
};

TEST_F(ConfigFileTest, RegularFileIsReadWhole) {
  auto text = ReadConfigFile(Write("ok.toml", "[agent]\nname = \"a\"\n"));
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(*text, "[agent]\nname = \"a\"\n");
}

TEST_F(ConfigFileTest, MissingFileIsReportedAsMissing) {
  auto text = ReadConfigFile(dir_ + "/absent.toml");
  ASSERT_FALSE(text.ok());
  EXPECT_TRUE(text.error().missing);
  EXPECT_THAT(text.error().message, HasSubstr("No such file or directory"));
}

TEST_F(ConfigFileTest, DirectoryIsRefused) {
  auto text = ReadConfigFile(dir_);
  ASSERT_FALSE(text.ok());
  EXPECT_FALSE(text.error().missing);
  EXPECT_THAT(text.error().message, HasSubstr("is a directory, not a configuration file"));
}

TEST_F(ConfigFileTest, CharacterDeviceIsRefusedWithoutReading) {
  auto text = ReadConfigFile("/dev/zero");  // endless: reading it would never stop
  ASSERT_FALSE(text.ok());
  EXPECT_THAT(text.error().message, HasSubstr("is a character device"));
}

TEST_F(ConfigFileTest, DevNullReadsAsEmpty) {
  auto text = ReadConfigFile("/dev/null");
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(*text, "");
}

TEST_F(ConfigFileTest, FifoIsRefusedWithoutWaitingForAWriter) {
  const std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto text = ReadConfigFile(fifo);
  ASSERT_FALSE(text.ok());
  EXPECT_THAT(text.error().message, HasSubstr("is a FIFO"));
}

TEST_F(ConfigFileTest, FileOverTheLimitIsRefused) {
  auto text = ReadConfigFile(Write("big.toml", std::string(2048, '#')), 1024);
  ASSERT_FALSE(text.ok());
  EXPECT_THAT(text.error().message, HasSubstr("is 2048 bytes, more than the 1024 bytes it may have"));
  EXPECT_TRUE(ReadConfigFile(Write("edge.toml", std::string(1024, '#')), 1024).ok());
}

TEST_F(ConfigFileTest, FileThatSaysItIsEmptyIsStillBounded) {
  // /proc files report size 0 and have content: the limit holds on what is read, not the size.
  auto text = ReadConfigFile("/proc/self/maps", 16);
  ASSERT_FALSE(text.ok());
  EXPECT_THAT(text.error().message, HasSubstr("more than 16 bytes"));
}

}  // namespace
}  // namespace sloth
