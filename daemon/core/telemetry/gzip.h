#pragma once
// gzip (RFC 1952) with zlib, including a stream built from two pieces: a cached head (the
// catalog part, compressed once and reused) and a tail compressed for each scrape. The result
// is ONE gzip member, as every client expects (libcurl, for one, rejects concatenated members).
#include <cstdint>
#include <string>
#include <string_view>

namespace sloth {

// The gzip header plus the deflate of `text`, ended with a full flush (byte-aligned, no final
// block, no back-references past it), with what the trailer will need.
struct GzipHead {
  std::string bytes;
  uint32_t crc = 0;     // CRC-32 of text
  uint64_t length = 0;  // of text
};
GzipHead GzipStart(std::string_view text, int level = 6);

// The rest of the member: the deflate of `tail` (final block) and the trailer covering
// head + tail. head.bytes + GzipFinish(head, tail) is a complete gzip member.
std::string GzipFinish(const GzipHead& head, std::string_view tail, int level = 1);

// One gzip member holding `data`.
std::string GzipCompress(std::string_view data, int level = 6);

// Inflates a gzip stream of one or more members; throws std::runtime_error on corrupt input.
std::string GzipDecompress(std::string_view data);

}  // namespace sloth
