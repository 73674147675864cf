#include "runtime/console_client/console_session.hpp"

#include <cstdlib>
#include <optional>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/cluster/auth.hpp"
#include "messages/cluster.hpp"
#include "messages/cluster_actor.hpp"
#include "messages/console.hpp"
#include "messages/register.hpp"
#include "net/codec/console_json.hpp"

namespace sb::console_tool {

struct session::impl {
  caf::actor_system_config cfg;
  std::optional<caf::actor_system> sys;
  cluster_actor node;
  std::string name;
  std::chrono::seconds timeout{10};
};

session::session() : impl_(std::make_unique<impl>()) {}

session::~session() {
  if (impl_->sys)
    impl_->node = nullptr;
}

const std::string& session::node_name() const {
  return impl_->name;
}

bool session::open(const console_args& args, std::string& error) {
  auto& d = *impl_;
  auto colon = args.connect.rfind(':');
  char* end = nullptr;
  unsigned long port = colon == std::string::npos
                         ? 0
                         : std::strtoul(args.connect.c_str() + colon + 1, &end, 10);
  if (colon == std::string::npos || colon == 0 || port == 0 || port > 65535 || *end) {
    error = "--connect: expected HOST:PORT (a node's cluster_listen), got '" +
            args.connect + "'";
    return false;
  }
  auto host = args.connect.substr(0, colon);
  bool tls = !args.tls_cert.empty() || !args.tls_key.empty() || !args.tls_ca.empty();
  if (tls && (args.tls_cert.empty() || args.tls_key.empty() || args.tls_ca.empty())) {
    error = "TLS needs --tls-cert, --tls-key and --tls-ca together";
    return false;
  }
  d.timeout = std::chrono::seconds{args.timeout_s};
  d.cfg.set("scheduler.max-threads", size_t{2});
  register_types(d.cfg);
  d.cfg.load<caf::io::middleman>();
  if (tls) {
    d.cfg.load<caf::openssl::manager>();
    d.cfg.openssl_certificate = args.tls_cert;
    d.cfg.openssl_key = args.tls_key;
    d.cfg.openssl_cafile = args.tls_ca;
  }
  // The node drops links that stay silent for its failure_timeout (>= 300 ms): keep ours
  // busy with link heartbeats even while the user is typing.
  d.cfg.set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds{100}});
  d.cfg.set("middleman.connection-timeout", caf::timespan{std::chrono::seconds{30}});
  d.sys.emplace(d.cfg);
  auto& sys = *d.sys;
  caf::scoped_actor self{sys, true};
  auto mm = tls ? sys.openssl_manager().actor_handle() : sys.middleman().actor_handle();
  bool ok = false;
  self->request(mm, d.timeout, caf::connect_atom_v, host, static_cast<uint16_t>(port))
    .receive(
      [&](caf::node_id&, caf::strong_actor_ptr& p, std::set<std::string>& ifs) {
        if (!p) {
          error = "nothing is published at " + args.connect;
          return;
        }
        if (ifs != sys.message_types<cluster_actor>()) {
          error = args.connect + " is not a switchboard node of this version (its cluster "
                                 "interface differs)";
          return;
        }
        d.node = caf::actor_cast<cluster_actor>(p);
        ok = true;
      },
      [&](caf::error& e) {
        error = "cannot connect to " + args.connect + ": " + sys.render(e);
      });
  if (!ok)
    return false;
  ok = false;
  auto nonce = cluster::make_nonce();
  cluster_challenge challenge;
  self->request(d.node, d.timeout, cluster_hello{"console", "console", "", 0, nonce, 0, 0})
    .receive([&](cluster_challenge& c) { challenge = c; ok = true; },
             [&](caf::error& e) { error = "hello refused: " + sys.render(e); });
  if (!ok)
    return false;
  if (!cluster::proofs_equal(challenge.proof, cluster::proof(args.secret, "member", nonce))) {
    error = args.connect + " did not prove the cluster secret: wrong secret (set --secret "
                           "or SWITCHBOARD_CLUSTER_SECRET)";
    return false;
  }
  ok = false;
  cluster_join join{cluster::proof(args.secret, "join", challenge.nonce), {}};
  self->request(d.node, d.timeout, std::move(join))
    .receive(
      [&](cluster_welcome& w) {
        d.name = w.members.empty() ? args.connect : w.members.front().name;
        ok = true;
      },
      [&](caf::error& e) { error = "refused: " + sys.render(e); });
  return ok;
}

bool session::run(const std::string& line, std::string& json, std::string& error) {
  auto& d = *impl_;
  caf::scoped_actor self{*d.sys, true};
  bool ok = false;
  self->request(d.node, d.timeout, console_request{line, false})
    .receive(
      [&](console_answer& a) {
        json = codec::console_answer_json(a).dump();  // the edge: rendered here only
        ok = true;
      },
      [&](caf::error& e) { error = d.sys->render(e); });
  return ok;
}

} // namespace sb::console_tool
