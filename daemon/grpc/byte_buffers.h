#pragma once
// gRPC byte buffers and strings: the relay (master and agent) passes serialized messages through
// without parsing them.
#include <string>
#include <string_view>
#include <vector>

#include <grpcpp/support/byte_buffer.h>

namespace sloth {

inline std::string ByteBufferToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (!buffer.Dump(&slices).ok()) return bytes;
  for (const grpc::Slice& slice : slices) bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  return bytes;
}

inline grpc::ByteBuffer StringToByteBuffer(std::string_view bytes) {
  grpc::Slice slice(bytes.data(), bytes.size());
  return grpc::ByteBuffer(&slice, 1);
}

}  // namespace sloth
