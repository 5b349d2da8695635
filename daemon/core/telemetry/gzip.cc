#include "daemon/core/telemetry/gzip.h"

#include <zlib.h>

#include <stdexcept>

namespace sloth {
namespace {

// Raw deflate (no zlib/gzip framing) of `data`, appended to `out`, ending with `flush`.
void RawDeflate(std::string_view data, int level, int flush, std::string* out) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  const size_t start = out->size();
  out->resize(start + deflateBound(&zs, static_cast<uLong>(data.size())) + 16);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out->data() + start);
  zs.avail_out = static_cast<uInt>(out->size() - start);
  const int rc = deflate(&zs, flush);
  out->resize(start + zs.total_out);
  deflateEnd(&zs);
  if (flush == Z_FINISH ? rc != Z_STREAM_END : rc != Z_OK) throw std::runtime_error("deflate failed");
}

void AppendLittleEndian32(uint32_t v, std::string* out) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

GzipHead GzipStart(std::string_view text, int level) {
  GzipHead head;
  // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=3 (Unix)
  head.bytes.assign("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
  RawDeflate(text, level, Z_FULL_FLUSH, &head.bytes);
  head.crc =
      static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size())));
  head.length = text.size();
  return head;
}

std::string GzipFinish(const GzipHead& head, std::string_view tail, int level) {
  std::string out;
  RawDeflate(tail, level, Z_FINISH, &out);
  const uLong tail_crc = crc32(0L, reinterpret_cast<const Bytef*>(tail.data()), static_cast<uInt>(tail.size()));
  AppendLittleEndian32(static_cast<uint32_t>(crc32_combine(head.crc, tail_crc, static_cast<z_off_t>(tail.size()))),
                       &out);
  AppendLittleEndian32(static_cast<uint32_t>((head.length + tail.size()) & 0xffffffffu), &out);
  return out;
}

std::string GzipCompress(std::string_view data, int level) {
  GzipHead head = GzipStart(data, level);
  return head.bytes + GzipFinish(head, {}, level);
}

std::string GzipDecompress(std::string_view data) {
  std::string out;
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) throw std::runtime_error("inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  char buf[16384];
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    const int rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      inflateReset(&zs);  // another member follows
      continue;
    }
    if (rc != Z_OK) {
      inflateEnd(&zs);
      throw std::runtime_error("corrupt gzip data");
    }
    if (zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      throw std::runtime_error("truncated gzip data");
    }
  }
  inflateEnd(&zs);
  return out;
}

}  // namespace sloth
