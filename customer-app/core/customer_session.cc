// CustomerSession: the engine (customer role), the policy, and the parts the
// policy switches: screen sender, input gate, file receiver; plus the STOP
// hotkey and the receipt.

#include <time.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "base/log.h"
#include "base/timer_thread.h"
#include "customer-app/core/customer_policy.h"
#include "customer-app/core/emergency_stop_hotkey.h"
#include "customer-app/core/input_gate.h"
#include "customer-app/core/session_parts.h"
#include "customer-app/core/view_describer.h"
#include "desktop/backend.h"
#include "protocol/file_receiver.h"
#include "protocol/file_sender.h"
#include "streaming/screen_sender.h"
#include "streaming/video_receiver.h"
#include "streaming/wire_codec.h"

namespace tether::customer {
namespace {

constexpr char kEndedByYou[] = "Session ended by you";
constexpr char kYouEnded[] = "You ended the session.";

std::string FormatLocalTime(std::chrono::system_clock::time_point at) {
  const time_t t = std::chrono::system_clock::to_time_t(at);
  tm local{};
  localtime_r(&t, &local);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S", &local);
  return text;
}

bool IsEightDigits(const std::string& code) {
  return code.size() == 8 && std::all_of(code.begin(), code.end(), [](char c) {
           return c >= '0' && c <= '9';
         });
}

// The customer's session: the engine, the policy, the sender, the input
// gate, files and the STOP hotkey, wired on the app thread.
class CustomerSessionImpl final : public CustomerSession,
                                  public protocol::PeerSession::Observer,
                                  public PolicyActions {
 public:
  CustomerSessionImpl(CustomerSession::Options options,
                      ConsentProvider* consent,
                      CustomerSession::Observer* observer,
                      const Clock& clock)
      : options_(std::move(options)),
        consent_(consent),
        observer_(observer),
        clock_(clock) {}

  ~CustomerSessionImpl() override {
    // The hotkey first (it calls EmergencyStop), then the threads that
    // use the engine, then the engine.
    terms_timer_.Stop();
    hotkey_.reset();
    sender_.reset();
    technician_screen_.reset();
    outgoing_.reset();  // its worker sends through the engine
    gate_.reset();
    engine_.reset();
    policy_.reset();
    files_.reset();
  }

  Result<void> Init(SessionParts parts) {
    const CustomerConfig& config = options_.config;
    if (!config.download_dir.empty()) {
      auto files = protocol::FileReceiver::Create({config.download_dir, 4});
      if (files) {
        files_ = std::move(*files);
      } else {
        log::Warn("files: {}", files.error().message);
      }
    }
    std::unique_ptr<desktop::InputInjector> injector =
        std::move(parts.injector);
    if (!injector) {
      auto created = desktop::InputInjector::Create(config.display);
      if (!created) {
        return MakeError("cannot use the display for remote control: " +
                         created.error().message);
      }
      injector = std::move(*created);
    }
    gate_ = std::make_unique<InputGate>(
        std::move(injector),
        [this](const Error& error) {
          Post([this, error] {
            if (policy_)
              policy_->ControlFailed(error);
          });
        },
        InputGate::kDefaultMaxQueued, DesktopAsking());
    views_ = std::make_unique<ViewDescriber>(config.display);
    streaming::ScreenSender::Options screen;
    screen.display = config.display;
    screen.codec = codec::Codec::kVp8;  // until the terms say what decodes
    preferred_codec_ = parts.codec;
    screen.desktop_asking = DesktopAsking();
    sender_ = std::make_unique<streaming::ScreenSender>(
        std::move(screen),
        [this](proto::PeerMessage message) {
          return engine_->Send(std::move(message));
        },
        [this] { return engine_->pending_bytes(); },
        [this](const Error& error) {
          Post([this, error] {
            if (policy_)
              policy_->ViewFailed(error);
          });
        });
    outgoing_ = std::make_unique<protocol::FileSender>(OutgoingCallbacks());
    PolicyLimits limits;
    limits.max_file_size = config.max_file_size;
    policy_ = std::make_unique<CustomerPolicy>(clock_, *consent_, *this,
                                               files_.get(), limits);

    protocol::PeerSession::Options engine;
    engine.relay = config.relay;
    engine.role = proto::ROLE_CUSTOMER;
    engine.app_version = std::string("tether-customer ") + TETHER_VERSION;
    engine.code = options_.code;
    engine.host_name = options_.host_name;
    engine.user_name = options_.user_name;
    engine.deliver = [this](std::function<void()> task) {
      Post(std::move(task));
    };
    TETHER_TRY(started, parts.start_engine(std::move(engine), this));
    engine_ = std::move(*started);

    if (parts.hotkey) {
      auto hotkey =
          GrabEmergencyStopHotkey(config.display, [this] { EmergencyStop(); });
      if (hotkey) {
        hotkey_ = std::move(*hotkey);
      } else {
        log::Warn("emergency stop hotkey unavailable: {}",
                  hotkey.error().message);
      }
    }
    return {};
  }

  // ---- CustomerSession ----------------------------------------------------

  void EmergencyStop() override {
    if (emergency_.exchange(true)) {
      gate_->Stop();  // returns once nothing is in flight, for this caller too
      return;
    }
    // Input first, synchronously: nothing is injected after this line.
    gate_->Stop();
    sender_->Stop();
    log::Warn("session: STOP pressed");
    proto::PeerMessage stop;
    stop.mutable_emergency_stop();
    engine_->Send(std::move(stop));
    engine_->End(proto::END_REASON_EMERGENCY_STOP,
                 "The customer pressed STOP.");
    Post([this] {
      if (policy_)
        policy_->EmergencyStop();
    });
  }

  void RevokeControl() override {
    policy_->Revoke(proto::PERMISSION_REMOTE_CONTROL);
  }

  void RevokeViewSwitch() override {
    policy_->Revoke(proto::PERMISSION_VIEW_SWITCH);
  }

  void SendChat(std::string text) override {
    if (policy_->SendChat(text))
      observer_->OnChat(text, /*from_me=*/true);
  }

  Result<uint32_t> SendFile(const std::string& path) override {
    if (ended_ || ending_ || emergency_ ||
        policy_->phase() != CustomerPolicy::Phase::kActive) {
      return MakeError(
          "Files can be sent once you have agreed to the session.");
    }
    if (next_file_id_ >= protocol::kCustomerFileIdBit)
      return MakeError("No more files can be sent in this session.");
    const uint32_t file_id = protocol::kCustomerFileIdBit | next_file_id_++;
    TETHER_RETURN_IF_ERROR(outgoing_->Prepare(file_id, path));
    SentFile& file = sent_files_[file_id];
    file.file_id = file_id;
    file.name = std::filesystem::path(path).filename().string();
    observer_->OnFileSending(file);
    return file_id;
  }

  void CancelFile(uint32_t file_id) override {
    auto it = sent_files_.find(file_id);
    if (it == sent_files_.end())
      return;
    if (it->second.state == SentFile::State::kPreparing) {
      // Not offered yet: the technician knows nothing of it.
      outgoing_->Cancel(file_id, "");
      EndSentFile(file_id, SentFile::State::kCancelled,
                  "You stopped the transfer.");
      return;
    }
    policy_->CancelOutgoingFile(file_id);  // StopSendingFile follows
  }

  void End() override {
    if (ended_ || ending_)
      return;
    ending_ = true;
    gate_->SetControl(false);
    sender_->Stop();
    end_message_ = kYouEnded;
    engine_->End(proto::END_REASON_USER_ENDED,
                 "The customer ended the session.");
  }

  Grants grants() const override {
    Grants grants = policy_->grants();
    grants.desktop_asking = desktop_asking_ > 0;
    return grants;
  }
  bool stop_hotkey_active() const override { return hotkey_ != nullptr; }

  std::vector<ReceiptEntry> receipt() const override {
    return policy_->receipt();
  }

  Result<void> SaveReceipt(const std::string& path) const override {
    // (Not decltype(&std::fclose): Debian 13's glibc declares fclose with
    // attributes a template argument drops, a warning.)
    struct CloseFile {
      void operator()(std::FILE* f) const { std::fclose(f); }
    };
    std::unique_ptr<std::FILE, CloseFile> file(std::fopen(path.c_str(), "w"));
    if (!file)
      return MakeError("cannot write the receipt to " + path);
    std::string text = "Tether remote support: receipt\n";
    if (!policy_->technician().empty())
      text += "Technician: " + policy_->technician() + "\n";
    if (!options_.config.organisation.empty())
      text += "Organisation: " + options_.config.organisation + "\n";
    text += "\n";
    for (const ReceiptEntry& entry : policy_->receipt())
      text += FormatLocalTime(entry.at) + "  " + entry.text + "\n";
    if (std::fwrite(text.data(), 1, text.size(), file.get()) != text.size() ||
        std::fflush(file.get()) != 0) {
      return MakeError("cannot write the receipt to " + path);
    }
    return {};
  }

  // ---- PeerSession::Observer (on the app thread, through Post) ------------

  void OnStateChanged(protocol::SessionState state) override {
    if (!ended_)
      observer_->OnStateChanged(state);
  }

  void OnRelayHello(const proto::HelloAck& hello) override {
    if (!ended_)
      policy_->OnRelayHello(hello.organisation(), hello.support_terms());
  }

  void OnJoined(const proto::Joined& joined) override {
    if (ended_)
      return;
    policy_->OnJoined(joined.technician_name(), joined.organisation());
    observer_->OnTechnician(joined.technician_name(), joined.organisation());
  }

  void OnSecured(const std::string& sas) override {
    if (ended_)
      return;
    observer_->OnSas(sas);
    policy_->OnSecured(sas);
    if (auto deadline = policy_->terms_deadline()) {
      terms_timer_.StartOnce(*deadline - clock_.SteadyNow(), [this] {
        Post([this] {
          if (!ended_)
            policy_->Tick();
        });
      });
    }
  }

  void OnMessage(proto::PeerMessage message) override {
    if (ended_ || emergency_)
      return;
    if (message.has_terms()) {
      const codec::Codec agreed =
          streaming::AgreeCodec(message.terms(), preferred_codec_);
      log::Info("screen: {} (what the technician's app decodes)",
                agreed == codec::Codec::kVp9 ? "VP9" : "VP8");
      sender_->SetCodec(agreed);
      sender_->SetExactPictures(message.terms().exact_pictures(),
                                message.terms().recording());
    }
    policy_->OnMessage(message);
  }

  void OnEnded(const protocol::SessionEnd& end) override {
    if (ended_)
      return;
    ended_ = true;
    gate_->SetControl(false);
    sender_->Stop();
    if (emergency_)
      policy_->EmergencyStop();
    policy_->OnEnded(end.message);
    protocol::SessionEnd shown = end;
    if (emergency_) {
      shown.message = kEndedByYou;
      shown.local = true;
    } else if (!end_message_.empty()) {
      shown.message = end_message_;
    }
    observer_->OnEnded(shown);
  }

  // ---- PolicyActions ------------------------------------------------------

  void Send(proto::PeerMessage message) override {
    if (!engine_->Send(std::move(message)))
      log::Warn("session: a message could not be queued (link full)");
  }

  Result<std::string> DescribeView(const proto::ViewTarget& target) override {
    return views_->Describe(target);
  }

  void StartView(const proto::ViewTarget& target) override {
    auto source = views_->Resolve(target);
    if (!source) {
      Post([this, error = source.error()] {
        if (policy_)
          policy_->ViewFailed(error);
      });
      return;
    }
    SendMonitorList();
    sender_->Start(*source);
  }

  void StopView() override { sender_->Stop(); }

  bool DesktopAsksToo() const override {
    return desktop::SystemAsksToo(options_.config.display);
  }

  void SetControl(bool enabled) override { gate_->SetControl(enabled); }

  void Inject(const proto::InputEvent& event) override { gate_->Submit(event); }

  void PromptOpening() override { gate_->PromptOpened(); }

  void FrameAcked(const proto::FrameAck& /*ack*/) override {
    sender_->OnFrameAck();
  }

  void KeyFrameRequested() override { sender_->RequestKeyFrame(); }

  void TechnicianFrame(const proto::VideoFrame& frame) override {
    if (ended_ || emergency_)
      return;
    if (!technician_screen_) {
      protocol::PeerSession* engine = engine_.get();
      const uint64_t serial = ++technician_screen_serial_;
      technician_screen_ = std::make_unique<streaming::VideoReceiver>(
          streaming::VideoReceiverOptions{},
          [engine](proto::PeerMessage message) {
            return engine->Send(std::move(message));
          },
          [this, serial] {
            Post([this, serial] { TakeTechnicianPicture(serial); });
          },
          [this, serial](const std::string& why) {
            Post([this, serial, why] {
              if (!ended_ && serial == technician_screen_serial_)
                policy_->TechnicianScreenFailed(why);
            });
          });
    }
    technician_screen_->Receive(frame);
  }

  void SessionAccepted() override { SendMonitorList(); }

  void ShowChat(const std::string& text) override {
    observer_->OnChat(text, /*from_me=*/false);
  }

  void SetClipboard(const std::string& text) override {
    observer_->OnClipboard(text);
  }

  void GrantsChanged(const Grants& policy_grants) override {
    // The switch ended (either side, or the session): its decoder goes,
    // so the next switch starts from a key frame.
    if (!policy_grants.viewing_technician)
      technician_screen_.reset();
    Grants grants = policy_grants;
    grants.desktop_asking = desktop_asking_ > 0;
    if (!ended_)
      observer_->OnGrantsChanged(grants);
  }

  // The sender's and the gate's "the desktop's dialog is open" (their
  // threads), counted on the app thread: the panel says so meanwhile.
  std::function<void(bool)> DesktopAsking() {
    return [this](bool asking) {
      Post([this, asking] {
        desktop_asking_ += asking ? 1 : -1;
        if (policy_)
          GrantsChanged(policy_->grants());
      });
    };
  }

  void FileFinished(const std::string& path,
                    bool ok,
                    const std::string& message) override {
    if (!ended_)
      observer_->OnFileReceived(path, ok, message);
  }

  void StartSendingFile(uint32_t file_id) override {
    auto it = sent_files_.find(file_id);
    if (it == sent_files_.end())
      return;
    it->second.state = SentFile::State::kSending;
    outgoing_->Start(file_id);
    if (!ended_)
      observer_->OnFileSending(it->second);
  }

  void StopSendingFile(uint32_t file_id,
                       const std::string& cancel_reason,
                       SentFile::State state,
                       const std::string& message) override {
    outgoing_->Cancel(file_id, cancel_reason);
    EndSentFile(file_id, state, message);
  }

  void EndSession(proto::EndReason reason,
                  const std::string& message) override {
    ending_ = true;
    gate_->SetControl(false);
    sender_->Stop();
    end_message_ = message;
    engine_->End(reason, message);
  }

 private:
  // Runs `task` on the app thread, unless this session is gone by then.
  void Post(std::function<void()> task) {
    std::weak_ptr<int> alive = alive_;
    options_.deliver([alive, task = std::move(task)] {
      if (!alive.expired())
        task();
    });
  }

  protocol::FileSender::Callbacks OutgoingCallbacks() {
    protocol::FileSender::Callbacks callbacks;
    // Worker thread: the engine's Send and pending_bytes take any thread.
    callbacks.send = [this](proto::PeerMessage message) {
      return engine_->Send(std::move(message));
    };
    callbacks.pending_bytes = [this] { return engine_->pending_bytes(); };
    callbacks.prepared = [this](uint32_t id,
                                Result<protocol::PreparedFile> prepared) {
      Post([this, id, prepared = std::move(prepared)] {
        OnFilePrepared(id, prepared);
      });
    };
    callbacks.progress = [this](uint32_t id, uint64_t sent) {
      Post([this, id, sent] {
        auto it = sent_files_.find(id);
        if (it == sent_files_.end() || ended_)
          return;
        it->second.sent = sent;
        observer_->OnFileSending(it->second);
      });
    };
    callbacks.finished = [this](uint32_t id, Result<void> result) {
      Post([this, id, result = std::move(result)] {
        const bool ok = result.has_value();
        const std::string why = ok ? "" : result.error().message;
        if (policy_)
          policy_->OutgoingFileFinished(id, ok, why);
        EndSentFile(id, ok ? SentFile::State::kDone : SentFile::State::kFailed,
                    ok ? "" : why);
      });
    };
    return callbacks;
  }

  void OnFilePrepared(uint32_t file_id,
                      const Result<protocol::PreparedFile>& prepared) {
    auto it = sent_files_.find(file_id);
    if (it == sent_files_.end() ||
        it->second.state != SentFile::State::kPreparing) {
      return;  // cancelled meanwhile
    }
    if (!prepared) {
      outgoing_->Cancel(file_id, "");
      EndSentFile(file_id, SentFile::State::kFailed, prepared.error().message);
      return;
    }
    it->second.name = prepared->name;
    it->second.size = prepared->size;
    if (ended_ || !policy_->OfferFile(file_id, prepared->name, prepared->size,
                                      prepared->sha256)) {
      outgoing_->Cancel(file_id, "");
      EndSentFile(file_id, SentFile::State::kFailed,
                  "The file could not be offered.");
      return;
    }
    it->second.state = SentFile::State::kWaiting;
    observer_->OnFileSending(it->second);
  }

  // The last report of `file_id`; forgets it.
  void EndSentFile(uint32_t file_id,
                   SentFile::State state,
                   const std::string& message) {
    auto it = sent_files_.find(file_id);
    if (it == sent_files_.end())
      return;
    SentFile file = std::move(it->second);
    sent_files_.erase(it);
    file.state = state;
    file.message = message;
    if (!ended_)
      observer_->OnFileSending(file);
  }

  // A decoded picture is ready; `serial` names the receiver that made it,
  // so a picture of an earlier switch is never shown.
  void TakeTechnicianPicture(uint64_t serial) {
    if (ended_ || !technician_screen_ || serial != technician_screen_serial_ ||
        !policy_->grants().viewing_technician) {
      return;
    }
    if (auto picture = technician_screen_->TakePicture())
      observer_->OnTechnicianPicture(std::move(picture->frame));
  }

  void SendMonitorList() {
    auto monitors = views_->Monitors();
    if (!monitors) {
      log::Info("screen: no monitor list: {}", monitors.error().message);
      return;
    }
    proto::PeerMessage message;
    *message.mutable_monitor_list() = *std::move(monitors);
    Send(std::move(message));
  }

  CustomerSession::Options options_;
  ConsentProvider* consent_;
  CustomerSession::Observer* observer_;
  const Clock& clock_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);

