#pragma once

// The accounts table's columns in the order both stores read and write
// them: SqliteStore and PgStore bind and read an Account by position, so
// the order lives here once.

#include <string_view>

namespace tether::relay {

// Read: kSelectAccount's 15 columns; row.column(0) is the id.
inline constexpr std::string_view kAccountColumns =
    "id, user_name, display_name, role, password_hash, must_change_password,"
    " disabled, failed_logins, locked_until_ms, locked, totp_secret,"
    " totp_last_step, created_at_ms, password_changed_at_ms, last_login_at_ms";

// Written: parameters 1 to 13 of an INSERT or UPDATE, in this order;
// INSERT adds created_at_ms as parameter 14.
inline constexpr std::string_view kAccountWrittenColumns =
    "user_name, display_name, role, password_hash, must_change_password,"
    " disabled, failed_logins, locked_until_ms, locked, totp_secret,"
    " totp_last_step, password_changed_at_ms, last_login_at_ms";

}  // namespace tether::relay
