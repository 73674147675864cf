#include "runtime/cluster/cluster_node.hpp"

#include <csignal>
#include <mutex>
#include <random>

#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "actors/cluster/cluster_actor.hpp"
#include "actors/console/call_registry.hpp"
#include "actors/console/console_actor.hpp"

namespace sb::cluster {

uint64_t random_incarnation() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

namespace {

bool any_address(const std::string& host) {
  return host.empty() || host == "0.0.0.0" || host == "::";
}

std::string advertised_host(const std::string& host) {
  if (!any_address(host))
    return host;
  char name[256] = {0};
  if (gethostname(name, sizeof name - 1) == 0 && name[0])
    return name;
  return "127.0.0.1";
}

} // namespace

void configure_system(caf::actor_system_config& acfg, const cluster_section& cfg) {
  acfg.load<caf::io::middleman>();
  if (cfg.tls()) {
    acfg.load<caf::openssl::manager>();  // after the middleman
    acfg.openssl_certificate = cfg.tls_cert;
    acfg.openssl_key = cfg.tls_key;
    acfg.openssl_cafile = cfg.tls_ca;
  }
  acfg.set("middleman.heartbeat-interval", caf::timespan{cfg.heartbeat_interval});
  // A silent link closes only once every lease of the silent node has expired anyway:
  // the down_msg it causes frees leases at the home (docs/design/cluster-leases.md).
  acfg.set("middleman.connection-timeout", caf::timespan{cfg.link_timeout()});
}

bool start_cluster(caf::actor_system& sys, const node_config& cfg, cluster_deps deps,
                   cluster_runtime& out, std::string& error) {
  const auto& cl = cfg.cluster;
  out.calls = console::spawn_call_registry(sys);
  cluster_options o;
  o.name = cfg.node.name;
  o.incarnation = deps.incarnation != 0 ? deps.incarnation : random_incarnation();
  o.settings = cl;
  o.capacity = cfg.node.max_calls;
  o.active_calls = deps.active_calls;
  o.draining = deps.draining;
  o.report_view = [board = out.board](std::vector<member_info> v) {
    board->update(std::move(v));
  };
  o.fronts = deps.fronts;
  o.connector = cl.tls() ? sys.openssl_manager().actor_handle()
                         : sys.middleman().actor_handle();
  auto refused = out.refused;
  auto flag = out.refused_flag;
  o.fatal = [refused, flag](const std::string& why) {
    *refused = why;
    flag->store(true);
    kill(getpid(), SIGTERM);  // run_node's signal wait ends; it exits non-zero
  };
  console::console_options co{cfg.node.name, out.calls, deps.pools, deps.drain,
                              deps.transcripts};
  o.make_console = [&sys, co](cluster_actor cluster) {
    return console::spawn_console(sys, co, std::move(cluster));
  };
  out.cluster = spawn_cluster(sys, std::move(o));
  sys.registry().put(caf::atom("cluster"), caf::actor_cast<caf::strong_actor_ptr>(out.cluster));
  sys.registry().put(caf::atom("calls"), out.calls);

  const auto& l = cfg.node.cluster_listen;
  auto host = any_address(l.host) ? nullptr : l.host.c_str();
  auto port = cl.tls() ? caf::openssl::publish(out.cluster, l.port, host, true)
                       : sys.middleman().publish(out.cluster, l.port, host, true);
  if (!port) {
    auto why = "cannot listen on cluster_listen " + l.host + ":" + std::to_string(l.port) +
               ": " + sys.render(port.error());
    if (!cl.seeds.empty()) {
      error = why;
      return false;
    }
    spdlog::warn("{}: running alone, the debug console cannot connect", why);
    out.address = "";
    caf::scoped_actor{sys, true}->send(out.cluster, caf::publish_atom_v,
                                       l.host + ":" + std::to_string(l.port));
    return true;
  }
  auto bound = advertised_host(l.host) + ":" + std::to_string(*port);
  out.address = cl.advertise.empty() ? bound : cl.advertise;
  if (!cl.advertise.empty())
    out.board->set_listen(bound);
  if (cl.secret.empty())
    spdlog::warn("cluster: [cluster] secret is empty: any node or console that reaches {} "
                 "is admitted",
                 out.address);
  if (cl.advertise.empty())
    spdlog::info("cluster: {} listening on {}{}", cfg.node.name, out.address,
                 cl.tls() ? " (TLS)" : "");
  else
    spdlog::info("cluster: {} listening on {}{}, advertised to other nodes as {}",
                 cfg.node.name, bound, cl.tls() ? " (TLS)" : "", out.address);
  caf::scoped_actor{sys, true}->send(out.cluster, caf::publish_atom_v, out.address);
  return true;
}

void stop_cluster(caf::actor_system& sys, cluster_runtime& rt) {
  if (rt.cluster) {
    caf::scoped_actor self{sys, true};
    self->request(rt.cluster, std::chrono::seconds{1}, cluster_shutdown_atom_v)
      .receive([](caf::ok_atom) {}, [](caf::error&) {});
    self->send_exit(rt.cluster, caf::exit_reason::user_shutdown);
  }
  if (rt.calls)
    caf::anon_send_exit(rt.calls, caf::exit_reason::user_shutdown);
  sys.registry().erase(caf::atom("cluster"));
  sys.registry().erase(caf::atom("calls"));
}

void hand_over_pools(caf::actor_system& sys, const std::vector<pool_front_actor>& fronts) {
  caf::scoped_actor self{sys, true};
  for (auto& f : fronts)
    self->request(f, std::chrono::seconds{2}, pool_handover_atom_v)
      .receive([](bool) {}, [](caf::error&) {});
}

} // namespace sb::cluster
