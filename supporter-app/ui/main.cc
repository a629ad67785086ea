// tether-supporter: the technician's console. Reads tether-supporter.toml
// (beside the program, ~/.config/tether/, or --config), lets command-line
// options override the relay, and shows the sign-in form.

#include <QApplication>
#include <QCommandLineOption>

#include <optional>
#include <string>

#include "app-ui/app_startup.h"
#include "protocol/relay_overrides.h"
#include "supporter-app/core/supporter_session.h"
#include "supporter-app/ui/mapped_input_sink.h"
#include "supporter-app/ui/style.h"
#include "supporter-app/ui/supporter_app.h"

using tether::supporter::SupporterConfig;

int main(int argc, char** argv) {
  const tether::app_ui::AppIdentity identity{
      .program = "tether-supporter",
      .display_name = QStringLiteral("Tether supporter"),
      .description =
          QStringLiteral("The technician's console for Tether remote support."),
      .relay_name = QStringLiteral("relay"),
      .start_failure_advice = {},
  };
  tether::app_ui::AppCommandLine command_line(
      identity,
      QStringLiteral("Settings file (default: tether-supporter.toml "
                     "beside this program or in ~/.config/tether/)."));
  const QCommandLineOption user_option(
      QStringLiteral("user"), QStringLiteral("User name for the sign-in form."),
      QStringLiteral("name"));
  const QCommandLineOption protocol_option(
      QStringLiteral("protocol-dir"),
      QStringLiteral("Folder for session logs and recordings."),
      QStringLiteral("dir"));
  command_line.AddOption(user_option);
  command_line.AddOption(protocol_option);
  if (std::optional<int> done = command_line.Parse(argc, argv))
    return *done;

  QApplication app(argc, argv);
  tether::app_ui::SetUpApplication(identity);
  tether::supporter::ui::ApplySupporterStyle(&app);
  auto fail = [&](const QString& why) {
    return tether::app_ui::FailToStart(identity, why);
  };

  // An empty path lets Load look in its default places.
  auto loaded = SupporterConfig::Load(
      command_line.config_file().value_or(QString()).toStdString());
  if (!loaded.has_value()) {
    return fail(QStringLiteral("The settings could not be read: %1")
                    .arg(QString::fromStdString(loaded.error().message)));
  }
  SupporterConfig config = std::move(*loaded);
  if (auto applied = tether::protocol::ApplyRelayOverrides(
          command_line.relay_overrides(), config.relay);
      !applied) {
    return fail(QString::fromStdString(applied.error().message));
  }
  if (command_line.IsSet(user_option))
    config.user_name = command_line.Value(user_option).toStdString();
  if (command_line.IsSet(protocol_option))
    config.protocol_dir = command_line.Value(protocol_option).toStdString();

  if (config.relay.host.empty()) {
    return fail(QStringLiteral(
        "No relay is set up: put relay settings in tether-supporter.toml or "
        "pass --relay."));
  }
  if (config.relay.fingerprint.empty() == config.relay.ca_file.empty()) {
    return fail(QStringLiteral(
        "The relay needs exactly one of a key fingerprint (fingerprint = "
        "\"sha256:...\") and a CA file (ca_file)."));
  }

  tether::supporter::ui::SupporterApp::Options options;
  options.config = std::move(config);
  options.start_session = &tether::supporter::SupporterSession::Start;
  options.make_input_sink = [](tether::supporter::SupporterSession* session)
      -> std::unique_ptr<tether::supporter::ui::RemoteInputSink> {
    return std::make_unique<tether::supporter::ui::MappedInputSink>(session);
  };
  tether::supporter::ui::SupporterApp supporter(std::move(options));
  QObject::connect(&supporter, &tether::supporter::ui::SupporterApp::finished,
                   &app, &QCoreApplication::quit, Qt::QueuedConnection);
  supporter.Show();
  return app.exec();
}
