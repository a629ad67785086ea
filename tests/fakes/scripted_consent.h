#pragma once

// A ConsentProvider for tests: it records every prompt and answers as the
// test scripts it, at once or later. Test-only: the shipped app has no
// provider that answers on the customer's behalf.

#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "customer-app/core/consent_provider.h"

namespace tether::test {

class ScriptedConsent final : public customer::ConsentProvider {
 public:
  enum class Mode {
    kAnswerAtOnce,  // answers inside Ask*() from the script
    kHold,          // keeps the prompt open until Answer()
  };

  explicit ScriptedConsent(Mode mode = Mode::kAnswerAtOnce) : mode_(mode) {}

  // The terms answer, and what to say to permissions, in order; when the
  // script runs dry, `fallback`.
  void set_terms_answer(bool accept) { terms_answer_ = accept; }
  // Decides the terms prompt (e.g. compares the SAS with the technician's).
  void set_terms_decider(
      std::function<bool(const customer::TermsPrompt&)> decider) {
    terms_decider_ = std::move(decider);
  }
  void Script(std::vector<bool> answers) {
    answers_.assign(answers.begin(), answers.end());
  }
  void set_fallback(bool answer) { fallback_ = answer; }
  // Answer a permission per prompt (overrides the script when set).
  void set_decider(
      std::function<bool(const customer::PermissionPrompt&)> decider) {
    decider_ = std::move(decider);
  }

  void AskTerms(const customer::TermsPrompt& prompt,
                customer::Answer answer) override {
    terms_prompts.push_back(prompt);
    if (mode_ == Mode::kHold) {
      held_terms_ = std::move(answer);
      return;
    }
    answer(terms_decider_ ? terms_decider_(prompt) : terms_answer_);
  }

  void AskPermission(const customer::PermissionPrompt& prompt,
                     customer::Answer answer) override {
    prompts.push_back(prompt);
    ++open_;
    if (mode_ == Mode::kHold) {
      held_.push_back(std::move(answer));
      return;
    }
    const bool granted = Decide(prompt);
    --open_;
    answer(granted);
  }

  void CloseAll() override {
    ++close_all_calls;
    held_.clear();
    held_terms_ = nullptr;
    open_ = 0;
  }

  // kHold: answers the oldest open permission prompt. False if none.
  bool Answer(bool granted) {
    if (held_.empty())
      return false;
    customer::Answer answer = std::move(held_.front());
    held_.pop_front();
    --open_;
    answer(granted);
    return true;
  }
  bool AnswerTerms(bool accept) {
    if (!held_terms_)
      return false;
    customer::Answer answer = std::move(held_terms_);
    held_terms_ = nullptr;
    answer(accept);
    return true;
  }
  size_t open_prompts() const { return held_.size(); }
  bool terms_open() const { return static_cast<bool>(held_terms_); }

  std::vector<customer::TermsPrompt> terms_prompts;
  std::vector<customer::PermissionPrompt> prompts;
  int close_all_calls = 0;

 private:
  bool Decide(const customer::PermissionPrompt& prompt) {
    if (decider_)
      return decider_(prompt);
    if (answers_.empty())
      return fallback_;
    const bool granted = answers_.front();
    answers_.pop_front();
    return granted;
  }

  Mode mode_;
  bool terms_answer_ = true;
  bool fallback_ = false;
  std::deque<bool> answers_;
  std::function<bool(const customer::PermissionPrompt&)> decider_;
  std::function<bool(const customer::TermsPrompt&)> terms_decider_;
  std::deque<customer::Answer> held_;
  customer::Answer held_terms_;
  int open_ = 0;
};

}  // namespace tether::test
