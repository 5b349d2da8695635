#include "ctl/clients/master_endpoint.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "ctl/errors.h"
#include "proto/grpc_tuning.h"

namespace sloth::ctl {
namespace {

std::string ReadFile(const std::string& path, std::string_view flag) {
  std::ifstream file(path);
  if (!file) throw UsageError(fmt::format("{}: cannot read {}: {}", flag, path, std::strerror(errno)));
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace

std::string MasterTarget(const MasterEndpoint& master) { return "master " + master.address; }

std::shared_ptr<grpc::Channel> DialMaster(MasterEndpoint& master) {
  TurnOffMutexDebugging();
  if (!master.token_file.empty()) {
    std::string token = ReadFile(master.token_file, "--master-token-file");
    token = token.substr(0, token.find_first_of("\r\n"));
    if (token.empty()) throw UsageError(fmt::format("--master-token-file: {} is empty", master.token_file));
    master.token = std::move(token);
  }
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(-1);  // metrics text and kept output can be large
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (master.insecure) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions options;
    if (!master.cacert.empty()) options.pem_root_certs = ReadFile(master.cacert, "--master-cacert");
    if (!master.cert.empty() || !master.key.empty()) {
      if (master.cert.empty() || master.key.empty()) {
        throw UsageError("--master-cert and --master-key: give both, or neither (a token then)");
      }
      options.pem_cert_chain = ReadFile(master.cert, "--master-cert");
      options.pem_private_key = ReadFile(master.key, "--master-key");
    }
    credentials = grpc::SslCredentials(options);
  }
  return grpc::CreateCustomChannel(master.address, credentials, arguments);
}

void AuthorizeCall(grpc::ClientContext& context, const MasterEndpoint& master) {
  if (!master.token.empty()) context.AddMetadata("authorization", "Bearer " + master.token);
}

}  // namespace sloth::ctl
