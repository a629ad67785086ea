#pragma once

// The customer's answers to the technician's requests. The shipped app
// implements this with real dialogs (customer-app/ui); tests implement it
// with a scripted provider. There is no other implementation: nothing in
// the app answers "yes" on the customer's behalf.
//
// Every Ask*() shows one prompt and calls `answer` exactly once, on the
// thread the session delivers on, unless CloseAll() came first. Prompts are
// asynchronous so the UI never blocks the session (and STOP keeps working
// while a prompt is open).

#include <cstdint>
#include <functional>
#include <string>

#include "protocol/peer.pb.h"

namespace tether::customer {

using Answer = std::function<void(bool granted)>;

// The first prompt: the SAS check and the support terms, in one decision.
struct TermsPrompt {
  std::string sas;  // "482913"; shown as "482 913"
  std::string technician;
  std::string organisation;
  std::string terms_text;  // shown in full
  bool recording = false;  // the technician records the session
};

// One permission the technician asks for.
struct PermissionPrompt {
  proto::Permission permission = proto::PERMISSION_UNSPECIFIED;
  std::string technician;
  std::string reason;  // the technician's own words, may be empty
  // PERMISSION_VIEW_SCREEN: what would be shown, in words ("your whole
  // screen", "monitor 2 (HDMI-1)", "the window “Invoice.pdf”").
  std::string view_description;
  // PERMISSION_VIEW_SCREEN and PERMISSION_REMOTE_CONTROL: after a yes the
  // desktop's own dialog asks too (Wayland), so the prompt says what comes.
  bool desktop_asks_next = false;
  // PERMISSION_SEND_FILE: the sanitised name, size and where it will be
  // saved if allowed.
  std::string file_name;
  uint64_t file_size = 0;
  std::string file_destination;
};

class ConsentProvider {
 public:
  virtual ~ConsentProvider() = default;
  virtual void AskTerms(const TermsPrompt& prompt, Answer answer) = 0;
  virtual void AskPermission(const PermissionPrompt& prompt, Answer answer) = 0;
  // The session ended: close every open prompt; its answer is never called.
  virtual void CloseAll() = 0;
};

}  // namespace tether::customer
