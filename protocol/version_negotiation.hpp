// Picks, per API, the highest version both sides speak from the broker's ApiVersions answer.
#pragma once

#include "protocol/messages.hpp"

#include <algorithm>
#include <optional>

namespace cafka::protocol {

// The highest version of Request that cafka and the broker both support, or nothing when the
// ranges do not meet or the broker does not list the API. Only the broker's max matters for the
// choice: 4.x brokers advertise Produce min 0 but reject v0-v2, which cafka's own min excludes.
// at_most lowers cafka's max for one use, e.g. a transactions v1 producer keeps EndTxn and
// TxnOffsetCommit below their txn_v2_min_version.
template <class Request>
std::optional<int16_t> negotiate_version(const api_versions_response& broker,
                                         int16_t at_most = Request::max_version) {
  for (auto& api : broker.api_keys) {
    if (api.api_key != static_cast<int16_t>(Request::key))
      continue;
    int16_t chosen = std::min({api.max_version, Request::max_version, at_most});
    if (chosen < Request::min_version || chosen < api.min_version)
      return std::nullopt;
    return chosen;
  }
  return std::nullopt;
}

} // namespace cafka::protocol
