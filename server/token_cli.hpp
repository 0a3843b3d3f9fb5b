#pragma once
// Officers' API tokens on the command line, dispatched from main:
//
//   hotline token create --contact KEY [--label TEXT] [--config FILE | --db PATH]
//   hotline token revoke --contact KEY [--config FILE | --db PATH]
//
// create prints the new token, and nothing else, on one line of `out`: it is
// shown this once (only its hash is stored, storage/officers.hpp). revoke
// revokes every live token of the contact and prints how many. Messages go
// to `err` and never contain a token.
//
// Exit codes: 0 done; 1 unknown or inactive contact, or a database failure;
// 2 usage error (a missing or unknown flag). Not thread-safe.

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "intake/clock.hpp"

namespace hotline::server {

extern const std::string_view token_usage;

// `args`: the words after "token" (create|revoke and its flags). `db_path`
// is resolved by main from --config / --db, which it removes beforehand.
int run_token(const std::vector<std::string>& args, const std::string& db_path, const hotline::clock& clock,
              std::ostream& out, std::ostream& err);

}  // namespace hotline::server
