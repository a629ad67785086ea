#pragma once

// What both apps' main.cc do before their own windows: read the command
// line (before QApplication exists, so --help and --version work without a
// display), name the application, set up logging, and tell the user when
// the app cannot start.

#include <optional>

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QList>
#include <QString>

#include "protocol/relay_overrides.h"

namespace tether::app_ui {

// Who the app is, in the words its command line and messages use.
struct AppIdentity {
  const char* program = "";  // "tether-customer": --version, the log
  QString display_name;      // "Tether": window titles
  QString description;       // the first line of --help
  QString relay_name;        // "support server": what --help calls the relay
  // Follows the reason in the box that says the app cannot start.
  QString start_failure_advice;
};

// The options both apps take — --config, --relay, --fingerprint,
// --ca-file and --proxy (protocol/relay_overrides), --help, --version —
// and the app's own.
class AppCommandLine {
 public:
  AppCommandLine(const AppIdentity& identity, const QString& config_help);
  AppCommandLine(const AppCommandLine&) = delete;
  AppCommandLine& operator=(const AppCommandLine&) = delete;

  // One of the app's own, listed in --help after the relay's.
  void AddOption(const QCommandLineOption& option);

  // Reads the arguments and answers --help, --version and a wrong argument.
  // Returns the exit code when the program is done, nothing when it goes on.
  std::optional<int> Parse(int argc, char** argv);

  bool IsSet(const QCommandLineOption& option) const;
  QString Value(const QCommandLineOption& option) const;
  // --config, when given.
  std::optional<QString> config_file() const;
  // --relay, --fingerprint, --ca-file and --proxy as given.
  protocol::RelayOverrides relay_overrides() const;

 private:
  void PrintHelp() const;

  const AppIdentity identity_;
  QCommandLineParser parser_;
  const QCommandLineOption help_;
  const QCommandLineOption version_;
  const QCommandLineOption config_;
  const QCommandLineOption relay_;
  const QCommandLineOption fingerprint_;
  const QCommandLineOption ca_file_;
  const QCommandLineOption proxy_;
  QList<QCommandLineOption> own_;
};

// Once the QApplication exists: its names and version, the log under the
// program's name, protobuf's complaints into that log. The app quits when
// it says so, not when its last window closes.
void SetUpApplication(const AppIdentity& identity);

// Logs why the app cannot start and says so in a message box, with the
// advice; returns the exit code (2).
int FailToStart(const AppIdentity& identity, const QString& why);

}  // namespace tether::app_ui
