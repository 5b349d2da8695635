#include "daemon/http/metrics_http_server.h"

#include <microhttpd.h>
#include <strings.h>
#include <sys/socket.h>

#include <cstdarg>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "daemon/http/accept_encoding.h"
#include "daemon/http/web_access.h"
#include "daemon/net/tcp_listen.h"

namespace sloth {
namespace {

constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";
constexpr const char* kOpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

constexpr std::string_view kLandingPage =
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>slothd</title></head>\n"
    "<body><h1>slothd</h1><p>Sloth Runner agent telemetry.</p>\n<ul>\n"
    "<li><a href=\"/metrics\">/metrics</a> &mdash; Prometheus metrics</li>\n"
    "<li><a href=\"/health\">/health</a> &mdash; health check</li>\n"
    "<li><a href=\"/info\">/info</a> &mdash; agent information (JSON)</li>\n"
    "</ul></body></html>\n";

// The marker stored as MHD's per-request context once a request is counted as in flight.
char g_counted_marker;

MHD_Result Queue(MHD_Connection* connection, unsigned status, MHD_Response* response) {
  WebAccess::AddHeaders(connection, response);
  const MHD_Result rc = MHD_queue_response(connection, status, response);
  MHD_destroy_response(response);
  return rc;
}

MHD_Response* TextResponse(std::string_view body, const char* content_type) {
  MHD_Response* r = MHD_create_response_from_buffer(body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
  MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
  return r;
}

// What makes a request head ambiguous (answered 400, connection closed), or nullopt. A proxy in
// front of us may read such a request differently than we do (request smuggling).
std::optional<std::string> MalformedRequest(MHD_Connection* connection, const char* version) {
  struct Seen {
    int hosts = 0;
    int lengths = 0;
    bool conflicting_lengths = false;
    bool bad_length = false;
    std::string first_length;
  } seen;
  MHD_get_connection_values(
      connection, MHD_HEADER_KIND,
      [](void* cls, MHD_ValueKind, const char* key, const char* value) -> MHD_Result {
        auto* s = static_cast<Seen*>(cls);
        if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0) ++s->hosts;
        if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
          const std::string_view v = value ? value : "";
          if (v.empty() || v.find_first_not_of("0123456789") != std::string_view::npos) s->bad_length = true;
          if (s->lengths++ == 0) {
            s->first_length = v;
          } else if (v != s->first_length) {
            s->conflicting_lengths = true;
          }
        }
        return MHD_YES;
      },
      &seen);
  if (seen.conflicting_lengths) return "conflicting Content-Length headers";
  if (seen.bad_length) return "Content-Length is not a number";
  if (seen.lengths > 0 &&
      MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING) != nullptr) {
    return "both Content-Length and Transfer-Encoding";
  }
  if (seen.hosts > 1) return "more than one Host header";
  if (seen.hosts == 0 && version != nullptr && std::strcmp(version, MHD_HTTP_VERSION_1_1) == 0) {
    return "HTTP/1.1 requests need a Host header";
  }
  return std::nullopt;
}

// MHD calls this when it is done with a /metrics response: the body it sent from is freed here.
void FreeMetricsBody(void* cls) { delete static_cast<MetricsBody*>(cls); }

void LogFromMhd(void* cls, const char* format, va_list args) {
  char buf[512];
  std::vsnprintf(buf, sizeof buf, format, args);
  std::string_view text(buf);
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  static_cast<Logger*>(cls)->Debug(fmt::format("http: {}", text));
}

}  // namespace

struct MhdCallbacks {
  static MHD_Result Handle(void* cls, MHD_Connection* connection, const char* url, const char* method,
                           const char* version, const char* upload_data, size_t* upload_data_size,
                           void** request_context);
  static void Completed(void* cls, MHD_Connection* connection, void** request_context,
                        MHD_RequestTerminationCode reason);
  static void ConnectionChanged(void* cls, MHD_Connection* connection, void** socket_context,
                                MHD_ConnectionNotificationCode code);
};

