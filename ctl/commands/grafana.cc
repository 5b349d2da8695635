#include "ctl/commands/grafana.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "ctl/clients/http_client.h"
#include "ctl/clients/http_password.h"
#include "ctl/commands/dashboard_view.h"
#include "ctl/commands/fleet_view.h"
#include "ctl/commands/metrics.h"
#include "ctl/dashboard/dashboard_frame.h"
#include "ctl/dashboard/dashboard_model.h"
#include "ctl/errors.h"
#include "ctl/output.h"
#include "ctl/prom/exemplars.h"
#include "ctl/prom/text_parser.h"
#include "ctl/resolve.h"
#include "ctl/term/terminal.h"
#include "ctl/term/terminal_policy.h"

namespace sloth::ctl {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Enough for 10 minutes of sparkline at --interval 5, and the width of any terminal's graph.
constexpr size_t kHistoryCapacity = 120;

// One scrape from wherever the agent's metrics come from.
struct Fetched {
  bool ok = false;
  std::string text;
  std::string error;  // when !ok: what failed, for the banner
  std::optional<bool> healthy;
  std::string health_reason;
  std::vector<dashboard::WorkflowRunRow> workflow_runs;  // the local agent's; none over HTTP
  std::vector<dashboard::TaskRun> runs;                  // recent runs with their ids, for the slow tasks' lines
};

// Where the metrics come from: the local daemon over its socket, or an HTTP endpoint. Used by
// the command's thread only.
class MetricsSource {
 public:
  virtual ~MetricsSource() = default;
  virtual Fetched Fetch(milliseconds timeout) = 0;
  virtual std::string agent_name() const = 0;
  virtual std::string where() const = 0;
};

// The task ids an OpenMetrics scrape carries: each duration bucket's exemplar is the last run
// that landed in it, so the highest bucket's is a recent slowest run.
std::vector<dashboard::TaskRun> RunsFromExemplars(std::string_view openmetrics) {
  std::vector<dashboard::TaskRun> runs;
  for (const auto& e : prom::ParseBucketExemplars(openmetrics, "sloth_task_duration_seconds")) {
    auto id = prom::LabelValue(e.exemplar, "task_id");
    if (!id) continue;
    runs.push_back({std::string(prom::LabelValue(e.series, "group").value_or("")),
                    std::string(prom::LabelValue(e.series, "task").value_or("")), std::string(*id), e.value});
  }
  return runs;
}

class HttpSource : public MetricsSource {
 public:
  HttpSource(std::string agent, std::string url, HttpCredentials credentials)
      : agent_(std::move(agent)), url_(std::move(url)), credentials_(std::move(credentials)) {
    if (url_.size() > 8 && url_.ends_with("/metrics")) health_url_ = url_.substr(0, url_.size() - 8) + "/health";
  }
  Fetched Fetch(milliseconds timeout) override {
    Fetched out;
    const HttpResult response = HttpGet(url_, timeout, credentials_);
    if (response.status != 200) {
      out.error = response.status == 0 ? response.error
                  : response.status == 401
                      ? "HTTP 401: the endpoint needs basic auth (--user, with SLOTH_PASSWORD or --password-file)"
                      : fmt::format("HTTP {}", response.status);
      return out;
    }
    out.ok = true;
    out.text = response.body;
    // Asked separately: the dashboard's parser reads the 0.0.4 text, the ids come with OpenMetrics.
    const HttpResult openmetrics = HttpGet(url_, timeout, credentials_, "application/openmetrics-text;version=1.0.0");
    if (openmetrics.status == 200) out.runs = RunsFromExemplars(openmetrics.body);
    if (!health_url_.empty()) {
      const HttpResult health = HttpGet(health_url_, timeout, credentials_);
      if (health.status == 200) {
        out.healthy = true;
      } else if (health.status >= 500) {
        out.healthy = false;
        out.health_reason = health.body.substr(0, health.body.find('\n'));
      }  // no /health there (404, ...): unknown
    }
    return out;
  }
  std::string agent_name() const override { return agent_; }
  std::string where() const override { return url_; }

