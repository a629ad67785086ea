#include "supporter-app/ui/session_window.h"

#include <QAction>
#include <QClipboard>
#include <QCloseEvent>
#include <QComboBox>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QFrame>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QPushButton>
#include <QStatusBar>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>

#include "app-ui/app_style.h"
#include "app-ui/display_text.h"
#include "app-ui/end_tone.h"
#include "supporter-app/ui/chat_panel.h"
#include "supporter-app/ui/remote_view.h"
#include "supporter-app/ui/style.h"
#include "supporter-app/ui/transfer_panel.h"

namespace tether::supporter::ui {
namespace {

constexpr int kStatusMessageMs = 6000;
constexpr char kModifiers[] = "Ctrl+Alt+Shift+";

QString ShortcutText(const char* key) {
  return QLatin1String(kModifiers) + QLatin1String(key);
}

// The sentence for the customer's answer to a request.
QString AnswerText(proto::Permission permission, bool granted) {
  switch (permission) {
    case proto::PERMISSION_VIEW_SCREEN:
      return granted ? QStringLiteral("The customer lets you see the screen.")
                     : QStringLiteral(
                           "The customer did not let you see the "
                           "screen.");
    case proto::PERMISSION_REMOTE_CONTROL:
      return granted ? QStringLiteral("The customer gave you control.")
                     : QStringLiteral(
                           "The customer did not give you "
                           "control.");
    case proto::PERMISSION_CLIPBOARD:
      return granted ? QStringLiteral(
                           "The customer allowed clipboard "
                           "sharing.")
                     : QStringLiteral(
                           "The customer did not allow clipboard "
                           "sharing.");
    case proto::PERMISSION_VIEW_SWITCH:
      return granted ? QStringLiteral("The customer is watching your screen.")
                     : QStringLiteral(
                           "The customer did not want to watch "
                           "your screen.");
    default:
      return granted ? QStringLiteral("The customer agreed.")
                     : QStringLiteral("The customer said no.");
  }
}

QString MonitorText(const proto::Monitor& monitor) {
  QString name = app_ui::DisplayText(monitor.name(), 40);
  if (name.isEmpty())
    name = QStringLiteral("Monitor %1").arg(monitor.index() + 1);
  QString text = QStringLiteral("%1 (%2\u00D7%3)")
                     .arg(name)
                     .arg(monitor.bounds().width())
                     .arg(monitor.bounds().height());
  if (monitor.primary())
    text += QStringLiteral(", primary");
  return text;
}

}  // namespace

SessionWindow::SessionWindow(SupporterSession* session,
                             RemoteInputSink* sink,
                             QWidget* parent)
    : QMainWindow(parent), session_(session), sink_(sink) {
  setObjectName(QStringLiteral("SessionWindow"));
  setWindowTitle(QStringLiteral("Tether session"));

  auto* central = new QWidget(this);
  auto* central_layout = new QVBoxLayout(central);
  central_layout->setContentsMargins(0, 0, 0, 0);
  central_layout->setSpacing(0);

  // Shown once the session is over, above the (dimmed) last picture.
  ended_banner_ = new QFrame(central);
  ended_banner_->setObjectName(QStringLiteral("ProblemBox"));
  auto* banner = new QHBoxLayout(ended_banner_);
  banner->setContentsMargins(16, 10, 16, 10);
  auto* banner_text = new QVBoxLayout;
  banner_text->setSpacing(2);
  ended_title_ = app_ui::TextLabel(QString(), kBodyPt + 1, true, ended_banner_);
  ended_text_ = app_ui::TextLabel(QString(), kBodyPt, false, ended_banner_);
  ended_session_log_ =
      app_ui::TextLabel(QString(), kSmallPt, false, ended_banner_);
  ended_session_log_->setProperty("role", QStringLiteral("secondary"));
  ended_session_log_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  banner_text->addWidget(ended_title_);
  banner_text->addWidget(ended_text_);
  banner_text->addWidget(ended_session_log_);
  banner->addLayout(banner_text, 1);
  auto* close_button = new QPushButton(QStringLiteral("Close"), ended_banner_);
  app_ui::SetButtonRole(close_button, "primary");
  connect(close_button, &QPushButton::clicked, this, &QWidget::close);
  banner->addWidget(close_button, 0, Qt::AlignVCenter);
  ended_banner_->hide();
  central_layout->addWidget(ended_banner_);

  view_ = new RemoteView(central);
  view_->SetInputSink(sink_);
  central_layout->addWidget(view_, 1);
  setCentralWidget(central);

  chat_ = new ChatPanel(this);
  chat_dock_ = new QDockWidget(QStringLiteral("Chat"), this);
  chat_dock_->setObjectName(QStringLiteral("ChatDock"));
  chat_dock_->setWidget(chat_);
  chat_dock_->setFeatures(QDockWidget::DockWidgetClosable |
                          QDockWidget::DockWidgetMovable);
  addDockWidget(Qt::RightDockWidgetArea, chat_dock_);
  transfers_ = new TransferPanel(this);
  transfer_dock_ = new QDockWidget(QStringLiteral("Files"), this);
  transfer_dock_->setObjectName(QStringLiteral("FilesDock"));
  transfer_dock_->setWidget(transfers_);
  transfer_dock_->setFeatures(QDockWidget::DockWidgetClosable |
                              QDockWidget::DockWidgetMovable);
  addDockWidget(Qt::RightDockWidgetArea, transfer_dock_);
  resizeDocks({chat_dock_}, {300}, Qt::Horizontal);

  connect(chat_, &ChatPanel::sendRequested, this, [this](const QString& text) {
    if (!ended_)
      session_->SendChat(text.toStdString());
  });
  connect(transfers_, &TransferPanel::sendFileRequested, this,
          &SessionWindow::OpenFileDialog);
  connect(transfers_, &TransferPanel::cancelRequested, this,
          [this](uint32_t file_id) {
            if (!ended_)
              session_->CancelFile(file_id);
          });
  connect(transfers_, &TransferPanel::acceptRequested, this,
          [this](uint32_t file_id) {
            if (!ended_)
              session_->AcceptFile(file_id);
          });
  connect(transfers_, &TransferPanel::declineRequested, this,
          [this](uint32_t file_id) {
            if (!ended_)
              session_->DeclineFile(file_id);
          });

  BuildToolBar();
  BuildStatusBar();
  UpdateControlUi();
  resize(1280, 800);
  view_->setFocus();
}

SessionWindow::~SessionWindow() = default;

QAction* SessionWindow::AddAction(const QString& text,
                                  const QString& tip,
                                  const char* key,
                                  void (SessionWindow::*slot)()) {
  auto* action = new QAction(text, this);
  if (key != nullptr) {
    action->setShortcut(QKeySequence(ShortcutText(key)));
    action->setToolTip(QStringLiteral("%1 (%2)").arg(tip, ShortcutText(key)));
  } else {
    action->setToolTip(tip);
  }
  if (slot != nullptr)
    connect(action, &QAction::triggered, this, slot);
  addAction(action);  // shortcuts work even when the toolbar is hidden
  return action;
}

void SessionWindow::BuildToolBar() {
  auto* bar = addToolBar(QStringLiteral("Session"));
  bar->setObjectName(QStringLiteral("SessionToolBar"));
  bar->setMovable(false);
  bar->setToolButtonStyle(Qt::ToolButtonTextOnly);
  bar->setFocusPolicy(Qt::NoFocus);

  control_action_ =
      AddAction(QStringLiteral("Request control"),
                QStringLiteral("Ask the customer for remote control, or give "
                               "it back"),
                "C", &SessionWindow::ToggleControl);
  bar->addAction(control_action_);
  control_button_ =
      qobject_cast<QToolButton*>(bar->widgetForAction(control_action_));
  if (control_button_ != nullptr)
    control_button_->setObjectName(QStringLiteral("ControlButton"));

  // Combinations the technician's own desktop would eat.
  auto* keys = new QMenu(this);
  ctrl_alt_del_action_ =
      AddAction(QStringLiteral("Ctrl+Alt+Del"),
                QStringLiteral("Send Ctrl+Alt+Del"), "D", nullptr);
  connect(ctrl_alt_del_action_, &QAction::triggered, this,
          [this] { view_->SendCombo(KeyCombo::kCtrlAltDelete); });
  alt_tab_action_ = AddAction(QStringLiteral("Alt+Tab"),
                              QStringLiteral("Send Alt+Tab"), "T", nullptr);
  connect(alt_tab_action_, &QAction::triggered, this,
          [this] { view_->SendCombo(KeyCombo::kAltTab); });
  super_action_ = AddAction(QStringLiteral("Super (Windows key)"),
                            QStringLiteral("Send the Super key"), "W", nullptr);
  connect(super_action_, &QAction::triggered, this,
          [this] { view_->SendCombo(KeyCombo::kSuper); });
  keys->addAction(ctrl_alt_del_action_);
  keys->addAction(alt_tab_action_);
  keys->addAction(super_action_);
  keys_button_ = new QToolButton(bar);
  keys_button_->setText(QStringLiteral("Keys"));
  keys_button_->setToolTip(QStringLiteral(
      "Send a key combination: Ctrl+Alt+Del (Ctrl+Alt+Shift+D), Alt+Tab "
      "(Ctrl+Alt+Shift+T), Super (Ctrl+Alt+Shift+W)"));
  keys_button_->setMenu(keys);
  keys_button_->setPopupMode(QToolButton::InstantPopup);
  keys_button_->setFocusPolicy(Qt::NoFocus);
  bar->addWidget(keys_button_);
  bar->addSeparator();

  monitor_combo_ = new QComboBox(bar);
  monitor_combo_->setObjectName(QStringLiteral("MonitorCombo"));
  monitor_combo_->setToolTip(QStringLiteral(
      "What to see: the whole desktop (Ctrl+Alt+Shift+0) or one monitor "
      "(Ctrl+Alt+Shift+1 \u2026 9)"));
  monitor_combo_->setFocusPolicy(Qt::NoFocus);
  monitor_combo_->addItem(QStringLiteral("Whole desktop"), -1);
  monitor_combo_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  bar->addWidget(monitor_combo_);
  connect(monitor_combo_, &QComboBox::activated, this, [this](int row) {
    if (ended_)
      return;
    proto::ViewTarget target;
    const int index = monitor_combo_->itemData(row).toInt();
    if (index < 0)
      target.set_whole_desktop(true);
    else
      target.set_monitor_index(static_cast<uint32_t>(index));
    session_->RequestView(target);
    Notice(
        QStringLiteral("Asked to see %1.").arg(monitor_combo_->itemText(row)));
  });
  for (int i = 0; i <= 9; ++i) {
    const QByteArray key = QByteArray::number(i);
    auto* action = AddAction(QString(), QString(), key.constData(), nullptr);
    connect(action, &QAction::triggered, this, [this, i] {
      // 0 is the whole desktop, n the n-th monitor in the list.
      if (i < monitor_combo_->count() && monitor_combo_->isEnabled()) {
        monitor_combo_->setCurrentIndex(i);
        emit monitor_combo_->activated(i);
      }
    });
    monitor_shortcuts_.push_back(action);
  }

  scale_action_ = AddAction(QStringLiteral("1:1"),
                            QStringLiteral("Show every pixel as it is (1:1, "
                                           "scroll) or fit the window"),
                            "F", nullptr);
  scale_action_->setCheckable(true);
  connect(scale_action_, &QAction::toggled, this, [this](bool actual) {
    view_->SetScale(actual ? RemoteView::Scale::kActualSize
                           : RemoteView::Scale::kFit);
  });
  bar->addAction(scale_action_);
  view_switch_action_ = AddAction(
      QStringLiteral("Show my screen"),
      QStringLiteral("Ask the customer to watch your screen"), "P", nullptr);
  connect(view_switch_action_, &QAction::triggered, this,
          &SessionWindow::ToggleShowMyScreen);
  bar->addAction(view_switch_action_);
  bar->addSeparator();

  send_file_action_ = AddAction(QStringLiteral("Send file\u2026"),
                                QStringLiteral("Offer a file to the customer"),
                                "U", &SessionWindow::OpenFileDialog);
  bar->addAction(send_file_action_);
  clipboard_action_ = AddAction(
      QStringLiteral("Send clipboard"),
      QStringLiteral("Put your clipboard's text on the customer's clipboard"),
      "V", &SessionWindow::SendClipboard);
  bar->addAction(clipboard_action_);
  chat_action_ =
      AddAction(QStringLiteral("Chat"), QStringLiteral("Write to the customer"),
                "M", nullptr);
  connect(chat_action_, &QAction::triggered, this, [this] {
    chat_dock_->show();
    chat_->FocusInput();
  });
  bar->addAction(chat_action_);
  release_action_ = AddAction(QString(), QString(), "K", nullptr);
  connect(release_action_, &QAction::triggered, this,
          [this] { chat_->FocusInput(); });
  bar->addSeparator();

  record_action_ = new QAction(QStringLiteral("Not recorded"), this);
  record_action_->setCheckable(true);
  record_action_->setEnabled(false);
  record_action_->setToolTip(QStringLiteral(
      "Recording is chosen before a session starts (\u201CRecord the next "
      "session\u201D in the main window), because the customer is told "
      "before agreeing."));
  bar->addAction(record_action_);

  auto* spacer = new QWidget(bar);
  spacer->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
  bar->addWidget(spacer);
  end_action_ =
      AddAction(QStringLiteral("End session"),
                QStringLiteral("End the session for both sides"), "E", nullptr);
  connect(end_action_, &QAction::triggered, this, [this] {
    if (!ended_)
      session_->End();
  });
  bar->addAction(end_action_);
  if (QWidget* end_button = bar->widgetForAction(end_action_))
    end_button->setObjectName(QStringLiteral("EndButton"));
}

void SessionWindow::BuildStatusBar() {
  QStatusBar* bar = statusBar();
  customer_label_ = new QLabel(bar);
  customer_label_->setTextFormat(Qt::PlainText);
  control_badge_ = new QLabel(bar);
  control_badge_->setObjectName(QStringLiteral("ControlBadge"));
  grants_label_ = new QLabel(bar);
  grants_label_->setObjectName(QStringLiteral("GrantsLabel"));
  sas_label_ = new QLabel(bar);
  sas_label_->setObjectName(QStringLiteral("StatusSas"));
  sas_label_->setToolTip(
      QStringLiteral("Security code: the customer's screen shows the same"));
  stats_label_ = new QLabel(QStringLiteral("\u2013 fps"), bar);
  stats_label_->setObjectName(QStringLiteral("StatsLabel"));
  stats_label_->setToolTip(QStringLiteral(
      "Frames per second shown, bandwidth, round trip to the customer, "
      "time to decode one frame"));
  record_badge_ = new QLabel(bar);
  record_badge_->setObjectName(QStringLiteral("RecordBadge"));
  bar->addPermanentWidget(customer_label_);
  bar->addPermanentWidget(grants_label_);
  bar->addPermanentWidget(control_badge_);
  bar->addPermanentWidget(record_badge_);
  bar->addPermanentWidget(sas_label_);
  bar->addPermanentWidget(stats_label_);
  SetGrants({});
}

void SessionWindow::SetCustomer(const QString& description) {
  // The status bar is crowded: the full line is in the title and tooltip.
  customer_label_->setText(description.section(QStringLiteral(" ("), 0, 0));
  customer_label_->setToolTip(description);
  setWindowTitle(QStringLiteral("%1 \u2014 Tether session").arg(description));
}

void SessionWindow::SetSas(const QString& sas) {
  sas_label_->setText(QStringLiteral("SAS %1").arg(sas));
}

void SessionWindow::SetGrants(const CustomerGrants& grants) {
  const bool had_control = grants_.control;
  const bool was_showing = grants_.showing_my_screen;
  grants_ = grants;
  QStringList allowed;
  if (grants.viewing)
    allowed << QStringLiteral("viewing");
  if (grants.control)
    allowed << QStringLiteral("control");
  if (grants.clipboard)
    allowed << QStringLiteral("clipboard");
  if (grants.view_switch)
    allowed << QStringLiteral("sees your screen");
  grants_label_->setText(allowed.isEmpty()
                             ? QStringLiteral("Allowed: nothing yet")
                             : QStringLiteral("Allowed: %1")
                                   .arg(allowed.join(QStringLiteral(", "))));
  grants_label_->setToolTip(
      QStringLiteral("What the customer allowed in this session"));
  if (had_control && !grants.control && !ended_)
    Notice(QStringLiteral("Remote control ended."));
  if (!was_showing && grants.showing_my_screen && !ended_)
    Notice(QStringLiteral("The customer now sees your screen."));
  if (was_showing && !grants.showing_my_screen && !ended_)
    Notice(QStringLiteral("The customer no longer sees your screen."));
  if (grants.control)
    control_pending_ = false;
  UpdateControlUi();
}

void SessionWindow::SetViewOnly() {
  if (view_only_)
    return;
  view_only_ = true;
  Notice(QStringLiteral(
      "View only \u2014 the customer is in a browser: you see the screen, "
      "remote control is not possible."));
  UpdateControlUi();
}

void SessionWindow::UpdateControlUi() {
  const bool control = grants_.control && !ended_ && !view_only_;
  view_->SetControl(control);
  control_action_->setEnabled(!ended_ && !control_pending_ && !view_only_);
  control_action_->setText(
      view_only_ ? QStringLiteral("View only \u2014 customer in a browser")
      : control  ? QStringLiteral("Give back control")
      : control_pending_ ? QStringLiteral("Asking for control\u2026")
                         : QStringLiteral("Request control"));
  for (QAction* action : {ctrl_alt_del_action_, alt_tab_action_, super_action_})
    action->setEnabled(control);
  keys_button_->setEnabled(control);
  if (control_button_ != nullptr) {
    control_button_->setProperty("control", control ? "on" : "off");
    app_ui::Repolish(control_button_);
  }
  control_badge_->setText(control ? QStringLiteral(" You are in control ")
                                  : QString());
  control_badge_->setVisible(control);
  control_badge_->setProperty("control", control ? "on" : "off");
  app_ui::Repolish(control_badge_);
  for (QAction* action : {send_file_action_, clipboard_action_, end_action_})
    action->setEnabled(!ended_);
  UpdateShowMyScreenUi();
  monitor_combo_->setEnabled(!ended_);
  chat_->SetEnabledForSession(!ended_);
  transfers_->SetEnabledForSession(!ended_);
}

void SessionWindow::ToggleShowMyScreen() {
  if (ended_)
    return;
  if (grants_.showing_my_screen) {
    session_->ShowMyScreen(false);
    return;  // OnGrantsChanged follows
  }
  if (grants_.view_switch) {
    session_->ShowMyScreen(true);
    return;
  }
  if (view_switch_pending_)
    return;
  // Asked first; the grant starts the showing (OnAnswer).
  view_switch_pending_ = true;
  session_->RequestViewSwitch();
  Notice(QStringLiteral("Asked the customer to watch your screen."));
  UpdateControlUi();
}

void SessionWindow::UpdateShowMyScreenUi() {
  const bool showing = grants_.showing_my_screen && !ended_;
  view_switch_action_->setText(
      showing                ? QStringLiteral("Stop showing my screen")
      : view_switch_pending_ ? QStringLiteral("Asking to show\u2026")
                             : QStringLiteral("Show my screen"));
  view_switch_action_->setToolTip(
      showing ? QStringLiteral("The customer sees your screen; stop showing it")
      : grants_.view_switch
          ? QStringLiteral("Show your screen to the customer")
          : QStringLiteral("Ask the customer to watch your screen"));
  view_switch_action_->setEnabled(!ended_ && !view_switch_pending_);
}

void SessionWindow::ToggleControl() {
  if (ended_)
    return;
  if (grants_.control) {
    session_->GiveBackControl();
    return;  // OnGrantsChanged follows
  }
  if (control_pending_)
    return;
  control_pending_ = true;
  session_->RequestControl();
  UpdateControlUi();
}

void SessionWindow::OnAnswer(proto::Permission permission, bool granted) {
  if (permission == proto::PERMISSION_REMOTE_CONTROL) {
    control_pending_ = false;
    UpdateControlUi();
  }
  if (permission == proto::PERMISSION_VIEW_SWITCH && view_switch_pending_) {
    view_switch_pending_ = false;
    UpdateShowMyScreenUi();
    if (granted && !ended_) {
      // The technician pressed "Show my screen": the grant starts it.
      session_->ShowMyScreen(true);
    }
  }
  if (permission == proto::PERMISSION_CLIPBOARD && clipboard_pending_) {
    clipboard_pending_ = false;
    if (granted) {
      grants_.clipboard = true;
      SendClipboard();
      return;
    }
  }
  if (permission == proto::PERMISSION_SEND_FILE)
    return;  // the file's row says it
  Notice(AnswerText(permission, granted));
}

void SessionWindow::SetMonitors(const std::vector<proto::Monitor>& monitors) {
  const QVariant current = monitor_combo_->currentData();
  monitor_combo_->clear();
  monitor_combo_->addItem(QStringLiteral("Whole desktop"), -1);
  for (const proto::Monitor& monitor : monitors) {
    monitor_combo_->addItem(MonitorText(monitor),
                            static_cast<int>(monitor.index()));
  }
  const int row = monitor_combo_->findData(current);
  monitor_combo_->setCurrentIndex(row < 0 ? 0 : row);
}

void SessionWindow::SetPicture(const RemotePicture& picture) {
  if (!ended_)
    view_->SetPicture(picture);
}

void SessionWindow::SetCursor(const proto::CursorPosition& position) {
  view_->SetRemoteCursor(position.x(), position.y());
}

void SessionWindow::SetStats(const VideoStats& stats) {
  stats_label_->setText(
      QStringLiteral("%1 fps \u00B7 %2 kbit/s \u00B7 RTT %3 ms \u00B7 "
                     "decode %4 ms")
          .arg(stats.frames_per_second, 0, 'f', 0)
          .arg(stats.kilobits_per_second, 0, 'f', 0)
          .arg(stats.round_trip_ms, 0, 'f', 0)
          .arg(stats.decode_ms, 0, 'f', 1));
}

void SessionWindow::AddChat(const std::string& text, bool from_me) {
  chat_->AddMessage(app_ui::DisplayText(text, 2000), from_me);
  if (!from_me && chat_dock_->isHidden())
    chat_dock_->show();  // an unseen message from the customer is a miss
}

void SessionWindow::UpdateTransfer(const FileTransfer& transfer) {
  transfer_dock_->show();
  transfers_->Update(transfer);
}

void SessionWindow::SetRecording(bool on, const QString& path) {
  record_action_->setChecked(on);
  record_action_->setText(on ? QStringLiteral("\u25CF Recording")
                             : QStringLiteral("Not recorded"));
  record_badge_->setText(on ? QStringLiteral("\u25CF REC") : QString());
  record_badge_->setVisible(on);
  record_badge_->setToolTip(path);
  record_badge_->setProperty("recording", on ? "on" : "off");
  app_ui::Repolish(record_badge_);
}

void SessionWindow::ShowEnded(const EndText& text,
                              const QString& session_log_path) {
  ended_ = true;
  control_pending_ = false;
  clipboard_pending_ = false;
  view_->SetEnded();
  if (file_dialog_ != nullptr)
    file_dialog_->reject();
  app_ui::SetTone(ended_banner_, text.tone);
  ended_title_->setText(text.title);
  ended_text_->setText(text.details);
  ended_text_->setVisible(!text.details.isEmpty());
  ended_session_log_->setText(
      QStringLiteral("Session log: %1").arg(session_log_path));
  ended_session_log_->setVisible(!session_log_path.isEmpty());
  ended_banner_->show();
  UpdateControlUi();
  stats_label_->setText(QStringLiteral("ended"));
}

bool SessionWindow::ended_banner_visible() const {
  return !ended_banner_->isHidden();
}

void SessionWindow::OpenFileDialog() {
  if (ended_)
    return;
  if (file_dialog_ != nullptr) {
    file_dialog_->raise();
    file_dialog_->activateWindow();
    return;
  }
  // open(), not exec(): the picture keeps updating while the technician
  // chooses.
  file_dialog_ = new QFileDialog(this, QStringLiteral("Send a file to the "
                                                      "customer"));
  file_dialog_->setFileMode(QFileDialog::ExistingFile);
  file_dialog_->setAttribute(Qt::WA_DeleteOnClose);
  connect(file_dialog_, &QFileDialog::fileSelected, this,
          &SessionWindow::SendFile);
  connect(file_dialog_, &QObject::destroyed, this,
          [this] { file_dialog_ = nullptr; });
  file_dialog_->open();
}

void SessionWindow::SendFile(const QString& path) {
  if (ended_ || path.isEmpty())
    return;
  Result<uint32_t> offered =
      session_->SendFile(std::filesystem::path(path.toStdString()));
  if (!offered.has_value()) {
    transfers_->AddFailure(QFileInfo(path).fileName(),
                           QString::fromStdString(offered.error().message));
    transfer_dock_->show();
  }
  // Otherwise OnTransfer (kAsking) adds the row.
}

void SessionWindow::SendClipboard() {
  if (ended_)
    return;
  if (!grants_.clipboard) {
    // Ask first; the text is read when the customer has said yes, so the
    // newest copy goes.
    if (!clipboard_pending_) {
      clipboard_pending_ = true;
      session_->RequestClipboard();
      Notice(QStringLiteral("Asked the customer to allow clipboard sharing."));
    }
    return;
  }
  const QClipboard* clipboard = QGuiApplication::clipboard();
  const QString text = clipboard != nullptr ? clipboard->text() : QString();
  if (text.isEmpty()) {
    statusBar()->showMessage(QStringLiteral("Your clipboard has no text."),
                             kStatusMessageMs);
    return;
  }
  session_->SendClipboard(text.toStdString());
  Notice(
      QStringLiteral("Sent your clipboard (%1 characters).").arg(text.size()));
}

void SessionWindow::Notice(const QString& text) {
  // The chat is the session's running record; the status bar only when
  // the chat is closed (its permanent fields leave little room).
  chat_->AddNotice(text);
  if (chat_dock_->isHidden())
    statusBar()->showMessage(text, kStatusMessageMs);
}

void SessionWindow::closeEvent(QCloseEvent* event) {
  if (!ended_)
    session_->End();  // OnEnded follows; the main window shows the reason
  event->accept();
  emit closed();
}

}  // namespace tether::supporter::ui
