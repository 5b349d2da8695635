#include "daemon/core/telemetry/gzip.h"

#include <gtest/gtest.h>

TEST(Gzip, RoundTrips) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "sloth_tasks_total{group=\"g" + std::to_string(i) + "\"} 1\n";
  const std::string packed = sloth::GzipCompress(text);
  EXPECT_LT(packed.size(), text.size() / 4);
  EXPECT_EQ(sloth::GzipDecompress(packed), text);
}

TEST(Gzip, ConcatenatedMembersInflateToTheConcatenation) {
  const std::string a = "first part\n", b = "second part\n";
  EXPECT_EQ(sloth::GzipDecompress(sloth::GzipCompress(a) + sloth::GzipCompress(b, 1)), a + b);
  EXPECT_EQ(sloth::GzipDecompress(sloth::GzipCompress("")), "");
}

TEST(Gzip, CorruptInputThrows) {
  std::string packed = sloth::GzipCompress("hello hello hello");
  EXPECT_THROW(sloth::GzipDecompress(packed.substr(0, packed.size() / 2)), std::runtime_error);
  EXPECT_THROW(sloth::GzipDecompress("not gzip at all"), std::runtime_error);
}
