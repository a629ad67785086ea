// tether-customer: the one-shot app the customer runs to be helped. It reads
// the config IT placed beside it, asks for the technician's code, and shows
// every prompt; it installs nothing, starts nothing at login and exits when
// the session ends. There is deliberately no option that skips a prompt or
// hides a window.

#include <QApplication>
#include <QDir>
#include <QFileInfo>

#include <optional>
#include <string>

#include "app-ui/app_startup.h"
#include "customer-app/core/customer_session.h"
#include "customer-app/ui/customer_app.h"
#include "customer-app/ui/style.h"
#include "protocol/relay_overrides.h"

namespace {

using tether::customer::CustomerConfig;

constexpr char kDefaultConfigName[] = "tether-customer.toml";

}  // namespace

int main(int argc, char** argv) {
  const tether::app_ui::AppIdentity identity{
      .program = "tether-customer",
      .display_name = QStringLiteral("Tether"),
      .description = QStringLiteral(
          "Remote support from your company's IT: enter the code your "
          "technician gives you."),
      .relay_name = QStringLiteral("support server"),
      .start_failure_advice = QStringLiteral("Please call your IT department."),
  };
  tether::app_ui::AppCommandLine command_line(
      identity,
      QStringLiteral("Settings file (default: %1 beside this program).")
          .arg(QLatin1String(kDefaultConfigName)));
  if (std::optional<int> done = command_line.Parse(argc, argv))
    return *done;

  QApplication app(argc, argv);
  tether::app_ui::SetUpApplication(identity);
  tether::customer::ui::ApplyCustomerStyle(&app);
  auto fail = [&](const QString& why) {
    return tether::app_ui::FailToStart(identity, why);
  };

  // The settings IT ships beside the program; none at all is fine when the
  // command line names the server.
  CustomerConfig config;
  const std::optional<QString> given_config = command_line.config_file();
  const QString config_path =
      given_config ? *given_config
                   : QDir(QCoreApplication::applicationDirPath())
                         .filePath(QLatin1String(kDefaultConfigName));
  if (given_config || QFileInfo::exists(config_path)) {
    auto loaded = CustomerConfig::Load(config_path.toStdString());
    if (!loaded.has_value()) {
      return fail(QStringLiteral("The settings file %1 could not be read: %2")
                      .arg(config_path,
                           QString::fromStdString(loaded.error().message)));
    }
    config = std::move(*loaded);  // relative paths resolved by Load
  }

  if (auto applied = tether::protocol::ApplyRelayOverrides(
          command_line.relay_overrides(), config.relay);
      !applied) {
    return fail(QString::fromStdString(applied.error().message));
  }

  if (config.relay.host.empty()) {
    return fail(
        QStringLiteral(
            "No support server is set up: %1 is missing and no --relay was "
            "given.")
            .arg(config_path));
  }
  if (config.relay.fingerprint.empty() == config.relay.ca_file.empty()) {
    return fail(QStringLiteral(
        "The support server needs exactly one of a key fingerprint "
        "(fingerprint = \"sha256:...\") and a CA file (ca_file)."));
  }

  tether::customer::ui::CustomerApp::Options options;
  options.config = std::move(config);
  options.start_session = &tether::customer::CustomerSession::Start;
  tether::customer::ui::CustomerApp customer(std::move(options));
  QObject::connect(&customer, &tether::customer::ui::CustomerApp::finished,
                   &app, &QCoreApplication::quit, Qt::QueuedConnection);
  customer.Show();
  return app.exec();
}
