#include "customer-app/ui/session_panel.h"

#include <algorithm>

#include <QCheckBox>
#include <QCloseEvent>
#include <QFileDialog>
#include <QFrame>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScreen>
#include <QTimer>
#include <QVBoxLayout>

#include "app-ui/app_style.h"
#include "app-ui/display_text.h"
#include "customer-app/ui/style.h"

namespace tether::customer::ui {
namespace {

constexpr int kPanelWidth = 420;
constexpr int kScreenMargin = 24;

bool AskEndSession(QWidget* parent) {
  QMessageBox box(parent);
  box.setWindowTitle(QStringLiteral("Tether"));
  box.setWindowFlags(box.windowFlags() | Qt::WindowStaysOnTopHint);
  box.setIcon(QMessageBox::Question);
  box.setText(QStringLiteral("End the session?"));
  box.setInformativeText(QStringLiteral(
      "The technician will be disconnected and can no longer see or "
      "control your computer."));
  QPushButton* end =
      box.addButton(QStringLiteral("End session"), QMessageBox::AcceptRole);
  QPushButton* keep =
      box.addButton(QStringLiteral("Keep going"), QMessageBox::RejectRole);
  app_ui::SetButtonRole(end, "primary");
  app_ui::SetButtonRole(keep, "secondary");
  box.setDefaultButton(end);
  box.setEscapeButton(keep);
  box.exec();
  return box.clickedButton() == end;
}

QFrame* Separator(QWidget* parent) {
  auto* line = new QFrame(parent);
  line->setObjectName(QStringLiteral("Separator"));
  return line;
}

}  // namespace

SessionPanel::SessionPanel(CustomerSession* session, QWidget* parent)
    : QWidget(parent), session_(session) {
  setObjectName(QStringLiteral("TetherWindow"));
  setWindowTitle(QStringLiteral("Tether \u2014 remote support is on"));
  // Always on top, a title and a close button, nothing to minimise with.
  setWindowFlags(Qt::Window | Qt::WindowStaysOnTopHint | Qt::WindowTitleHint |
                 Qt::WindowCloseButtonHint | Qt::CustomizeWindowHint);
  confirm_end_ = [this] { return AskEndSession(this); };

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(22, 18, 22, 18);
  layout->setSpacing(12);

  // Who is connected.
  auto* who = new QHBoxLayout;
  who->setSpacing(10);
  auto* dot = new QLabel(QStringLiteral("\u25CF"), this);
  dot->setStyleSheet(QStringLiteral("color: #2E7D32;"));
  QFont dot_font = dot->font();
  dot_font.setPointSize(kTitlePt);
  dot->setFont(dot_font);
  who->addWidget(dot, 0, Qt::AlignTop);
  auto* names = new QVBoxLayout;
  names->setSpacing(2);
  technician_label_ =
      app_ui::TextLabel(QStringLiteral("Connected"), kBodyPt + 2, true, this);
  organisation_label_ = app_ui::TextLabel(QString(), kBodyPt, false, this);
  organisation_label_->setProperty("role", QStringLiteral("secondary"));
  organisation_label_->hide();
  names->addWidget(technician_label_);
  names->addWidget(organisation_label_);
  who->addLayout(names, 1);
  layout->addLayout(who);

  sas_label_ = app_ui::TextLabel(
      QStringLiteral("Security code: checking\u2026"), kBodyPt, false, this);
  sas_label_->setProperty("role", QStringLiteral("secondary"));
  layout->addWidget(sas_label_);
  layout->addWidget(Separator(this));

  // What they may do right now.
  can_label_ = app_ui::TextLabel(QString(), kBodyPt, true, this);
  layout->addWidget(can_label_);
  grant_lines_ = new QVBoxLayout;
  grant_lines_->setSpacing(4);
  grant_lines_->setContentsMargins(4, 0, 0, 0);
  layout->addLayout(grant_lines_);

  control_toggle_ = new QCheckBox(this);
  control_toggle_->setObjectName(QStringLiteral("ControlToggle"));
  layout->addWidget(control_toggle_);
  control_hint_ =
      app_ui::TextLabel(QStringLiteral("Untick to take control back at once."),
                        kSmallPt + 1, false, this);
  control_hint_->setProperty("role", QStringLiteral("secondary"));
  control_hint_->setContentsMargins(38, 0, 0, 0);
  layout->addWidget(control_hint_);
  connect(control_toggle_, &QCheckBox::clicked, this, [this](bool checked) {
    if (!checked) {
      // Taking control back is immediate; the core confirms with a grants
      // change. Giving it is only ever the answer to a prompt.
      session_->RevokeControl();
      control_toggle_->setEnabled(false);
    } else {
      control_toggle_->setChecked(grants_.control);
    }
  });
  layout->addWidget(Separator(this));

  // Chat.
  chat_list_ = new QListWidget(this);
  chat_list_->setObjectName(QStringLiteral("ChatList"));
  chat_list_->setWordWrap(true);
  chat_list_->setSelectionMode(QAbstractItemView::NoSelection);
  chat_list_->setFocusPolicy(Qt::NoFocus);
  chat_list_->setFixedHeight(112);  // a few lines; it scrolls
  chat_list_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  layout->addWidget(chat_list_, 1);
  auto* chat_row = new QHBoxLayout;
  chat_row->setSpacing(8);
  chat_input_ = new QLineEdit(this);
  chat_input_->setObjectName(QStringLiteral("ChatInput"));
  chat_input_->setPlaceholderText(QStringLiteral("Write a message"));
  chat_input_->setMaxLength(2000);
  chat_send_ = new QPushButton(QStringLiteral("Send"), this);
  app_ui::SetButtonRole(chat_send_, "secondary");
  chat_send_->setAutoDefault(false);
  chat_row->addWidget(chat_input_, 1);
  chat_row->addWidget(chat_send_);
  layout->addLayout(chat_row);
  connect(chat_input_, &QLineEdit::returnPressed, this,
          &SessionPanel::SendChat);
  connect(chat_send_, &QPushButton::clicked, this, &SessionPanel::SendChat);

  // A file of the customer's own choosing, to the technician: no prompt
  // (the customer chose it); the technician's app accepts or declines.
  send_file_button_ = new QPushButton(
      QStringLiteral("Send a file to the technician\u2026"), this);
  send_file_button_->setObjectName(QStringLiteral("SendFileButton"));
  app_ui::SetButtonRole(send_file_button_, "secondary");
  send_file_button_->setAutoDefault(false);
  layout->addWidget(send_file_button_);
  connect(send_file_button_, &QPushButton::clicked, this,
          &SessionPanel::SendFile);
  auto* file_row = new QHBoxLayout;
  file_row->setSpacing(8);
  file_label_ = app_ui::TextLabel(QString(), kSmallPt + 1, false, this);
  file_label_->setObjectName(QStringLiteral("SentFileLabel"));
  file_progress_ = new QProgressBar(this);
  file_progress_->setObjectName(QStringLiteral("SentFileProgress"));
  file_progress_->setRange(0, 1000);
  file_progress_->setTextVisible(false);
  file_progress_->setFixedHeight(10);
  file_cancel_ = new QPushButton(QStringLiteral("Cancel"), this);
  file_cancel_->setObjectName(QStringLiteral("SentFileCancel"));
  app_ui::SetButtonRole(file_cancel_, "secondary");
  file_cancel_->setAutoDefault(false);
  auto* file_text = new QVBoxLayout;
  file_text->setSpacing(4);
  file_text->addWidget(file_label_);
  file_text->addWidget(file_progress_);
  file_row->addLayout(file_text, 1);
  file_row->addWidget(file_cancel_, 0, Qt::AlignVCenter);
  layout->addLayout(file_row);
  file_label_->hide();
  file_progress_->hide();
  file_cancel_->hide();
  connect(file_cancel_, &QPushButton::clicked, this, [this] {
    if (shown_file_id_ != 0)
      session_->CancelFile(shown_file_id_);
    file_cancel_->setEnabled(false);
  });
  choose_file_ = [this] {
    return QFileDialog::getOpenFileName(
        this, QStringLiteral("Send a file to the technician"));
  };

  // STOP.
  stop_button_ = new QPushButton(QStringLiteral("STOP"), this);
  stop_button_->setObjectName(QStringLiteral("StopButton"));
  app_ui::SetButtonRole(stop_button_, "danger");
  stop_button_->setAutoDefault(false);
  QFont stop_font = stop_button_->font();
  stop_font.setPointSize(26);
  stop_font.setBold(true);
  stop_button_->setFont(stop_font);
  stop_button_->setMinimumHeight(68);
  stop_button_->setToolTip(
      QStringLiteral("Ends the session at once and disconnects the "
                     "technician"));
  layout->addSpacing(4);
  layout->addWidget(stop_button_);
  hotkey_label_ = app_ui::TextLabel(QStringLiteral("Ends the session at once."),
                                    kSmallPt + 1, false, this);
  hotkey_label_->setProperty("role", QStringLiteral("secondary"));
  hotkey_label_->setAlignment(Qt::AlignCenter);
  layout->addWidget(hotkey_label_);
  connect(stop_button_, &QPushButton::clicked, this, [this] {
    session_->EmergencyStop();
    stop_button_->setEnabled(false);
    stop_button_->setText(QStringLiteral("Stopped"));
    emit stopped();
  });

  setFixedWidth(kPanelWidth);
  SetGrants(Grants{});
}

void SessionPanel::SetTechnician(const QString& name,
                                 const QString& organisation) {
  if (!name.isEmpty())
    technician_ = name;
  technician_label_->setText(name.isEmpty()
                                 ? QStringLiteral("Connected")
                                 : QStringLiteral("Connected to %1").arg(name));
  organisation_label_->setText(organisation);
  organisation_label_->setVisible(!organisation.isEmpty());
  SetGrants(grants_);
  Refit();
}

void SessionPanel::SetSas(const QString& sas) {
  sas_label_->setText(QStringLiteral("Security code: %1").arg(sas));
}

void SessionPanel::AddGrantLine(const QString& text, const char* colour) {
  auto* row = new QWidget(this);
  auto* row_layout = new QHBoxLayout(row);
  row_layout->setContentsMargins(0, 0, 0, 0);
  row_layout->setSpacing(10);
  auto* dot = new QLabel(QStringLiteral("\u25CF"), row);
  dot->setStyleSheet(QStringLiteral("color: %1;").arg(QLatin1String(colour)));
  row_layout->addWidget(dot, 0, Qt::AlignTop);
  auto* label = app_ui::TextLabel(text, kBodyPt, false, row);
  label->setObjectName(QStringLiteral("GrantLine"));
  row_layout->addWidget(label, 1);
  grant_lines_->addWidget(row);
  row->show();  // now, not queued: Refit() must count it
}

void SessionPanel::SetGrants(const Grants& grants) {
  grants_ = grants;
  while (QLayoutItem* item = grant_lines_->takeAt(0)) {
    delete item->widget();
    delete item;
  }
  const bool any = grants.viewing || grants.control || grants.files ||
                   grants.clipboard || grants.viewing_technician;
  can_label_->setText(
      any ? QStringLiteral("%1 can now:").arg(technician_)
          : QStringLiteral("%1 can't do anything yet.").arg(technician_));
  if (grants.viewing)
    AddGrantLine(QStringLiteral("see your screen"), "#1E5AA8");
  if (grants.control) {
    AddGrantLine(QStringLiteral("control your mouse and keyboard"), "#E64A19");
  }
  if (grants.files) {
    AddGrantLine(QStringLiteral("send you files you accept"), "#1E5AA8");
  }
  if (grants.clipboard)
    AddGrantLine(QStringLiteral("put text on your clipboard"), "#1E5AA8");
  if (grants.viewing_technician) {
    AddGrantLine(QStringLiteral("show you their screen"), "#1E5AA8");
  }
  if (!any) {
    AddGrantLine(QStringLiteral("They must ask you first."), "#9AA5B1");
  }
  if (grants.desktop_asking) {
    // Wayland: allowed here, but nothing reaches them before the
    // customer answers the desktop's own dialog too.
    AddGrantLine(QStringLiteral("First your computer asks you too: answer "
                                "its window."),
                 "#B26A00");
  }

  control_toggle_->setChecked(grants.control);
  control_toggle_->setEnabled(grants.control && !ending_);
  control_toggle_->setText(grants.control
                               ? QStringLiteral("Remote control is on")
                               : QStringLiteral("Remote control is off"));
  control_hint_->setVisible(grants.control && !ending_);
  Refit();
}

QStringList SessionPanel::GrantLines() const {
  QStringList lines;
  for (int i = 0; i < grant_lines_->count(); ++i) {
    QWidget* row = grant_lines_->itemAt(i)->widget();
    if (row == nullptr)
      continue;
    if (auto* label = row->findChild<QLabel*>(QStringLiteral("GrantLine")))
      lines << label->text();
  }
  return lines;
}

void SessionPanel::AddChat(const QString& text, bool from_me) {
  auto* item = new QListWidgetItem(QStringLiteral("%1: %2").arg(
      from_me ? QStringLiteral("You") : technician_, text));
  if (from_me)
    item->setForeground(QColor(0x1E, 0x5A, 0xA8));
  AppendToChat(item);
}

void SessionPanel::AddNotice(const QString& text) {
  auto* item = new QListWidgetItem(text);
  QFont italic = chat_list_->font();
  italic.setItalic(true);
  item->setFont(italic);
  item->setForeground(QColor(0x52, 0x60, 0x6D));
  AppendToChat(item);
}

void SessionPanel::AppendToChat(QListWidgetItem* item) {
  chat_list_->addItem(item);
  // Adding costs time in proportion to the list (word wrap): the oldest
  // go, so no message makes the panel, and its STOP button, slow.
  while (chat_list_->count() > kMaxChatItems)
    delete chat_list_->takeItem(0);
  chat_list_->scrollToBottom();
}

void SessionPanel::SetChooseFile(std::function<QString()> choose) {
  choose_file_ = std::move(choose);
}

void SessionPanel::SendFile() {
  if (ending_ || !choose_file_)
    return;
  const QString path = choose_file_();
  if (path.isEmpty())
    return;
  auto sent = session_->SendFile(path.toStdString());
  if (!sent) {
    AddNotice(QStringLiteral("The file could not be sent: %1")
                  .arg(QString::fromStdString(sent.error().message)));
  }
  // The row follows with OnFileSending.
}

void SessionPanel::SetSentFile(const SentFile& file) {
  using State = SentFile::State;
  shown_file_id_ = file.file_id;
  const QString name = app_ui::DisplayFileName(file.name);
  const QString size = FormatFileSize(file.size);
  QString text;
  bool going = false;
  switch (file.state) {
    case State::kPreparing:
      text = QStringLiteral("Preparing \u201C%1\u201D\u2026").arg(name);
      going = true;
      break;
    case State::kWaiting:
      text = QStringLiteral("\u201C%1\u201D (%2): waiting for %3 to accept")
                 .arg(name, size, technician_);
      going = true;
      break;
    case State::kSending:
      text = QStringLiteral("Sending \u201C%1\u201D: %2 of %3")
                 .arg(name, FormatFileSize(file.sent), size);
      going = true;
      break;
    case State::kDone:
      text = QStringLiteral("Sent \u201C%1\u201D (%2).").arg(name, size);
      break;
    case State::kDeclined:
    case State::kCancelled:
    case State::kFailed:
      text = QStringLiteral("\u201C%1\u201D was not sent: %2")
                 .arg(name, app_ui::DisplayText(file.message, 300));
      break;
  }
  file_label_->setText(text);
  file_label_->show();
  file_progress_->setVisible(going);
  file_progress_->setValue(file.size == 0
                               ? 0
                               : static_cast<int>(std::min<uint64_t>(
                                     1000, file.sent * 1000 / file.size)));
  file_cancel_->setVisible(going);
  file_cancel_->setEnabled(going);
  if (!going)
    shown_file_id_ = 0;
  Refit();
}

void SessionPanel::SetHotkeyAvailable(bool available,
                                      bool desktop_offers_none) {
  if (available) {
    hotkey_label_->setText(
        QStringLiteral("Ends the session at once. Or press Ctrl+Alt+Shift+S."));
  } else if (desktop_offers_none) {
    hotkey_label_->setText(QStringLiteral(
        "Ends the session at once. (The Ctrl+Alt+Shift+S hotkey is not "
        "available on this desktop.)"));
  } else {
    hotkey_label_->setText(QStringLiteral("Ends the session at once."));
  }
  Refit();
}

void SessionPanel::SetConfirmEnd(std::function<bool()> confirm) {
  confirm_end_ = std::move(confirm);
}

void SessionPanel::CloseForEnd() {
  may_close_ = true;
  close();
}

void SessionPanel::Refit() {
  // After the layout has taken in every change of this turn.
  if (refit_pending_)
    return;
  refit_pending_ = true;
  QTimer::singleShot(0, this, [this] {
    refit_pending_ = false;
    if (isVisible())
      FitToContents(this, kPanelWidth);
  });
}

void SessionPanel::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  FitToContents(this, kPanelWidth);
}

