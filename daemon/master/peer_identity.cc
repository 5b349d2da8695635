#include "daemon/master/peer_identity.h"

#include <grpc/grpc_security_constants.h>

#include <algorithm>

namespace sloth {

PeerCertificate PeerCertificateOf(const grpc::ServerContext& context) {
  PeerCertificate peer;
  const auto auth = context.auth_context();
  if (!auth || !auth->IsPeerAuthenticated()) return peer;  // no certificate, or plaintext
  for (const auto& cn : auth->FindPropertyValues(GRPC_X509_CN_PROPERTY_NAME)) {
    peer.common_name.assign(cn.data(), cn.size());
  }
  for (const auto& dns : auth->FindPropertyValues(GRPC_PEER_DNS_PROPERTY_NAME)) {
    peer.dns_names.emplace_back(dns.data(), dns.size());
  }
  return peer;
}

std::optional<std::string> MetadataOf(const grpc::ServerContext& context, std::string_view key) {
  const auto& metadata = context.client_metadata();
  const auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return std::nullopt;
  return std::string(it->second.data(), it->second.size());
}

std::optional<std::string> AuthorizationOf(const grpc::ServerContext& context) {
  return MetadataOf(context, "authorization");
}

grpc::Status StatusOf(const AccessRefused& refused) {
  return {refused.kind == AccessRefused::Kind::kUnauthenticated ? grpc::StatusCode::UNAUTHENTICATED
                                                                : grpc::StatusCode::PERMISSION_DENIED,
          refused.message};
}

}  // namespace sloth