 private:
  std::string agent_;
  std::string url_;
  HttpCredentials credentials_;
  std::string health_url_;
};

// The agent's control API: the local daemon's socket, or the master's relay of GetMetrics.
class ControlSource : public MetricsSource {
 public:
  ControlSource(const Context& context, std::string agent, OpenedAgent opened)
      : context_(context),
        agent_(std::move(agent)),
        through_master_(opened.through_master),
        call_timeout_(std::chrono::duration_cast<milliseconds>(context.call_timeout)),
        client_(std::move(opened.client)),
        where_(client_->target()),
        name_(opened.info.name()) {}
  Fetched Fetch(milliseconds timeout) override {
    Fetched out;
    if (!client_) {  // lost before: dial again, the daemon may be a new process
      const auto call_timeout = std::min(timeout, call_timeout_);
      auto client = through_master_ ? MakeMasterConnection(context_, agent_, call_timeout)
                                    : MakeLocalConnection(context_, call_timeout);
      if (auto connected = client->Connect(std::min(timeout, milliseconds(2000))); !connected) {
        out.error = connected.error().message;
        return out;
      }
      client_ = std::move(client);
    }
    auto metrics = client_->GetMetrics();
    if (!metrics) {
      out.error = metrics.error().message;
      client_.reset();
      return out;
    }
    out.ok = true;
    out.text = metrics->text();
    if (auto tasks = client_->ListTasks(false)) {
      for (const auto& t : tasks->tasks()) {
        if (t.end_time_unix_ms() == 0) continue;  // still running
        out.runs.push_back({t.group(), t.name(), t.id(), t.duration_seconds()});
      }
    }
    if (auto health = client_->GetHealth()) {
      out.healthy = health->healthy();
      out.health_reason = health->reason();
    }
    if (auto tasks = client_->ListTasks(false)) {
      for (const auto& run : tasks->workflow_runs()) {
        v1::TaskResult status;  // for its status word
        status.set_status(run.status());
        out.workflow_runs.push_back({run.id(), run.workflow(), TaskStateName(status), run.cancelled(),
                                     run.duration_seconds(), static_cast<double>(run.tasks_succeeded()),
                                     static_cast<double>(run.tasks_failed()), static_cast<double>(run.tasks_skipped()),
                                     static_cast<double>(run.tasks_running()),
                                     static_cast<double>(run.tasks_queued())});
      }
    }
    return out;
  }
  std::string agent_name() const override { return name_; }
  std::string where() const override { return where_; }

 private:
  const Context& context_;
  std::string agent_;  // as the operator named it
  bool through_master_;
  milliseconds call_timeout_;
  std::unique_ptr<AgentConnection> client_;
  std::string where_;
  std::string name_;
};

// How long a remote agent's own endpoint may take to answer before the master relays instead.
constexpr milliseconds kDirectProbeTimeout{1500};

std::unique_ptr<MetricsSource> OpenSource(const Context& context, const std::string& agent) {
  if (context.endpoint) {
    return std::make_unique<HttpSource>(agent, MetricsUrlFromEndpoint(*context.endpoint),
                                        CredentialsFor(context.http, PromptOnTerminal));
  }
  OpenedAgent opened = OpenAgent(context, agent, true);
  // A remote agent's own endpoint is read directly when the operator can reach it; when not
  // (behind NAT, a firewall, basic auth), the master relays GetMetrics down the agent's stream.
  const std::string& url = opened.info.metrics_url();
  if (opened.through_master && !url.empty() && HttpGet(url, kDirectProbeTimeout).status == 200) {
    return std::make_unique<HttpSource>(opened.info.name(), url, HttpCredentials{});
  }
  return std::make_unique<ControlSource>(context, agent, std::move(opened));
}

double UnixNow() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

double MonotonicNow() { return std::chrono::duration<double>(Clock::now().time_since_epoch()).count(); }

// The dashboard's state across scrapes: the newest and previous scrape, the history.
struct DashboardState {
  prom::History history{kHistoryCapacity};
  std::optional<prom::MetricSet> current;
  std::optional<prom::MetricSet> previous;
  std::optional<bool> healthy;
  std::string health_reason;
  std::vector<dashboard::WorkflowRunRow> workflow_runs;
  double updated_unix_s = 0;
  std::vector<dashboard::TaskRun> runs;

  // Scrapes once; on failure keeps the last good data and says what failed.
  Result<void> Scrape(MetricsSource& source, milliseconds timeout) {
    Fetched fetched = source.Fetch(timeout);
    if (!fetched.ok) {
      return Failure{fmt::format("cannot fetch metrics of agent '{}' from {}: {}", source.agent_name(), source.where(),
                                 fetched.error)};
    }
    auto parsed = prom::PromTextParser::Parse(fetched.text);
    if (auto* failure = std::get_if<prom::ParseError>(&parsed)) {
      return Failure{fmt::format("metrics of agent '{}' from {} are not Prometheus text: {}", source.agent_name(),
                                 source.where(), failure->message)};
    }
    dashboard::RecordDashboardHistory(history, MonotonicNow(), std::get<prom::MetricSet>(parsed));
    previous = std::move(current);
    current = std::move(std::get<prom::MetricSet>(parsed));
    healthy = fetched.healthy;
    health_reason = fetched.health_reason;
    workflow_runs = std::move(fetched.workflow_runs);
    runs = std::move(fetched.runs);
    updated_unix_s = UnixNow();
    return {};
  }