MetricsHttpServer::MetricsHttpServer(UniqueFd listen_fd, Limits limits, Pages pages, Logger& log, Access access)
    : pages_(std::move(pages)),
      log_(log),
      deadlines_(limits.request_timeout),
      access_(std::make_unique<WebAccess>(std::move(access.web), access.health_without_auth)) {
  port_ = BoundPort(listen_fd.get());
  const auto timeout_s = static_cast<unsigned>(
      std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::seconds>(limits.connection_timeout).count()));
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_TURBO | MHD_USE_ERROR_LOG;
  const int fd = listen_fd.get();
  std::vector<MHD_OptionItem> access_options;
  access_->AddMhdOptions(&access_options, &flags);
  access_options.push_back({MHD_OPTION_END, 0, nullptr});
  daemon_ = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &MhdCallbacks::Handle, this, MHD_OPTION_LISTEN_SOCKET, fd,
      MHD_OPTION_CONNECTION_LIMIT, static_cast<unsigned>(limits.max_connections), MHD_OPTION_PER_IP_CONNECTION_LIMIT,
      static_cast<unsigned>(limits.max_connections_per_ip), MHD_OPTION_CONNECTION_TIMEOUT, timeout_s,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<size_t>(limits.max_header_bytes), MHD_OPTION_THREAD_POOL_SIZE,
      static_cast<unsigned>(limits.threads > 1 ? limits.threads : 0), MHD_OPTION_NOTIFY_COMPLETED,
      &MhdCallbacks::Completed, this, MHD_OPTION_NOTIFY_CONNECTION, &MhdCallbacks::ConnectionChanged, this,
      MHD_OPTION_EXTERNAL_LOGGER, &LogFromMhd, &log_, MHD_OPTION_ARRAY, access_options.data(), MHD_OPTION_END);
  if (!daemon_) throw std::runtime_error(fmt::format("cannot start the HTTP server on port {}", port_));
  listen_fd.release();  // MHD owns and closes it now
}

MetricsHttpServer::~MetricsHttpServer() {
  if (daemon_) MHD_stop_daemon(daemon_);
}

UniqueFd MetricsHttpServer::StopAccepting() {
  if (!daemon_ || !accepting_) return {};
  accepting_ = false;
  const MHD_socket listen = MHD_quiesce_daemon(daemon_);
  return UniqueFd(listen == MHD_INVALID_SOCKET ? -1 : listen);
}

void MetricsHttpServer::Shutdown(Duration grace) {
  if (!daemon_) return;
  // Closed only after MHD_stop_daemon: until then MHD's thread may still take the quiesced socket
  // out of its epoll set, and a closed (or reused) descriptor number there is a race or a panic.
  UniqueFd listen = StopAccepting();
  {
    std::unique_lock lock(in_flight_mutex_);
    in_flight_done_.wait_for(lock, grace, [this] { return in_flight_ == 0; });
  }
  MHD_stop_daemon(daemon_);
  daemon_ = nullptr;
  listen.reset();
}

MHD_Result MhdCallbacks::Handle(void* cls, MHD_Connection* connection, const char* url, const char* method,
                                const char* version, const char* /*upload_data*/, size_t* upload_data_size,
                                void** request_context) {
  auto* self = static_cast<MetricsHttpServer*>(cls);
  if (*request_context == nullptr) {
    *request_context = &g_counted_marker;
    {
      std::lock_guard lock(self->in_flight_mutex_);
      ++self->in_flight_;
    }
    self->deadlines_.RequestArrived(connection);
    if (auto malformed = MalformedRequest(connection, version)) {
      MHD_Response* r = TextResponse(fmt::format("400 bad request: {}\n", *malformed), "text/plain; charset=utf-8");
      MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
      return Queue(connection, MHD_HTTP_BAD_REQUEST, r);
    }
    // None of our pages takes a body: refuse it on sight (the connection then closes)
    // instead of reading or buffering it.
    const char* content_length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Content-Length");
    const bool has_body = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Transfer-Encoding") != nullptr ||
                          (content_length && std::strcmp(content_length, "0") != 0);
    if (has_body) {
      return Queue(connection, MHD_HTTP_CONTENT_TOO_LARGE,
                   TextResponse("413 request bodies are not accepted\n", "text/plain; charset=utf-8"));
    }
    // Answering on the second call keeps the connection reusable (keep-alive).
    return MHD_YES;
  }
  *upload_data_size = 0;
  return static_cast<MHD_Result>(self->Respond(connection, url, method));
}

