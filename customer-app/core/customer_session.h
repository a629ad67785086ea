#pragma once

// One support session on the customer's side: the facade the customer UI
// drives. It connects with the code, asks the ConsentProvider for every
// permission, and only then captures, encodes and sends the screen, injects
// input or accepts files (CustomerPolicy decides; this class wires the
// policy to the engine, the capturer, the encoder and the injector).
//
// Threads: construct, call and destroy on the app's thread (the one
// `deliver` posts to); Observer and ConsentProvider calls come on it too.
// Capture+encode and input injection run on threads this class owns.
// EmergencyStop() is the exception: it may be called from any thread (the
// global hotkey's) and blocks the injector before it returns.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "customer-app/core/consent_provider.h"
#include "desktop/desktop_frame.h"
#include "protocol/peer_session.h"

namespace tether::customer {

struct CustomerConfig {
  protocol::RelayEndpoint relay;
  std::string organisation;  // shown on the start window before connecting
  std::string logo_path;     // optional PNG/SVG beside the config
  std::string display;       // X11 display; empty: $DISPLAY
  std::string download_dir;  // received files; default ~/Downloads
  // Larger offers are refused before the customer is asked.
  uint64_t max_file_size = uint64_t{2} << 30;  // 2 GiB
  // Loads `tether-customer.toml` (beside the binary, or `path`); fields the
  // file does not set keep their defaults. Size-limited, strict parser.
  static Result<CustomerConfig> Load(const std::string& path);
};

// What the technician may do right now, for the panel and the border.
struct Grants {
  bool viewing = false;
  bool control = false;
  bool files = false;  // at least one file was allowed this session
  bool clipboard = false;
  bool viewing_technician = false;  // view switch active
  // Wayland: the desktop's own dialog for an allowed view or control is
  // open (the technician gets nothing of it until the customer answers).
  bool desktop_asking = false;
};

// A file the customer sends to the technician, as the panel shows it.
struct SentFile {
  enum class State {
    kPreparing,  // being read and hashed
    kWaiting,    // offered; the technician has not answered yet
    kSending,
    kDone,
    kDeclined,   // the technician did not take it
    kCancelled,  // stopped by the customer, the technician or the end
    kFailed,
  };
  uint32_t file_id = 0;
  std::string name;
  uint64_t size = 0;
  uint64_t sent = 0;
  State state = State::kPreparing;
  std::string message;  // why it ended, in plain words; empty while going
};

// One line of the receipt: what happened when, in plain words.
struct ReceiptEntry {
  std::chrono::system_clock::time_point at;
  std::string
      text;  // "You allowed remote control.", "File “a.pdf” (12 KB) saved to …"
};

class CustomerSession {
 public:
  class Observer {
   public:
    virtual ~Observer() = default;
    virtual void OnStateChanged(protocol::SessionState /*state*/) {}
    // The technician's name once the relay reports the join was accepted.
    virtual void OnTechnician(const std::string& /*name*/,
                              const std::string& /*organisation*/) {}
    virtual void OnSas(const std::string& /*sas*/) {}
    virtual void OnGrantsChanged(const Grants& /*grants*/) {}
    virtual void OnChat(const std::string& /*text*/, bool /*from_me*/) {}
    // Text the technician put on the clipboard, once the customer allowed
    // clipboard sharing (the UI sets it as the local clipboard).
    virtual void OnClipboard(const std::string& /*text*/) {}
    // The newest picture of the technician's screen while the customer
    // watches it (Grants::viewing_technician); earlier ones not yet shown
    // were dropped. BGRX, decoded off the app thread.
    virtual void OnTechnicianPicture(
        std::shared_ptr<const desktop::DesktopFrame> /*picture*/) {}
    // A received file was verified and saved (or failed, with the reason).
    virtual void OnFileReceived(const std::string& /*path*/,
                                bool /*ok*/,
                                const std::string& /*message*/) {}
    // A file the customer sends changed state or made progress.
    virtual void OnFileSending(const SentFile& /*file*/) {}
    // The last call: the session is over; the app shows `end.message`
    // ("Session ended by you", "The connection was lost", ...) and exits.
    virtual void OnEnded(const protocol::SessionEnd& end) = 0;
  };

  struct Options {
    CustomerConfig config;
    std::string code;  // 8 digits, already validated by the UI
    std::string host_name;
    std::string user_name;
    std::function<void(std::function<void()>)> deliver;
    // Grab the global STOP hotkey (Ctrl+Alt+Shift+S) for the session's
    // lifetime and wire it to EmergencyStop(). Off only when the app grabs
    // it itself (one grab per display can exist).
    bool stop_hotkey = true;
  };

  static Result<std::unique_ptr<CustomerSession>>
  Start(Options options, ConsentProvider* consent, Observer* observer);
  virtual ~CustomerSession() = default;
  CustomerSession(const CustomerSession&) = delete;
  CustomerSession& operator=(const CustomerSession&) = delete;

  // STOP: blocks the injector (synchronously, before returning), stops
  // capture, sends EmergencyStop, closes the connection. OnEnded() follows
  // with "Session ended by you". Safe from any thread, idempotent.
  virtual void EmergencyStop() = 0;
  // The customer takes control back (the panel's toggle).
  virtual void RevokeControl() = 0;
  // The customer stops watching the technician's screen ("Stop showing"):
  // the view switch is revoked, the technician is told, no more of its
  // frames are taken.
  virtual void RevokeViewSwitch() = 0;
  virtual void SendChat(std::string text) = 0;
  // Sends the customer's own file to the technician (no prompt: it is the
  // customer's choice; the technician's app accepts or declines). Only once
  // the customer agreed to the session. Returns the file's id for
  // CancelFile(); progress comes through Observer::OnFileSending.
  virtual Result<uint32_t> SendFile(const std::string& path) = 0;
  // Stops sending `file_id` (unknown or finished ids are ignored).
  virtual void CancelFile(uint32_t file_id) = 0;
  // The customer ends normally (closing the panel asks first, then this).
  virtual void End() = 0;

  virtual Grants grants() const = 0;
  // Everything granted, refused and transferred, in order, for the receipt.
  virtual std::vector<ReceiptEntry> receipt() const = 0;
  // Writes the receipt as readable text; an error names the path.
  virtual Result<void> SaveReceipt(const std::string& path) const = 0;
  // Whether the global STOP hotkey (Ctrl+Alt+Shift+S) is held for this
  // session; the panel names the hotkey only then.
  virtual bool stop_hotkey_active() const = 0;

 protected:
  CustomerSession() = default;
};

// Accepts "1234 5678", "12345678", "1234-5678" and pasted text around it;
// returns the 8 digits or an error saying what is wrong in plain words.
Result<std::string> NormalizeSessionCode(std::string_view typed);

}  // namespace tether::customer