  dashboard::DashboardModel Model(const std::string& agent) const {
    static const prom::MetricSet kEmpty;
    dashboard::ModelInput input;
    input.agent = agent;
    input.scrape = current ? &*current : &kEmpty;
    input.previous = previous ? &*previous : nullptr;
    input.history = &history;
    input.updated_unix_s = updated_unix_s;
    input.healthy = healthy;
    input.health_reason = health_reason;
    input.workflow_runs = workflow_runs;
    input.recent_runs = &runs;
    return dashboard::BuildDashboardModel(input);
  }
};

// One agent's dashboard.
class AgentView final : public DashboardView {
 public:
  explicit AgentView(std::unique_ptr<MetricsSource> source) : source_(std::move(source)) {}
  Result<void> Refresh(milliseconds timeout) override { return state_.Scrape(*source_, timeout); }
  bool has_data() const override { return state_.current.has_value(); }
  std::string Frame(const dashboard::FrameOptions& options) const override {
    return dashboard::DashboardFrame(state_.Model(source_->agent_name()), options);
  }
  nlohmann::json Json() const override { return dashboard::DashboardModelJson(state_.Model(source_->agent_name())); }
  std::string FooterNote() const override {
    return fmt::format("{} scrapes kept", state_.history.Points("dashboard:sloth_tasks_total:sum").size());
  }

