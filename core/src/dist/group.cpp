#include "dist/group.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <spdlog/spdlog.h>

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#ifdef FTCORE_WITH_GLOO
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef FTCORE_WITH_NCCL
#ifndef USE_C10D_NCCL
#define USE_C10D_NCCL
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "dist/store.hpp"
#include "errors.hpp"
#include "util/text.hpp"

namespace ftcore::dist {

namespace {

std::string hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown-host";
  return name;
}

/// Whether process `pid` of this machine has ended (gone, or a zombie not reaped yet).
bool has_exited(long pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!stat || !std::getline(stat, line)) return kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
  const auto close = line.rfind(')');  // "pid (name) S ...": the state follows the name
  return close != std::string::npos && close + 2 < line.size() && (line[close + 2] == 'Z' || line[close + 2] == 'X');
}

/// Where each rank's process runs, as it said at the rendezvous.
struct Peer {
  std::string host;
  long pid = 0;
};

void wait_for(const c10::intrusive_ptr<c10d::Work>& work) {
  if (!work->wait()) throw std::runtime_error("the operation did not complete");
}

/// A backend's normal shutdown where it has one (libtorch 2.x's NCCL wants it before the process ends).
template <typename B>
auto shut_down(B& backend, int) -> decltype(backend.shutdown(), void()) {
  backend.shutdown();
}
template <typename B>
void shut_down(B&, long) {}

template <typename Backend>
class C10dGroup final : public Group {
 public:
  C10dGroup(World world, std::string name, c10::intrusive_ptr<Backend> backend, std::vector<Peer> peers,
            torch::Device device)
      : world_(std::move(world)), name_(std::move(name)), backend_(std::move(backend)), peers_(std::move(peers)),
        device_(device) {}

  ~C10dGroup() override {
    try {
      shut_down(*backend_, 0);
    } catch (const std::exception&) {  // the run is over either way
    }
  }

  const World& world() const override { return world_; }
  std::string backend() const override { return name_; }
  torch::Device device() const override { return device_; }

  std::unique_ptr<Pending> all_reduce_async(torch::Tensor tensor) override {
    std::vector<at::Tensor> tensors{std::move(tensor)};
    try {
      return std::make_unique<InFlight>(*this, backend_->allreduce(tensors));
    } catch (const std::exception& e) {
      fail("all-reduce", e.what());
    }
  }

  void broadcast(torch::Tensor tensor, int root) override {
    std::vector<at::Tensor> tensors{std::move(tensor)};
    c10d::BroadcastOptions options;
    options.rootRank = root;
    try {
      wait_for(backend_->broadcast(tensors, options));
    } catch (const std::exception& e) {
      fail("broadcast", e.what());
    }
  }

  [[noreturn]] void fail(const std::string& operation, const std::string& cause) const override {
    // A killed peer's connections close while it is still exiting: give it two seconds to be gone.
    std::vector<std::string> gone;
    const std::string here = hostname();
    for (int attempt = 0; attempt < 20 && gone.empty(); ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      for (std::size_t r = 0; r < peers_.size(); ++r)
        if (static_cast<int>(r) != world_.rank && peers_[r].host == here && has_exited(peers_[r].pid))
          gone.push_back("rank " + std::to_string(r) + " (pid " + std::to_string(peers_[r].pid) + ")");
    }
    std::string message = "rank " + std::to_string(world_.rank) + ": " + operation + " with the other ranks failed (" +
                          name_ + ": " + text::first_line(cause) + "): ";
    if (!gone.empty())
      message += text::join(gone, ", ") + (gone.size() == 1 ? " has" : " have") + " exited; see its output for why";
    else
      message += "no other rank on this machine has exited: the cause is that error, a rank on another machine, or the network";
    throw Failure(message);
  }

 private:
  class InFlight final : public Pending {
   public:
    InFlight(const C10dGroup& group, c10::intrusive_ptr<c10d::Work> work) : group_(group), work_(std::move(work)) {}
    void wait() override {
      try {
        wait_for(work_);
      } catch (const std::exception& e) {
        group_.fail("all-reduce", e.what());
      }
    }

   private:
    const C10dGroup& group_;
    c10::intrusive_ptr<c10d::Work> work_;
  };

  World world_;
  std::string name_;
  c10::intrusive_ptr<Backend> backend_;
  std::vector<Peer> peers_;
  torch::Device device_;
};

bool loopback_name(const std::string& host) { return host == "localhost" || text::starts_with(host, "127.") || host == "::1"; }

/// The store of the rendezvous: torchrun's agent store, or the one rank 0 serves on the address
/// MASTER_ADDR names (dist/store.hpp), never on every interface.
c10::intrusive_ptr<c10d::Store> open_store(const World& w, std::chrono::milliseconds timeout) {
  if (w.agent_store) {
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(w.master_port);
    options.isServer = false;
    options.timeout = timeout;
    return c10::make_intrusive<c10d::PrefixStore>("/worker/attempt_" + w.attempt,
                                                  c10::make_intrusive<c10d::TCPStore>(w.master_addr, options));
  }
  if (w.rank != 0) return connect_store(w.master_addr, w.master_port, w.token, timeout);
  const std::string address = bind_address(w.master_addr, loopback_name(w.master_addr) || w.local_size == w.size);
  auto server = serve_store(address, w.master_port, w.token);
  spdlog::info("rendezvous store listening on {}:{} only{}", address, w.master_port,
               w.token.empty() ? "" : " (ranks show a token)");
  return connect_store(address, w.master_port, w.token, timeout, std::move(server));
}

