#include "daemon/grpc/master_link.h"

#include <pthread.h>

#include <fmt/format.h>

#include "common/message_ids.h"
#include "daemon/grpc/byte_buffers.h"
#include "daemon/grpc/control_service.h"

namespace sloth {
namespace {

// The master's window for a streaming relayed call (see RelayCredit in master.proto).
constexpr uint64_t kRelayWindowBytes = 256 * 1024;
// How long an unregistering agent waits for the master to close the stream before cutting it.
constexpr auto kGoodbyeGrace = std::chrono::seconds(2);

std::string Describe(const grpc::Status& status) {
  if (status.error_message().empty()) return fmt::format("gRPC status {}", static_cast<int>(status.error_code()));
  return status.error_message();
}

// Runs one operation of an asynchronous call and waits for it on its own queue.
bool Await(grpc::CompletionQueue& queue) {
  void* tag = nullptr;
  bool ok = false;
  return queue.Next(&tag, &ok) && ok;
}

}  // namespace

MasterLinkClient::MasterLinkClient(MasterLinkSettings settings, std::shared_ptr<grpc::Channel> local,
                                   std::string relay_key, Telemetry& telemetry, Logger& log)
    : settings_(std::move(settings)),
      local_(std::move(local)),
      local_stub_(local_),
      relay_key_(std::move(relay_key)),
      telemetry_(telemetry),
      log_(log),
      random_(std::random_device{}()) {}

void MasterLinkClient::Start() {
  if (run_thread_.joinable()) return;
  run_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "slothd-master");
    Run();
  });
  beat_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "slothd-beat");
    Beat();
  });
}

MasterLinkClient::~MasterLinkClient() { Shutdown(); }

std::shared_ptr<grpc::Channel> MasterLinkClient::Dial() const {
  grpc::ChannelArguments arguments;
  // A connection of its own for each dial: the only backoff is ours (ReconnectDelay), not also
  // the one gRPC would keep in a shared subchannel.
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // A master that vanished without closing (a host switched off, a partition) is noticed by
  // pings within 40 s, even when there is nothing to read.
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  arguments.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  arguments.SetMaxReceiveMessageSize(-1);  // relayed requests carry what operators send
  if (!settings_.server_name.empty()) arguments.SetSslTargetNameOverride(settings_.server_name);
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (settings_.insecure) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = settings_.ca_pem;
    options.pem_private_key = settings_.key_pem;
    options.pem_cert_chain = settings_.cert_pem;
    credentials = grpc::SslCredentials(options);
  }
  return grpc::CreateCustomChannel(settings_.address, credentials, arguments);
}

void MasterLinkClient::Run() {
  std::uniform_real_distribution<double> draw(0.0, 1.0);
  uint32_t attempt = 0;
  for (;;) {
    std::string why;
    const bool registered = Session(&why);
    std::unique_lock lock(mutex_);
    if (stopping_) return;
    if (registered) attempt = 0;
    const Duration delay = ReconnectDelay(settings_.backoff, attempt, draw(random_));
    telemetry_.ErrorOccurred("master_unreachable");
    // The first failure in a row is a warning; the retries after it are logged at info.
    log_.Log(registered || attempt == 0 ? LogLevel::kWarning : LogLevel::kInfo,
             fmt::format("{} the master at {}: {}; dialling again in {}", registered ? "lost" : "cannot register with",
                         settings_.address, why, FormatDuration(std::chrono::ceil<std::chrono::milliseconds>(delay))),
             {{"SLOTH_MASTER", settings_.address}}, message_id::kMasterLinkLost);
    ++attempt;
    changed_.wait_for(lock, delay, [this] { return stopping_; });
    if (stopping_) return;
  }
}

bool MasterLinkClient::Session(std::string* ended_because) {
  auto stub = v1::Master::NewStub(Dial());
  grpc::ClientContext context;
  std::unique_ptr<Stream> stream = stub->Connect(&context);
  uint64_t generation = 0;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) context.TryCancel();
    context_ = &context;
    stream_ = stream.get();
    generation = ++generation_;
  }
  const AgentInfo info = settings_.info();
  v1::AgentMessage hello;
  ToProto(info, hello.mutable_register_()->mutable_info());
  hello.mutable_register_()->mutable_labels()->insert(settings_.labels.begin(), settings_.labels.end());
  v1::MasterMessage message;
  bool registered = Send(generation, hello) && stream->Read(&message) && message.has_registered();
  if (registered) {
    {
      std::lock_guard lock(mutex_);
      registered_ = true;
      heartbeat_interval_ =
          std::chrono::milliseconds(std::max<uint64_t>(message.registered().heartbeat_interval_ms(), 100));
    }
    changed_.notify_all();
    log_.Log(LogLevel::kNotice,
             fmt::format("registered with the master at {} as {} (master slothd {})", settings_.address,
                         info.identity.name, message.registered().master_version()),
             {{"SLOTH_MASTER", settings_.address}}, message_id::kMasterLinkUp);
    while (stream->Read(&message)) {
      switch (message.kind_case()) {
        case v1::MasterMessage::kCall: {
          auto work = [this, call = std::make_shared<v1::RelayedCall>(std::move(*message.mutable_call())), generation] {
            ServeRelay(std::move(*call), generation);
          };
          if (auto submitted = relay_workers_.Submit(std::move(work)); !submitted) {
            log_.Error(fmt::format("cannot serve a call relayed by the master: {}", submitted.error().message));
          }
          break;
        }
        case v1::MasterMessage::kCancel: {
          std::unique_lock lock(mutex_);
          if (auto it = relays_.find({generation, message.cancel().call_id()}); it != relays_.end()) {
            it->second.cancelled = true;
            it->second.context->TryCancel();
          }
          changed_.notify_all();
          break;
        }
        case v1::MasterMessage::kCredit: {
          {
            std::lock_guard lock(mutex_);
            if (auto it = relays_.find({generation, message.credit().call_id()}); it != relays_.end()) {
              it->second.credited += message.credit().bytes();
            }
          }
          changed_.notify_all();
          break;
        }
        default: break;  // a newer master's message
      }
    }
  }
  {
    std::lock_guard lock(mutex_);
    registered_ = false;
    context_ = nullptr;
    stream_ = nullptr;
    // Calls relayed on this stream have no one to answer to: the socket's rule applies (a task
    // runs on, unheard, as when a client of the control socket disconnects).
    for (auto& [key, relay] : relays_) {
      if (key.first == generation) relay.context->TryCancel();
    }
  }
  changed_.notify_all();
  grpc::Status status;
  {
    std::lock_guard writing(write_mutex_);  // no Write in flight while the call is finished
    status = stream->Finish();
  }
  *ended_because = Describe(status);
  return registered;
}