void MhdCallbacks::Completed(void* cls, MHD_Connection* connection, void** request_context,
                             MHD_RequestTerminationCode /*reason*/) {
  if (*request_context != &g_counted_marker) return;
  *request_context = nullptr;
  auto* self = static_cast<MetricsHttpServer*>(cls);
  self->deadlines_.ResponseDone(connection);
  std::lock_guard lock(self->in_flight_mutex_);
  if (--self->in_flight_ == 0) self->in_flight_done_.notify_all();
}

void MhdCallbacks::ConnectionChanged(void* cls, MHD_Connection* connection, void** socket_context,
                                     MHD_ConnectionNotificationCode code) {
  auto* self = static_cast<MetricsHttpServer*>(cls);
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    self->access_->ConnectionStarted(connection, socket_context);
    const MHD_ConnectionInfo* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (info) self->deadlines_.Opened(connection, info->connect_fd);
  } else {
    self->deadlines_.Closed(connection);  // MHD closes the socket only after this
  }
}

int MetricsHttpServer::Respond(MHD_Connection* connection, const char* url, const char* method) {
  const std::string_view path(url);
  if (auto refused = access_->RefuseUnauthorized(connection, path)) return *refused;
  const bool sd = path == "/sd" && pages_.service_discovery_json;
  const bool known = path == "/metrics" || path == "/health" || path == "/info" || path == "/" || sd;
  if (!known) {
    return Queue(connection, MHD_HTTP_NOT_FOUND,
                 TextResponse(fmt::format("404 not found: {} (try /metrics, /health, /info{})\n", path,
                                          pages_.service_discovery_json ? ", /sd" : ""),
                              "text/plain; charset=utf-8"));
  }
  if (std::strcmp(method, MHD_HTTP_METHOD_GET) != 0 && std::strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
    MHD_Response* r =
        TextResponse(fmt::format("405 method {} not allowed (use GET or HEAD)\n", method), "text/plain; charset=utf-8");
    MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    return Queue(connection, MHD_HTTP_METHOD_NOT_ALLOWED, r);
  }
  if (path == "/metrics") {
    const char* accept = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    const bool gzip = accept && AcceptsGzip(accept);
    const char* accept_type = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    const bool openmetrics = accept_type && PrefersOpenMetrics(accept_type);
    auto body = std::make_unique<MetricsBody>(
        pages_.metrics(gzip, openmetrics ? ExpositionFormat::kOpenMetrics : ExpositionFormat::kText004));
    const MHD_IoVec parts[2] = {{body->catalog->data(), body->catalog->size()},
                                {body->runtime.data(), body->runtime.size()}};
    MHD_Response* r = MHD_create_response_from_iovec(parts, 2, &FreeMetricsBody, body.get());
    if (!r) return MHD_NO;
    body.release();  // owned by the response now; freed by FreeMetricsBody
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            openmetrics ? kOpenMetricsContentType : kMetricsContentType);
    // The 0.0.4 answer is every client's fallback, so only the OpenMetrics one varies by Accept.
    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, openmetrics ? "Accept, Accept-Encoding" : "Accept-Encoding");
    if (gzip) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    return Queue(connection, MHD_HTTP_OK, r);
  }
  if (path == "/health") {
    if (auto reason = pages_.unhealthy_reason()) {
      return Queue(connection, MHD_HTTP_SERVICE_UNAVAILABLE, TextResponse(*reason + "\n", "text/plain; charset=utf-8"));
    }
    return Queue(connection, MHD_HTTP_OK, TextResponse("OK", "text/plain; charset=utf-8"));
  }
  if (path == "/info") {
    return Queue(connection, MHD_HTTP_OK, TextResponse(pages_.info_json(), "application/json"));
  }
  if (sd) return Queue(connection, MHD_HTTP_OK, TextResponse(pages_.service_discovery_json(), "application/json"));
  return Queue(connection, MHD_HTTP_OK, TextResponse(kLandingPage, "text/html; charset=utf-8"));
}

}  // namespace sloth
