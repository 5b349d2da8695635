#include "daemon/http/web_access.h"

#include <gnutls/gnutls.h>

#include <string>

namespace sloth {
namespace {

constexpr std::string_view kUnauthorizedBody =
    "401 unauthorized: this endpoint needs HTTP basic auth (web-config basic_auth_users)\n";

// Runs in the handshake when the client's certificate arrives (or did not): a certificate that
// does not verify against client_ca_file fails the handshake, as Go's crypto/tls does.
int VerifyIfGiven(gnutls_session_t session) {
  unsigned count = 0;
  if (gnutls_certificate_get_peers(session, &count) == nullptr || count == 0) return 0;
  unsigned status = 0;
  if (gnutls_certificate_verify_peers2(session, &status) < 0 || status != 0) return GNUTLS_E_CERTIFICATE_ERROR;
  return 0;
}

struct MhdString {
  char* text = nullptr;
  ~MhdString() {
    if (text) MHD_free(text);
  }
};

}  // namespace

WebAccess::WebAccess(std::shared_ptr<const LoadedWebConfig> web, bool health_without_auth)
    : web_(std::move(web)), health_without_auth_(health_without_auth) {
  if (web_ && !web_->config.users.empty()) auth_ = std::make_unique<BasicAuthCheck>(web_->config.users);
}

void WebAccess::AddMhdOptions(std::vector<MHD_OptionItem>* options, unsigned* flags) {
  if (!tls()) return;
  *flags |= MHD_USE_TLS;
  options->push_back({MHD_OPTION_HTTPS_MEM_CERT, 0, const_cast<char*>(web_->cert_pem.c_str())});
  options->push_back({MHD_OPTION_HTTPS_MEM_KEY, 0, const_cast<char*>(web_->key_pem.c_str())});
  if (!web_->client_ca_pem.empty()) {
    options->push_back({MHD_OPTION_HTTPS_MEM_TRUST, 0, const_cast<char*>(web_->client_ca_pem.c_str())});
  }
  options->push_back(
      {MHD_OPTION_HTTPS_PRIORITIES, 0, const_cast<char*>(web_->config.tls_server.gnutls_priorities.c_str())});
}

void WebAccess::ConnectionStarted(MHD_Connection* connection, void** socket_context) {
  *socket_context = this;
  if (!tls()) return;
  const MHD_ConnectionInfo* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
  if (info == nullptr || info->tls_session == nullptr) return;
  auto session = static_cast<gnutls_session_t>(info->tls_session);
  switch (web_->config.tls_server.client_auth) {
    case ClientAuth::kNoClientCert: gnutls_certificate_server_set_request(session, GNUTLS_CERT_IGNORE); break;
    case ClientAuth::kRequestClientCert: gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUEST); break;
    case ClientAuth::kRequireAnyClientCert: gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE); break;
    case ClientAuth::kVerifyClientCertIfGiven:
      gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUEST);
      gnutls_session_set_verify_function(session, &VerifyIfGiven);
      break;
    case ClientAuth::kRequireAndVerifyClientCert:
      gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE);
      gnutls_session_set_verify_function(session, &VerifyIfGiven);
      break;
  }
}

std::optional<MHD_Result> WebAccess::RefuseUnauthorized(MHD_Connection* connection, std::string_view path) {
  if (!auth_ || (health_without_auth_ && path == "/health")) return std::nullopt;
  MhdString password;
  MhdString user{MHD_basic_auth_get_username_password(connection, &password.text)};
  if (user.text != nullptr && password.text != nullptr && auth_->Allows(user.text, password.text)) return std::nullopt;
  MHD_Response* response = MHD_create_response_from_buffer(
      kUnauthorizedBody.size(), const_cast<char*>(kUnauthorizedBody.data()), MHD_RESPMEM_PERSISTENT);
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
  AddHeaders(connection, response);
  const MHD_Result rc = MHD_queue_basic_auth_fail_response(connection, "slothd", response);
  MHD_destroy_response(response);
  return rc;
}

void WebAccess::AddHeaders(MHD_Connection* connection, MHD_Response* response) {
  const MHD_ConnectionInfo* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  if (info == nullptr || info->socket_context == nullptr) return;
  const auto* self = static_cast<const WebAccess*>(info->socket_context);
  if (!self->web_) return;
  for (const auto& [name, value] : self->web_->config.headers) {
    MHD_add_response_header(response, name.c_str(), value.c_str());
  }
}

}  // namespace sloth
