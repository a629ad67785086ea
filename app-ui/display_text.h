#pragma once

// Text the other side chose (names, reasons, file names, chat), made safe to
// show, and the codes both apps show in the same shape.

#include <string_view>

#include <QString>

namespace tether::app_ui {

// Text from the other side, made safe to show: valid UTF-8 as QString
// (invalid sequences replaced), control and bidirectional-override
// characters removed (a name that reads "invoice.pdf" must not end in
// ".exe"), at most `max_chars` characters and then "…". Newlines survive
// only with `keep_newlines`; otherwise they, and tabs, become spaces.
QString DisplayText(std::string_view utf8,
                    int max_chars = 200,
                    bool keep_newlines = false);

// A file name as DisplayText shows it, cut in the middle when longer than
// `max_chars`, so its real extension always shows ("Invoice____…pdf.desktop",
// never "Invoice____.pdf…").
QString DisplayFileName(std::string_view utf8, int max_chars = 120);

// The security code as both apps show it, to be read aloud:
// "482913" -> "482 913"; anything else is returned as it is.
QString FormatSas(std::string_view sas);

}  // namespace tether::app_ui