void MasterLinkClient::Beat() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    changed_.wait(lock, [this] { return stopping_ || registered_; });
    if (stopping_) return;
    const uint64_t generation = generation_;
    if (changed_.wait_for(lock, heartbeat_interval_,
                          [&] { return stopping_ || !registered_ || generation_ != generation; })) {
      continue;
    }
    lock.unlock();
    v1::AgentMessage beat;
    beat.mutable_heartbeat()->set_tasks_running(settings_.info().tasks_running);
    (void)Send(generation, beat);  // a lost stream is the run thread's to notice
    lock.lock();
  }
}

bool MasterLinkClient::Send(uint64_t generation, const v1::AgentMessage& message) {
  std::lock_guard writing(write_mutex_);
  Stream* stream = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (generation != generation_ || stream_ == nullptr) return false;
    stream = stream_;
  }
  // The stream stays alive while write_mutex_ is held: Session finishes it under the same lock.
  return stream->Write(message);
}

bool MasterLinkClient::WaitForCredit(uint64_t call_id, uint64_t generation, uint64_t bytes) {
  std::unique_lock lock(mutex_);
  const RelayKey key{generation, call_id};
  auto usable = [&] {
    auto it = relays_.find(key);
    if (stopping_ || generation_ != generation || it == relays_.end() || it->second.cancelled) return true;
    const uint64_t outstanding = it->second.sent - it->second.credited;
    return outstanding == 0 || outstanding + bytes <= kRelayWindowBytes;
  };
  changed_.wait(lock, usable);
  auto it = relays_.find(key);
  if (stopping_ || generation_ != generation || it == relays_.end() || it->second.cancelled) return false;
  it->second.sent += bytes;
  return true;
}

void MasterLinkClient::ServeRelay(v1::RelayedCall call, uint64_t generation) {
  grpc::ClientContext context;
  context.AddMetadata(kRelayKeyMetadata, relay_key_);
  context.AddMetadata(kRelayedCallerKey, call.caller());
  if (call.timeout_ms() > 0) {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(call.timeout_ms()));
  }
  const RelayKey key{generation, call.call_id()};
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || generation != generation_) return;
    relays_.emplace(key, Relay{&context});
  }
  grpc::CompletionQueue queue;
  auto rpc = local_stub_.PrepareCall(&context, call.method(), &queue);
  rpc->StartCall(&queue);
  bool ok = Await(queue);
  if (ok) {
    rpc->Write(StringToByteBuffer(call.request()), &queue);
    ok = Await(queue);
  }
  if (ok) {
    rpc->WritesDone(&queue);
    ok = Await(queue);
  }
  grpc::ByteBuffer reply;
  while (ok) {
    rpc->Read(&reply, &queue);
    if (!Await(queue)) break;
    v1::AgentMessage message;
    message.mutable_reply()->set_call_id(call.call_id());
    message.mutable_reply()->set_message(ByteBufferToString(reply));
    if (!WaitForCredit(call.call_id(), generation, message.reply().message().size()) || !Send(generation, message)) {
      context.TryCancel();
      break;
    }
  }
  grpc::Status status;
  rpc->Finish(&status, &queue);
  (void)Await(queue);  // the status is what it carries
  v1::AgentMessage end;
  end.mutable_end()->set_call_id(call.call_id());
  end.mutable_end()->set_code(status.error_code());
  end.mutable_end()->set_message(status.error_message());
  (void)Send(generation, end);  // a stream that is gone has failed the call on the master already
  {
    std::lock_guard lock(mutex_);
    relays_.erase(key);
  }
  queue.Shutdown();
  void* tag = nullptr;
  while (queue.Next(&tag, &ok)) {
  }
}

void MasterLinkClient::Shutdown() {
  {
    std::lock_guard writing(write_mutex_);
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    if (stream_ != nullptr && registered_) {
      v1::AgentMessage goodbye;
      goodbye.mutable_unregister()->set_reason("the agent is stopping");
      // Unregistered, the agent is `gone` rather than `down`; the master then ends the stream.
      if (stream_->Write(goodbye)) stream_->WritesDone();
    }
    for (auto& [key, relay] : relays_) relay.context->TryCancel();
  }
  changed_.notify_all();
  // The master closes the stream once it has read the goodbye; a master that does not answer
  // is cut off.
  {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, kGoodbyeGrace, [this] { return stream_ == nullptr; }) && context_ != nullptr) {
      context_->TryCancel();
    }
  }
  if (run_thread_.joinable()) run_thread_.join();
  if (beat_thread_.joinable()) beat_thread_.join();
  relay_workers_.Drain();
}

}  // namespace sloth
