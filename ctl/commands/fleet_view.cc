#include "ctl/commands/fleet_view.h"

#include <atomic>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "ctl/clients/agent_client.h"
#include "ctl/clients/http_client.h"
#include "ctl/dashboard/fleet_frame.h"
#include "ctl/dashboard/fleet_model.h"
#include "ctl/fleet_output.h"
#include "ctl/prom/text_parser.h"
#include "ctl/resolve.h"

namespace sloth::ctl {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Scrapes at once: enough that a fleet of hundreds fills a frame within the deadline, few enough
// for a laptop's file descriptors and the master's relay.
constexpr size_t kParallelScrapes = 16;
// A remote agent's own endpoint gets this long before the master relays instead.
constexpr milliseconds kDirectTimeout{1000};

double UnixNow() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

struct Scrape {
  std::optional<prom::MetricSet> metrics;
  std::string error;
  std::string source;  // "direct", "master"
};

class FleetView final : public DashboardView {
 public:
  FleetView(const Context& context, milliseconds deadline)
      : deadline_(deadline), master_(OpenMaster(context, "metrics grafana --all")) {
    relay_endpoint_ = *context.master;
    relay_channel_ = DialMaster(relay_endpoint_);  // one connection for every relayed scrape
  }

  Result<void> Refresh(milliseconds) override {
    auto listed = master_.ListAgents();
    if (!listed) return Failure{fmt::format("{}: ListAgents failed: {}", master_.target(), listed.error().message)};
    const auto& agents = listed->agents();
    std::vector<Scrape> scrapes(static_cast<size_t>(agents.size()));
    const auto deadline = Clock::now() + deadline_;
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i = next++; i < scrapes.size(); i = next++) {
        const auto& agent = agents.Get(static_cast<int>(i));
        if (agent.status() != v1::AGENT_STATUS_UP) continue;
        if (Clock::now() >= deadline) {
          scrapes[i].error = "not reached before the deadline";
          continue;
        }
        scrapes[i] = ScrapeOne(agent, deadline);
      }
    };
    std::vector<std::thread> workers;
    for (size_t n = 0; n < std::min(kParallelScrapes, scrapes.size()); ++n) workers.emplace_back(work);
    for (auto& worker : workers) worker.join();

    std::vector<dashboard::FleetAgentInput> inputs;
    for (int i = 0; i < agents.size(); ++i) {
      const auto& agent = agents.Get(i);
      const Scrape& scrape = scrapes[static_cast<size_t>(i)];
      inputs.push_back({agent.name(), AgentStatusText(agent.status()), agent.version(), agent.last_heartbeat_unix_ms(),
                        scrape.metrics ? &*scrape.metrics : nullptr, scrape.error, scrape.source});
    }
    model_ = dashboard::BuildFleetModel(inputs, UnixNow(), std::chrono::duration<double>(deadline_).count());
    return {};
  }

  bool has_data() const override { return model_.has_value(); }

  std::string Frame(const dashboard::FrameOptions& options) const override {
    static const dashboard::FleetModel kEmpty;
    return dashboard::FleetFrame(model_ ? *model_ : kEmpty, options);
  }

  nlohmann::json Json() const override {
    return model_ ? dashboard::FleetModelJson(*model_) : nlohmann::json::object();
  }

  std::string FooterNote() const override {
    return fmt::format("agents get {}s to answer", std::chrono::duration<double>(deadline_).count());
  }

 private:
  Scrape ScrapeOne(const v1::AgentRecord& agent, Clock::time_point deadline) {
    Scrape out;
    auto remaining = [&] {
      return std::max(milliseconds(1), std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
    };
    const std::string& url = agent.metrics_url();
    bool direct = !url.empty();
    {
      std::lock_guard lock(mutex_);
      direct = direct && unreachable_.count(agent.name()) == 0;
    }
    std::string text;
    if (direct) {
      const HttpResult response = HttpGet(url, std::min(remaining(), kDirectTimeout));
      if (response.status == 200) {
        text = response.body;
        out.source = "direct";
      } else {
        // Not reachable from here (NAT, a firewall): the master relays from now on.
        std::lock_guard lock(mutex_);
        unreachable_.insert(agent.name());
      }
    }
    if (out.source.empty()) {
      AgentClient client(relay_endpoint_, agent.name(), remaining(), relay_channel_);
      auto metrics = client.Connect(remaining()) ? client.GetMetrics() : CallResult<v1::Metrics>(CallError{});
      if (!metrics) {
        out.error = metrics.error().message.empty() ? "no answer" : metrics.error().message;
        return out;
      }
      text = metrics->text();
      out.source = "master";
    }
    auto parsed = prom::PromTextParser::Parse(text);
    if (auto* failure = std::get_if<prom::ParseError>(&parsed)) {
      out.error = "not Prometheus text: " + failure->message;
      return out;
    }
    out.metrics = std::move(std::get<prom::MetricSet>(parsed));
    return out;
  }

  const milliseconds deadline_;
  MasterClient master_;
  MasterEndpoint relay_endpoint_;
  std::shared_ptr<grpc::Channel> relay_channel_;
  std::optional<dashboard::FleetModel> model_;
  std::mutex mutex_;  // guards unreachable_, shared by the scraping threads
  std::set<std::string> unreachable_;
};

}  // namespace

milliseconds FleetDeadline(milliseconds refresh_timeout) { return std::min(refresh_timeout, milliseconds(2000)); }

std::unique_ptr<DashboardView> MakeFleetView(const Context& context, milliseconds deadline) {
  return std::make_unique<FleetView>(context, deadline);
}

}  // namespace sloth::ctl
