#pragma once
// The server's master key: 32 random bytes in a file readable only by the
// server (mode 0600), created on first start. Tracking codes, secret hashes
// and CSRF tokens use keys derived from it, so it must be kept and backed up
// with the database: without it, tracking codes can no longer be decoded.

#include <string>

#include "intake/result.hpp"
#include "intake/tracking_code.hpp"

namespace hotline::server {

// Reads the key at `path`; creates it (and its directory) when absent.
// Errors (code `key_error`): unreadable file, wrong size, cannot create.
result<intake::secret_key> load_or_create_key(const std::string& path);

}  // namespace hotline::server
