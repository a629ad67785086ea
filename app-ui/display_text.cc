#include "app-ui/display_text.h"

#include <QList>

#include <algorithm>
#include <limits>
#include <string>

namespace tether::app_ui {
namespace {

bool IsHiddenCharacter(char32_t c) {
  if (c < 0x20 || (c >= 0x7F && c < 0xA0))
    return true;  // C0, DEL, C1
  if (c >= 0x200B && c <= 0x200F)
    return true;  // zero-width, LRM, RLM
  if (c >= 0x202A && c <= 0x202E)
    return true;  // embeddings, overrides
  if (c >= 0x2066 && c <= 0x2069)
    return true;                      // isolates
  return c == 0x061C || c == 0xFEFF;  // ALM, BOM
}

}  // namespace

QString DisplayText(std::string_view utf8, int max_chars, bool keep_newlines) {
  // fromUtf8 replaces invalid sequences with U+FFFD.
  const QString decoded =
      QString::fromUtf8(utf8.data(), static_cast<qsizetype>(utf8.size()));
  QString out;
  out.reserve(decoded.size());
  int kept = 0;
  for (char32_t c : decoded.toUcs4()) {
    if (kept >= max_chars) {
      out.append(QChar(0x2026));  // …
      break;
    }
    if (c == U'\n' && keep_newlines) {
      out.append(QLatin1Char('\n'));
    } else if (c == U'\n' || c == U'\t') {
      out.append(QLatin1Char(' '));
    } else if (IsHiddenCharacter(c)) {
      continue;  // \r among them
    } else {
      out.append(QString::fromUcs4(&c, 1));
    }
    ++kept;
  }
  return out;
}

QString DisplayFileName(std::string_view utf8, int max_chars) {
  // Cleaned first (no hidden characters), then measured in characters.
  std::u32string all;
  for (char32_t c :
       DisplayText(utf8, std::numeric_limits<int>::max()).trimmed().toUcs4())
    all.push_back(c);
  const auto size = static_cast<qsizetype>(all.size());
  if (size <= max_chars)
    return QString::fromUcs4(all.data(), size);
  const size_t dot = all.rfind(U'.');
  const qsizetype extension =
      dot == std::u32string::npos ? 0 : size - static_cast<qsizetype>(dot);
  // The end keeps at least the extension, and a third of the room.
  const qsizetype tail = std::min<qsizetype>(
      std::max<qsizetype>(extension, max_chars / 3), max_chars - 1);
  const qsizetype head = max_chars - 1 - tail;
  QString out = QString::fromUcs4(all.data(), head);
  out.append(QChar(0x2026));  // …
  out.append(QString::fromUcs4(all.data() + size - tail, tail));
  return out;
}

QString FormatSas(std::string_view sas) {
  const QString s =
      QString::fromUtf8(sas.data(), static_cast<qsizetype>(sas.size()));
  return s.size() == 6 ? s.left(3) + QLatin1Char(' ') + s.mid(3) : s;
}

}  // namespace tether::app_ui
