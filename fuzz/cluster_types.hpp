// The messages that cross node boundaries (messages/cluster.hpp, console.hpp,
// pool_cluster.hpp, pool.hpp, call_inspect.hpp), for fuzz_cluster_messages and the tool
// that writes its seeds. A fuzz input starts with a byte that picks one of them, or (past
// the last one) a whole type-erased caf::message as the middleman reads it off the wire.
#pragma once

#include <cstddef>
#include <tuple>
#include <vector>

#include "messages/call_inspect.hpp"
#include "messages/cluster.hpp"
#include "messages/console.hpp"
#include "messages/pool.hpp"
#include "messages/pool_cluster.hpp"
#include "messages/ports.hpp"

namespace sb::fuzz {

using cluster_types =
  std::tuple<member_info, cluster_hello, cluster_challenge, cluster_join, cluster_welcome,
             cluster_heartbeat, cluster_leave, console_request, console_answer, pool_member,
             pool_view, pool_held, pool_adopt, pool_adopted, pool_renew, pool_renewed,
             pool_fronts, pool_acquire, pool_lease, pool_release, pool_cancel, pool_stats,
             call_lease_info, call_snapshot, std::vector<chat_message>>;

constexpr size_t cluster_type_count = std::tuple_size_v<cluster_types>;

// Calls f(T{}) for the type at `index` (< cluster_type_count).
template <class F, size_t I = 0>
void with_cluster_type(size_t index, F&& f) {
  if constexpr (I < cluster_type_count) {
    if (index == I)
      f(std::tuple_element_t<I, cluster_types>{});
    else
      with_cluster_type<F, I + 1>(index, std::forward<F>(f));
  }
}

} // namespace sb::fuzz