/// The rendezvous: rank 0 serves the store; each rank then says where it runs and reads where the
/// others do, which waits for all of them.
c10::intrusive_ptr<c10d::Store> rendezvous(const World& w, std::chrono::milliseconds timeout, std::vector<Peer>& peers) {
  c10::intrusive_ptr<c10d::Store> store;
  try {
    store = open_store(w, timeout);
    const std::string me = hostname() + " " + std::to_string(getpid());
    store->set("ftcore/process/" + std::to_string(w.rank), std::vector<std::uint8_t>(me.begin(), me.end()));
    for (int r = 0; r < w.size; ++r) {
      const auto bytes = store->get("ftcore/process/" + std::to_string(r));
      const std::string text(bytes.begin(), bytes.end());
      const auto space = text.rfind(' ');
      peers.push_back({text.substr(0, space), std::stol(text.substr(space + 1))});
    }
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception& e) {
    throw Failure("rank " + std::to_string(w.rank) + ": the ranks could not meet at " + w.master_addr + ":" +
                  std::to_string(w.master_port) + " within " + std::to_string(timeout.count() / 1000) + " s (" +
                  text::first_line(e.what()) + "); check that all " + std::to_string(w.size) +
                  " ranks started, that MASTER_ADDR/MASTER_PORT are the same for all and reachable" +
                  (w.rank == 0 && !w.agent_store ? ", and that the port is free" : ""));
  }
  return store;
}

#ifdef FTCORE_WITH_GLOO
/// The network device Gloo talks through: GLOO_SOCKET_IFNAME's interface, loopback when every rank
/// is on this machine and meets at a loopback address, else the address the host name resolves to.
std::shared_ptr<::gloo::transport::Device> gloo_device(const World& w) {
  if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME"); interface && *interface)
    return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
  if (loopback_name(w.master_addr) && w.local_size == w.size) return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}
#endif

}  // namespace

std::vector<double> Group::sum(const std::vector<double>& values) {
  auto tensor = torch::tensor(values, torch::kFloat64).to(device());
  all_reduce(tensor);
  tensor = tensor.cpu();
  return {tensor.data_ptr<double>(), tensor.data_ptr<double>() + tensor.numel()};
}

void Group::barrier() { sum({0.0}); }

std::vector<std::string> built_backends() {
  std::vector<std::string> names;
#ifdef FTCORE_WITH_GLOO
  names.push_back("gloo");
#endif
#ifdef FTCORE_WITH_NCCL
  names.push_back("nccl");
#endif
  return names;
}

bool built_for(const torch::Device& device) {
  const auto built = built_backends();
  return std::find(built.begin(), built.end(), device.is_cuda() ? "nccl" : "gloo") != built.end();
}

std::unique_ptr<Group> connect(const World& world, const torch::Device& device, std::chrono::milliseconds timeout) {
  const std::string wanted = device.is_cuda() ? "nccl" : "gloo";
  const auto built = built_backends();
  if (!built_for(device))
    throw UsageError("a distributed run on " + std::string(device.is_cuda() ? "GPUs" : "the CPU") + " needs " + wanted +
                     ", which this ftcore was built without (it has: " + (built.empty() ? "none" : text::join(built, ", ")) +
                     "); " + (device.is_cuda() ? "build against a CUDA libtorch with nccl.h found (FTCORE_NCCL_INCLUDE_DIR)"
                                               : "build with libgloo's headers found (Debian: libgloo-dev; FTCORE_GLOO_INCLUDE_DIR)") +
                     " or run one process (docs/distributed.md)");
  std::vector<Peer> peers;
  auto store = rendezvous(world, timeout, peers);
  try {
#ifdef FTCORE_WITH_NCCL
    if (device.is_cuda()) {
      // Every rank on this machine: NCCL's own sockets on loopback too, unless the user chose.
      if (loopback_name(world.master_addr) && world.local_size == world.size) setenv("NCCL_SOCKET_IFNAME", "lo", 0);
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = timeout;
      auto backend = c10::make_intrusive<c10d::ProcessGroupNCCL>(c10::make_intrusive<c10d::PrefixStore>("nccl", store),
                                                                 world.rank, world.size, options);
      return std::make_unique<C10dGroup<c10d::ProcessGroupNCCL>>(world, "nccl", backend, std::move(peers), device);
    }
#endif
#ifdef FTCORE_WITH_GLOO
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    options->devices.push_back(gloo_device(world));
    auto backend = c10::make_intrusive<c10d::ProcessGroupGloo>(c10::make_intrusive<c10d::PrefixStore>("gloo", store),
                                                               world.rank, world.size, options);
    return std::make_unique<C10dGroup<c10d::ProcessGroupGloo>>(world, "gloo", backend, std::move(peers), device);
#endif
  } catch (const Failure&) {
    throw;
  } catch (const std::exception& e) {
    throw Failure("rank " + std::to_string(world.rank) + ": connecting the " + wanted + " communicator failed (" +
                  text::first_line(e.what()) + ")");
  }
  throw std::logic_error("connect: no backend");  // unreachable: the check above found one
}

}  // namespace ftcore::dist
