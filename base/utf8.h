#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
// U+10FFFF. One home for every reader of text from the other side: file
// names, passwords, typed text, the session log, the relay's exports.
namespace tether {

// The length (1-4) of the valid sequence `text` starts with; 0 when it
// starts with an invalid one (a stray continuation byte, an overlong form,
// a surrogate, a value above U+10FFFF, a truncated sequence) or is empty.
size_t ValidUtf8Length(std::string_view text);

// The code point of the sequence of `length` bytes `text` starts with, as
// ValidUtf8Length measured it.
char32_t DecodeUtf8Sequence(std::string_view text, size_t length);

// All of `text` as code points; nullopt if any of it is not valid UTF-8.
std::optional<std::u32string> DecodeUtf8(std::string_view text);

// The longest start of `text` of at most `max_bytes` bytes that does not
// end inside a UTF-8 sequence (text shown to the other side stays valid).
std::string_view CutUtf8(std::string_view text, size_t max_bytes);

// `text` with each byte that does not belong to a valid sequence replaced
// by U+FFFD, for text that must be valid UTF-8 where it goes.
std::string ToValidUtf8(std::string_view text);

// Appends the UTF-8 form of `cp` (a valid code point) to `out`.
void AppendUtf8(char32_t cp, std::string& out);

}  // namespace tether
