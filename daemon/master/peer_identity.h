#pragma once
// What gRPC established about a caller of the master: the names its verified client
// certificate carries, its bearer token if it sent one, and where it connects from.
#include <optional>
#include <string>

#include <grpcpp/grpcpp.h>

#include "daemon/core/fleet/master_access.h"

namespace sloth {

PeerCertificate PeerCertificateOf(const grpc::ServerContext& context);

// The `authorization` metadata's value, if any.
std::optional<std::string> AuthorizationOf(const grpc::ServerContext& context);

// A metadata value the client set, if any.
std::optional<std::string> MetadataOf(const grpc::ServerContext& context, std::string_view key);

// An access refusal as the gRPC status the caller gets.
grpc::Status StatusOf(const AccessRefused& refused);

}  // namespace sloth