void SessionPanel::PlaceOnScreen() {
  FitToContents(this, kPanelWidth);
  QScreen* screen = this->screen();
  if (screen == nullptr)
    screen = QGuiApplication::primaryScreen();
  if (screen == nullptr)
    return;
  const QRect area = screen->availableGeometry();
  move(area.right() - width() - kScreenMargin, area.top() + kScreenMargin);
}

void SessionPanel::SendChat() {
  const QString text = chat_input_->text().trimmed();
  if (text.isEmpty() || ending_)
    return;
  session_->SendChat(text.toStdString());
  chat_input_->clear();
}

void SessionPanel::closeEvent(QCloseEvent* event) {
  if (may_close_) {
    event->accept();
    return;
  }
  // The panel stays while the session runs; closing it means "end".
  event->ignore();
  if (ending_ || !confirm_end_ || !confirm_end_())
    return;
  ending_ = true;
  technician_label_->setText(QStringLiteral("Ending the session\u2026"));
  control_toggle_->setEnabled(false);
  chat_input_->setEnabled(false);
  chat_send_->setEnabled(false);
  send_file_button_->setEnabled(false);
  session_->End();
}

void SessionPanel::changeEvent(QEvent* event) {
  QWidget::changeEvent(event);
  if (event->type() == QEvent::WindowStateChange &&
      (windowState() & Qt::WindowMinimized) && !may_close_) {
    // No hidden mode: a minimised panel comes straight back.
    QTimer::singleShot(0, this, [this] {
      setWindowState(windowState() & ~Qt::WindowMinimized);
      show();
      raise();
    });
  }
}

}  // namespace tether::customer::ui
