#include "daemon/core/telemetry/gzip.h"

#include <gtest/gtest.h>
#include <zlib.h>

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

namespace {

// Inflates exactly one gzip member, as strict clients do (libcurl); fails on trailing bytes.
std::string InflateSingleMember(const std::string& data) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[4096];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  } while (rc == Z_OK);
  EXPECT_EQ(rc, Z_STREAM_END);
  EXPECT_EQ(zs.avail_in, 0u) << "bytes after the first gzip member";
  inflateEnd(&zs);
  return out;
}

}  // namespace

TEST(Gzip, HeadAndTailMakeOneMemberWithTheRightTrailer) {
  std::string head_text, tail_text;
  for (int i = 0; i < 2000; ++i)
    head_text += "sloth_task_duration_seconds_bucket{le=\"" + std::to_string(i) + "\"} 1\n";
  tail_text = "sloth_agent_uptime_seconds 12.5\nprocess_threads 3\n";
  const sloth::GzipHead head = sloth::GzipStart(head_text);
  // The same cached head serves several different tails.
  EXPECT_EQ(InflateSingleMember(head.bytes + sloth::GzipFinish(head, tail_text)), head_text + tail_text);
  EXPECT_EQ(InflateSingleMember(head.bytes + sloth::GzipFinish(head, "x 1\n")), head_text + "x 1\n");
  EXPECT_EQ(InflateSingleMember(head.bytes + sloth::GzipFinish(head, "")), head_text);
  EXPECT_EQ(InflateSingleMember(sloth::GzipCompress("hello")), "hello");
}
