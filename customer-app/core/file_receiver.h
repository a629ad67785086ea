#pragma once

// The receiver moved to protocol/file_receiver.h when the technician's app
// started receiving files too; the customer's code keeps its names.

#include "customer-app/core/file_name.h"
#include "protocol/file_receiver.h"

namespace tether::customer {

using protocol::CheckFileOffer;
using protocol::FileReceiver;
using protocol::FileReceiverOptions;
using protocol::FileSink;
using protocol::FormatFileSize;
using protocol::IncomingFile;
using protocol::kDefaultMaxFileSize;

}  // namespace tether::customer
