#pragma once

// The sanitiser moved to protocol/file_name.h when the technician's app
// started receiving files too; the customer's code keeps its names.

#include "protocol/file_name.h"

namespace tether::customer {

using enum protocol::NameChange;
using protocol::DescribeNameChanges;
using protocol::kMaxFileNameBytes;
using protocol::kMaxOfferedNameBytes;
using protocol::NameChange;
using protocol::NumberedFileName;
using protocol::SanitizedFileName;
using protocol::SanitizeFileName;

}  // namespace tether::customer