 private:
  std::unique_ptr<MetricsSource> source_;
  DashboardState state_;
};

struct Presentation {
  dashboard::FrameStyle style;
  bool json = false;
};

Presentation ChoosePresentation(const Context& context, const MetricsGrafanaArgs& args, bool stdout_tty) {
  const auto env = term::TermEnvironment::FromProcess();
  const auto mode = term::ParseColorMode(args.color);
  if (!mode) throw UsageError(fmt::format("--color: expected auto, always or never, got '{}'", args.color));
  std::optional<dashboard::GraphStyle> graph;
  if (!args.graph.empty()) {
    graph = term::ParseGraphStyle(args.graph);
    if (!graph) throw UsageError(fmt::format("--graph: expected braille, block or ascii, got '{}'", args.graph));
  }
  const bool utf8 = term::LocaleIsUtf8(env);
  Presentation p;
  p.json = context.output == OutputFormat::kJson;
  p.style.colour = term::ColourEnabled(*mode, context.no_color, stdout_tty, env);
  p.style.unicode = utf8;
  p.style.emoji = context.emoji;
  p.style.graph = term::ChooseGraphStyle(graph, utf8);
  return p;
}

// Columns for a frame printed to a pipe: $COLUMNS when set, else 80.
int PipeColumns() {
  if (const char* columns = std::getenv("COLUMNS")) {
    const int value = std::atoi(columns);
    if (value > 0) return value;
  }
  return 80;
}

milliseconds FetchTimeout(const Context& context, double interval_s) {
  const auto call = std::chrono::duration_cast<milliseconds>(context.call_timeout);
  const auto interval = milliseconds(static_cast<long long>(interval_s * 1000));
  return std::clamp(interval, milliseconds(1000), std::max(call, milliseconds(1000)));
}

int SingleView(const Context& context, DashboardView& view, const Presentation& p) {
  if (auto scraped = view.Refresh(std::chrono::duration_cast<milliseconds>(context.call_timeout)); !scraped) {
    throw CtlError(kExitUnavailable, scraped.error().message);
  }
  if (p.json) {
    std::cout << DumpJson(view.Json()) << std::flush;
    return kExitOk;
  }
  dashboard::FrameOptions options;
  const auto size = term::QueryTerminalSize(STDOUT_FILENO);
  options.cols = size.cols > 0 ? size.cols : PipeColumns();
  options.style = p.style;
  std::cout << view.Frame(options) << std::flush;
  return kExitOk;
}

std::string Footer(const MetricsGrafanaArgs& args, const DashboardView& view, bool unicode) {
  return fmt::format(" q quit{}every {}s{}{}", unicode ? " · " : " | ", args.interval_s, unicode ? " · " : " | ",
                     view.FooterNote());
}

// Draws from the top-left, clearing what the previous frame left behind; never scrolls.
void Draw(term::Terminal& terminal, const std::string& frame, bool clear_first) {
  std::string out = clear_first ? "\x1b[2J\x1b[H" : "\x1b[H";
  out.reserve(frame.size() + 256);
  size_t start = 0;
  while (start < frame.size()) {
    size_t end = frame.find('\n', start);
    if (end == std::string::npos) end = frame.size();
    out.append(frame, start, end - start);
    out += "\x1b[K";
    if (end + 1 < frame.size()) out += "\r\n";
    start = end + 1;
  }
  out += "\x1b[J";
  terminal.Write(out);
}

// --watch without a terminal (a pipe, a file): one frame or JSON line per interval, until killed.
int WatchPlain(const Context& context, const MetricsGrafanaArgs& args, DashboardView& view, const Presentation& p) {
  const auto timeout = FetchTimeout(context, args.interval_s);
  const auto period = std::chrono::duration<double>(args.interval_s);
  auto next = Clock::now();
  for (;;) {
    const auto scraped = view.Refresh(timeout);
    if (!scraped) std::cerr << "slothctl: " << scraped.error().message << " (retrying)" << std::endl;
    if (scraped) {
      if (p.json) {
        std::cout << view.Json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
      } else {
        dashboard::FrameOptions options;
        options.cols = PipeColumns();
        options.style = p.style;
        std::cout << view.Frame(options) << std::endl;
      }
      if (!std::cout) return kExitFailure;
    }
    next += std::chrono::duration_cast<Clock::duration>(period);
    if (next < Clock::now()) next = Clock::now();
    std::this_thread::sleep_until(next);
  }
}

int WatchTerminal(const Context& context, const MetricsGrafanaArgs& args, DashboardView& view, const Presentation& p) {
  const auto timeout = FetchTimeout(context, args.interval_s);
  const auto period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(args.interval_s));
  term::Terminal terminal(STDIN_FILENO, STDOUT_FILENO);
  auto next_scrape = Clock::now();
  bool clear = false;
  std::string banner;  // non-empty while the source is lost or unreadable
  for (;;) {
    bool redraw = false;
    if (Clock::now() >= next_scrape) {
      if (const auto scraped = view.Refresh(timeout)) {
        banner.clear();
      } else {
        banner = fmt::format("lost, retrying every {}s: {}", args.interval_s, scraped.error().message);
      }
      next_scrape += period;
      if (next_scrape < Clock::now()) next_scrape = Clock::now() + period;
      redraw = true;
    }
    const unsigned events = terminal.TakeEvents();
    if (events) {
      redraw = true;
      clear = true;
    }
    if (redraw) {
      const auto size = terminal.Size();
      dashboard::FrameOptions options;
      options.cols = size.cols > 0 ? size.cols : 80;
      options.rows = size.rows > 0 ? size.rows : 24;
      options.style = p.style;
      options.banner = banner;
      if (!view.has_data() && banner.empty()) options.banner = "waiting for the first scrape";
      options.footer = Footer(args, view, p.style.unicode);
      Draw(terminal, view.Frame(options), clear);
      clear = false;
    }
    const auto wait = std::chrono::duration_cast<milliseconds>(next_scrape - Clock::now());
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {terminal.event_fd(), POLLIN, 0}};
    const int ready = ::poll(fds, 2, static_cast<int>(std::max<long long>(wait.count() + 1, 0)));
    if (ready < 0 && errno != EINTR) throw std::runtime_error(fmt::format("poll: {}", std::strerror(errno)));
    if (ready > 0 && (fds[0].revents & (POLLHUP | POLLERR))) return kExitOk;  // the terminal went away
    if (ready > 0 && (fds[0].revents & POLLIN)) {
      char keys[64];
      const ssize_t n = ::read(STDIN_FILENO, keys, sizeof keys);
      if (n == 0) return kExitOk;
      for (ssize_t i = 0; i < n; ++i) {
        if (keys[i] == 'q' || keys[i] == 'Q' || keys[i] == '\x03') return kExitOk;
        if (keys[i] == 'r' || keys[i] == ' ') next_scrape = Clock::now();  // refresh now
      }
    }
  }
}

}  // namespace

int MetricsGrafanaCommand(const Context& context, const MetricsGrafanaArgs& args) {
  if (!(args.interval_s >= 0.1) || !std::isfinite(args.interval_s)) {
    throw UsageError(fmt::format("--interval: expected seconds ≥ 0.1 (e.g. 5 or 0.5), got {}", args.interval_s));
  }
  const bool stdout_tty = ::isatty(STDOUT_FILENO) == 1;
  const Presentation p = ChoosePresentation(context, args, stdout_tty);
  if (args.all == !args.agent.empty()) {
    throw UsageError(
        "metrics grafana: name one agent, or pass --all for the fleet (usage: slothctl metrics grafana "
        "AGENT | --all)");
  }
  std::unique_ptr<DashboardView> view;
  if (args.all) {
    view = MakeFleetView(context, FleetDeadline(FetchTimeout(context, args.interval_s)));
  } else {
    view = std::make_unique<AgentView>(OpenSource(context, args.agent));
  }
  if (!args.watch) return SingleView(context, *view, p);
  if (p.json || !stdout_tty || ::isatty(STDIN_FILENO) != 1) return WatchPlain(context, args, *view, p);
  return WatchTerminal(context, args, *view, p);
}

}  // namespace sloth::ctl