  std::unique_ptr<protocol::FileReceiver> files_;
  // The customer's own files going to the technician.
  std::unique_ptr<protocol::FileSender> outgoing_;
  std::map<uint32_t, SentFile> sent_files_;
  uint32_t next_file_id_ = 1;
  std::unique_ptr<InputGate> gate_;
  std::unique_ptr<ViewDescriber> views_;
  std::unique_ptr<streaming::ScreenSender> sender_;
  int desktop_asking_ = 0;  // the desktop's dialogs open (app thread)
  codec::Codec preferred_codec_ = codec::Codec::kVp9;
  // Decodes the technician's screen during a view switch; joined before
  // the engine it acks through.
  std::unique_ptr<streaming::VideoReceiver> technician_screen_;
  uint64_t technician_screen_serial_ = 0;
  std::unique_ptr<CustomerPolicy> policy_;
  std::unique_ptr<protocol::PeerSession> engine_;
  std::unique_ptr<desktop::GlobalHotkey> hotkey_;
  TimerThread terms_timer_;

  std::atomic<bool> emergency_{false};
  bool ended_ = false;
  bool ending_ = false;
  std::string end_message_;
};

}  // namespace

Result<std::unique_ptr<CustomerSession>> StartCustomerSession(
    CustomerSession::Options options,
    ConsentProvider* consent,
    CustomerSession::Observer* observer,
    SessionParts parts) {
  if (consent == nullptr || observer == nullptr)
    return MakeError("a session needs a consent provider and an observer");
  if (!options.deliver)
    return MakeError("a session needs Options::deliver (the app's thread)");
  if (!parts.start_engine)
    return MakeError("a session needs an engine");
  if (!IsEightDigits(options.code))
    return MakeError("the session code must be 8 digits");
  const Clock& clock = parts.clock != nullptr ? *parts.clock : Clock::System();
  auto session = std::make_unique<CustomerSessionImpl>(
      std::move(options), consent, observer, clock);
  TETHER_RETURN_IF_ERROR(session->Init(std::move(parts)));
  return std::unique_ptr<CustomerSession>(std::move(session));
}

}  // namespace tether::customer
