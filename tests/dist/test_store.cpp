// The rendezvous store rank 0 serves (issue 28: torch's TCPStore listened on every interface while
// the log said 127.0.0.1): it listens on the one address it is given, asks for the token, and does
// what c10d's stores do (set/get with waiting, add, compare-set, check, wait, delete, count).
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "dist/launcher.hpp"
#include "dist/store.hpp"
#include "errors.hpp"
#include "test_support.hpp"

using namespace ftcore;
using ftcore::testing::error_of;
using ftcore::testing::ScopedEnv;

namespace {

std::vector<std::uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }
std::string text(const std::vector<std::uint8_t>& b) { return {b.begin(), b.end()}; }

/// The local addresses (hex, as /proc/net/tcp* writes them) of the sockets listening on `port`.
std::vector<std::string> listeners_on(int port) {
  std::vector<std::string> found;
  std::ostringstream hex_port;
  hex_port << std::uppercase << std::hex << port;
  std::string wanted_port = hex_port.str();
  while (wanted_port.size() < 4) wanted_port = "0" + wanted_port;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      const auto colon = local.rfind(':');
      if (state == "0A" && local.substr(colon + 1) == wanted_port) found.push_back(local.substr(0, colon));
    }
  }
  return found;
}

}  // namespace

TEST(RendezvousStore, ListensOnLoopbackAloneForALaunchOnOneMachine) {
  const int port = dist::free_port();
  const std::string address = dist::bind_address("127.0.0.1", true);
  EXPECT_EQ(address, "127.0.0.1");
  auto server = dist::serve_store(address, port, "");
  EXPECT_EQ(listeners_on(port), std::vector<std::string>{"0100007F"}) << "127.0.0.1, not 0.0.0.0 or ::";
}

TEST(RendezvousStore, SetGetWaitsAddCompareSetCheckDeleteCount) {
  const int port = dist::free_port();
  auto server = dist::serve_store("127.0.0.1", port, "secret");
  auto a = dist::connect_store("127.0.0.1", port, "secret", std::chrono::seconds(10), server);
  auto b = dist::connect_store("localhost", port, "secret", std::chrono::seconds(10));
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    a->set("key", bytes("value"));
  });
  EXPECT_EQ(text(b->get("key")), "value") << "get waits for the key";
  later.join();
  EXPECT_EQ(a->add("counter", 2), 2);
  EXPECT_EQ(b->add("counter", -5), -3);
  EXPECT_EQ(text(a->get("counter")), "-3");
  EXPECT_EQ(text(a->compareSet("cas", {}, bytes("first"))), "first");
  EXPECT_EQ(text(b->compareSet("cas", bytes("other"), bytes("second"))), "first");
  EXPECT_EQ(text(b->compareSet("cas", bytes("first"), bytes("second"))), "second");
  EXPECT_TRUE(a->check({"key", "cas"}));
  EXPECT_FALSE(a->check({"key", "missing"}));
  EXPECT_EQ(a->getNumKeys(), 3);
  EXPECT_TRUE(a->deleteKey("cas"));
  EXPECT_FALSE(a->deleteKey("cas"));
  EXPECT_NO_THROW(b->wait({"key", "counter"}));
}

TEST(RendezvousStore, AWaitEndsAfterItsTimeoutWithTheKeysNamed) {
  const int port = dist::free_port();
  auto server = dist::serve_store("127.0.0.1", port, "");
  auto client = dist::connect_store("127.0.0.1", port, "", std::chrono::milliseconds(300), server);
  const std::string message = error_of([&] { client->get("never"); });
  EXPECT_NE(message.find("timed out after 300 ms waiting for never"), std::string::npos) << message;
}

TEST(RendezvousStore, AClientWithoutTheTokenIsTurnedAway) {
  const int port = dist::free_port();
  auto server = dist::serve_store("127.0.0.1", port, "the launcher's token");
  const std::string message = error_of([&] { dist::connect_store("127.0.0.1", port, "guess", std::chrono::seconds(5)); });
  EXPECT_NE(message.find("refused this rank's token"), std::string::npos) << message;
}

TEST(RendezvousStore, ALoopbackMasterAddrForRanksOnOtherMachinesIsRefused) {
  ScopedEnv bind("FTCORE_RENDEZVOUS_BIND", nullptr);
  const std::string message = error_of([] { dist::bind_address("localhost", /*all_local=*/false); });
  EXPECT_NE(message.find("a loopback address the ranks on other machines cannot reach"), std::string::npos) << message;
  ScopedEnv chosen("FTCORE_RENDEZVOUS_BIND", "10.1.2.3");
  EXPECT_EQ(dist::bind_address("localhost", false), "10.1.2.3");
}
