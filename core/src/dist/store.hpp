#pragma once
// The rendezvous store of a run whose rank 0 serves it (`--nproc`, srun, a hand-made launch): a
// key-value table over TCP, as torch's TCPStore, but listening on one address only (the address
// MASTER_ADDR names, 127.0.0.1 for a launch on one machine), never on every interface, and, when
// the launcher gives one, asking every client for a shared token (FTCORE_RENDEZVOUS_TOKEN).
// torch's TCPStore (1.13) binds the port on all interfaces.
#include <chrono>
#include <memory>
#include <string>

#include <torch/csrc/distributed/c10d/Store.hpp>

namespace ftcore::dist {

class StoreServer;

/// The address a store for MASTER_ADDR `host` listens on: FTCORE_RENDEZVOUS_BIND when set, else
/// the first address `host` resolves to. UsageError when it cannot be resolved, or when it is a
/// loopback address while ranks run on other machines (`all_local` false), which could not reach it.
std::string bind_address(const std::string& host, bool all_local);

/// Serves a store on `address`:`port` for as long as the returned object lives (its own threads).
/// RunError when the port cannot be bound.
std::shared_ptr<StoreServer> serve_store(const std::string& address, int port, const std::string& token);

/// A client of the store at `host`:`port`: connects, retrying until `timeout`, and then every get and
/// wait waits at most `timeout`. `server`, when given, is kept alive with the client (rank 0).
c10::intrusive_ptr<c10d::Store> connect_store(const std::string& host, int port, const std::string& token,
                                              std::chrono::milliseconds timeout,
                                              std::shared_ptr<StoreServer> server = nullptr);

}  // namespace ftcore::dist
