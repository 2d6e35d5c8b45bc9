#include "dist/store.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "errors.hpp"

namespace ftcore::dist {

namespace {

using Bytes = std::vector<std::uint8_t>;
using Clock = std::chrono::steady_clock;

// Each request is an operation byte and its fields; each answer a status byte and its fields. A
// number is 8 bytes big-endian; a string is its length as a number, then its bytes.
enum class Op : std::uint8_t { hello = 1, set, get, add, compare_set, check, remove, count, wait };
enum class Status : std::uint8_t { ok = 0, timeout = 1, refused = 2 };

constexpr std::uint64_t kLongestKey = 1 << 20;     // keys are short names
constexpr std::uint64_t kLongestValue = 1 << 28;   // values are addresses and ids, not tensors
constexpr std::uint64_t kMostKeys = 1 << 20;

bool send_all(int fd, const void* data, std::size_t size) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t sent = ::send(fd, p, size, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    p += sent, size -= static_cast<std::size_t>(sent);
  }
  return true;
}

bool receive_all(int fd, void* data, std::size_t size) {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t got = ::recv(fd, p, size, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    p += got, size -= static_cast<std::size_t>(got);
  }
  return true;
}

/// One message being written, sent whole.
class Message {
 public:
  Message& byte(std::uint8_t b) {
    out_.push_back(static_cast<char>(b));
    return *this;
  }
  Message& number(std::uint64_t n) {
    for (int shift = 56; shift >= 0; shift -= 8) out_.push_back(static_cast<char>((n >> shift) & 0xFF));
    return *this;
  }
  Message& text(const std::string& s) {
    number(s.size());
    out_ += s;
    return *this;
  }
  Message& bytes(const Bytes& b) {
    number(b.size());
    out_.append(b.begin(), b.end());
    return *this;
  }
  bool send(int fd) const { return send_all(fd, out_.data(), out_.size()); }

 private:
  std::string out_;
};

/// Reads the fields of a message; each returns false when the peer is gone or sends too much.
class Reader {
 public:
  explicit Reader(int fd) : fd_(fd) {}
  bool byte(std::uint8_t& b) { return receive_all(fd_, &b, 1); }
  bool number(std::uint64_t& n) {
    unsigned char raw[8];
    if (!receive_all(fd_, raw, 8)) return false;
    n = 0;
    for (unsigned char c : raw) n = (n << 8) | c;
    return true;
  }
  bool text(std::string& s, std::uint64_t longest = kLongestKey) {
    std::uint64_t size = 0;
    if (!number(size) || size > longest) return false;
    s.resize(static_cast<std::size_t>(size));
    return size == 0 || receive_all(fd_, s.data(), s.size());
  }
  bool bytes(Bytes& b) {
    std::string s;
    if (!text(s, kLongestValue)) return false;
    b.assign(s.begin(), s.end());
    return true;
  }
  bool keys(std::vector<std::string>& keys) {
    std::uint64_t n = 0;
    if (!number(n) || n > kMostKeys) return false;
    keys.resize(static_cast<std::size_t>(n));
    for (auto& key : keys)
      if (!text(key)) return false;
    return true;
  }

 private:
  int fd_;
};

std::int64_t as_integer(const Bytes& value) {
  return value.empty() ? 0 : std::strtoll(std::string(value.begin(), value.end()).c_str(), nullptr, 10);
}

Bytes integer_bytes(std::int64_t n) {
  const std::string s = std::to_string(n);
  return Bytes(s.begin(), s.end());
}

/// Whether the peer of `fd` has hung up (checked while a request waits for keys).
bool peer_gone(int fd) {
  pollfd p{fd, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

class StoreServer {
 public:
  StoreServer(int listen_fd, std::string token) : listen_fd_(listen_fd), token_(std::move(token)) {
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~StoreServer() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    ::close(listen_fd_);
    {
      std::lock_guard<std::mutex> lock(clients_mutex_);
      for (auto& [fd, thread] : clients_) ::shutdown(fd, SHUT_RDWR);
    }
    changed_.notify_all();
    for (auto& [fd, thread] : clients_) {
      thread.join();
      ::close(fd);
    }
  }

 private:
  void accept_loop() {
    while (!stopping_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0 || stopping_) continue;
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      const int on = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
      std::lock_guard<std::mutex> lock(clients_mutex_);
      clients_.emplace_back(fd, std::thread([this, fd] { serve(fd); }));
    }
  }

  /// One client: a hello with the token, then requests until it hangs up.
  void serve(int fd) {
    Reader in(fd);
    std::uint8_t op = 0;
    std::string token;
    if (!in.byte(op) || op != static_cast<std::uint8_t>(Op::hello) || !in.text(token)) return;
    const bool welcome = token == token_;
    Message().byte(static_cast<std::uint8_t>(welcome ? Status::ok : Status::refused)).send(fd);
    if (!welcome) return;
    while (!stopping_ && in.byte(op))
      if (!answer(fd, static_cast<Op>(op), in)) return;
  }

  /// Reads the rest of one request and answers it; false to hang up (a malformed request).
  bool answer(int fd, Op op, Reader& in) {
    std::string key;
    Bytes value, expected;
    std::vector<std::string> keys;
    std::uint64_t number = 0;
    Message reply;
    switch (op) {
      case Op::set: {
        if (!in.text(key) || !in.bytes(value)) return false;
        put(key, std::move(value));
        reply.byte(0);
        break;
      }
      case Op::get: {
        if (!in.text(key) || !in.number(number)) return false;
        const Status status = wait_for({key}, std::chrono::milliseconds(number), fd);
        reply.byte(static_cast<std::uint8_t>(status));
        if (status == Status::ok) {
          std::lock_guard<std::mutex> lock(mutex_);
          reply.bytes(data_[key]);
        }
        break;
      }
      case Op::add: {
        if (!in.text(key) || !in.number(number)) return false;
        std::int64_t total = 0;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          auto& stored = data_[key];
          total = as_integer(stored) + static_cast<std::int64_t>(number);
          stored = integer_bytes(total);
        }
        changed_.notify_all();
        reply.byte(0).number(static_cast<std::uint64_t>(total));
        break;
      }
      case Op::compare_set: {
        Bytes desired;
        if (!in.text(key) || !in.bytes(expected) || !in.bytes(desired)) return false;
        Bytes now;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          auto it = data_.find(key);
          // As TCPStore: a missing key is set when nothing was expected; a matching value is replaced.
          if (it == data_.end() && expected.empty()) now = data_[key] = desired;
          else if (it == data_.end()) now = expected;
          else if (it->second == expected) now = it->second = desired;
          else now = it->second;
        }
        changed_.notify_all();
        reply.byte(0).bytes(now);
        break;
      }
      case Op::check: {
        if (!in.keys(keys)) return false;
        std::lock_guard<std::mutex> lock(mutex_);
        bool all = true;
        for (const auto& k : keys) all = all && data_.count(k) > 0;
        reply.byte(0).byte(all ? 1 : 0);
        break;
      }
      case Op::remove: {
        if (!in.text(key)) return false;
        std::lock_guard<std::mutex> lock(mutex_);
        reply.byte(0).byte(data_.erase(key) > 0 ? 1 : 0);
        break;
      }
      case Op::count: {
        std::lock_guard<std::mutex> lock(mutex_);
        reply.byte(0).number(data_.size());
        break;
      }
      case Op::wait: {
        if (!in.keys(keys) || !in.number(number)) return false;
        reply.byte(static_cast<std::uint8_t>(wait_for(keys, std::chrono::milliseconds(number), fd)));
        break;
      }
      default:
        return false;
    }
    return reply.send(fd);
  }

  void put(const std::string& key, Bytes value) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      data_[key] = std::move(value);
    }
    changed_.notify_all();
  }

  /// Until every key is there, `timeout` passes (0: no limit), the client hangs up or the server stops.
  Status wait_for(const std::vector<std::string>& keys, std::chrono::milliseconds timeout, int fd) {
    const auto deadline = Clock::now() + timeout;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      bool all = true;
      for (const auto& k : keys) all = all && data_.count(k) > 0;
      if (all) return Status::ok;
      if (stopping_ || peer_gone(fd)) return Status::refused;
      if (timeout.count() > 0 && Clock::now() >= deadline) return Status::timeout;
      changed_.wait_for(lock, std::chrono::milliseconds(100));
    }
  }

  int listen_fd_;
  std::string token_;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, Bytes> data_;
  std::mutex clients_mutex_;
  std::vector<std::pair<int, std::thread>> clients_;
};

namespace {

/// Every address `host` resolves to, numeric.
std::vector<std::string> addresses_of(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int error = ::getaddrinfo(host.c_str(), nullptr, &hints, &found); error != 0)
    throw UsageError("MASTER_ADDR '" + host + "' does not resolve to an address: " + gai_strerror(error));
  std::vector<std::string> out;
  for (addrinfo* a = found; a; a = a->ai_next) {
    char text[NI_MAXHOST] = {};
    if (::getnameinfo(a->ai_addr, a->ai_addrlen, text, sizeof text, nullptr, 0, NI_NUMERICHOST) == 0) out.push_back(text);
  }
  ::freeaddrinfo(found);
  if (out.empty()) throw UsageError("MASTER_ADDR '" + host + "' does not resolve to an address");
  return out;
}

bool is_loopback(const std::string& address) { return address.rfind("127.", 0) == 0 || address == "::1"; }

/// A listening socket bound to `address`:`port` alone.
int listen_on(const std::string& address, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (::getaddrinfo(address.c_str(), service.c_str(), &hints, &found) != 0 || !found)
    throw RunError("the rendezvous store cannot listen on '" + address + "': not an address");
  const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int on = 1;
  const bool ok = fd >= 0 && ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == 0 &&
                  ::bind(fd, found->ai_addr, found->ai_addrlen) == 0 && ::listen(fd, 1024) == 0;
  const std::string why = errno_text();
  ::freeaddrinfo(found);
  if (!ok) {
    if (fd >= 0) ::close(fd);
    throw RunError("the rendezvous store cannot listen on " + address + ":" + service + " (" + why +
                   "); is the port free?");
  }
  return fd;
}

class StoreClient final : public c10d::Store {
 public:
  StoreClient(std::string host, int port, std::string token, std::chrono::milliseconds timeout,
              std::shared_ptr<StoreServer> server)
      : c10d::Store(timeout), host_(std::move(host)), port_(port), token_(std::move(token)), server_(std::move(server)) {
    fd_ = connect_until(Clock::now() + timeout);
  }
  ~StoreClient() override { ::close(fd_); }

  // torch 2.x asks for it (1.13 has no clone): another connection to the same store.
  virtual c10::intrusive_ptr<c10d::Store> clone() {
    return c10::make_intrusive<StoreClient>(host_, port_, token_, timeout_, server_);
  }

  void set(const std::string& key, const std::vector<uint8_t>& value) override {
    ask(Message().byte(static_cast<std::uint8_t>(Op::set)).text(key).bytes(value), "set " + key);
  }

  std::vector<uint8_t> compareSet(const std::string& key, const std::vector<uint8_t>& expected,
                                  const std::vector<uint8_t>& desired) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Reader in = ask_locked(Message().byte(static_cast<std::uint8_t>(Op::compare_set)).text(key).bytes(expected).bytes(desired),
                           "compare-set " + key);
    Bytes now;
    if (!in.bytes(now)) lost("compare-set " + key);
    return now;
  }

  std::vector<uint8_t> get(const std::string& key) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Reader in = ask_locked(Message().byte(static_cast<std::uint8_t>(Op::get)).text(key).number(wait_ms(timeout_)),
                           "get " + key, {key});
    Bytes value;
    if (!in.bytes(value)) lost("get " + key);
    return value;
  }

  int64_t add(const std::string& key, int64_t delta) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Reader in = ask_locked(Message().byte(static_cast<std::uint8_t>(Op::add)).text(key).number(static_cast<std::uint64_t>(delta)),
                           "add " + key);
    std::uint64_t total = 0;
    if (!in.number(total)) lost("add " + key);
    return static_cast<std::int64_t>(total);
  }

  bool deleteKey(const std::string& key) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Reader in = ask_locked(Message().byte(static_cast<std::uint8_t>(Op::remove)).text(key), "delete " + key);
    std::uint8_t removed = 0;
    if (!in.byte(removed)) lost("delete " + key);
    return removed != 0;
  }

  bool check(const std::vector<std::string>& keys) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Reader in = ask_locked(with_keys(Op::check, keys), "check");
    std::uint8_t all = 0;
    if (!in.byte(all)) lost("check");
    return all != 0;
  }

  int64_t getNumKeys() override {
    std::lock_guard<std::mutex> lock(mutex_);
    Reader in = ask_locked(Message().byte(static_cast<std::uint8_t>(Op::count)), "count keys");
    std::uint64_t n = 0;
    if (!in.number(n)) lost("count keys");
    return static_cast<std::int64_t>(n);
  }

  void wait(const std::vector<std::string>& keys) override { wait(keys, timeout_); }

  void wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ask_locked(with_keys(Op::wait, keys).number(wait_ms(timeout)), "wait", keys);
  }

 private:
  static std::uint64_t wait_ms(std::chrono::milliseconds timeout) {
    return static_cast<std::uint64_t>(std::max<std::int64_t>(0, timeout.count()));
  }

  static Message with_keys(Op op, const std::vector<std::string>& keys) {
    Message m;
    m.byte(static_cast<std::uint8_t>(op)).number(keys.size());
    for (const auto& k : keys) m.text(k);
    return m;
  }

  int connect_until(Clock::time_point deadline) {
    std::string why = "no answer";
    for (;;) {
      const int fd = try_connect(why);
      if (fd >= 0) {
        Reader in(fd);
        std::uint8_t status = 0;
        if (Message().byte(static_cast<std::uint8_t>(Op::hello)).text(token_).send(fd) && in.byte(status)) {
          if (status == static_cast<std::uint8_t>(Status::ok)) return fd;
          ::close(fd);
          throw std::runtime_error("the rendezvous store at " + where() +
                                   " refused this rank's token (FTCORE_RENDEZVOUS_TOKEN differs between the ranks)");
        }
        ::close(fd);
        why = "the connection closed at once";
      }
      if (Clock::now() >= deadline) throw std::runtime_error("cannot reach the rendezvous store at " + where() + ": " + why);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  int try_connect(std::string& why) const {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port_);
    if (const int error = ::getaddrinfo(host_.c_str(), service.c_str(), &hints, &found); error != 0) {
      why = gai_strerror(error);
      return -1;
    }
    int connected = -1;
    for (addrinfo* a = found; a && connected < 0; a = a->ai_next) {
      const int fd = ::socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0) continue;
      if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
        const int on = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        connected = fd;
      } else {
        why = errno_text();
        ::close(fd);
      }
    }
    ::freeaddrinfo(found);
    return connected;
  }

  std::string where() const { return host_ + ":" + std::to_string(port_); }

  [[noreturn]] void lost(const std::string& what) const {
    throw std::runtime_error("the rendezvous store at " + where() + " went away during '" + what +
                             "' (rank 0, which serves it, has ended?)");
  }

  void ask(const Message& request, const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex_);
    ask_locked(request, what);
  }

  /// Sends a request and reads its status; the caller reads the rest.
  Reader ask_locked(const Message& request, const std::string& what, const std::vector<std::string>& keys = {}) {
    if (!request.send(fd_)) lost(what);
    Reader in(fd_);
    std::uint8_t status = 0;
    if (!in.byte(status)) lost(what);
    if (status == static_cast<std::uint8_t>(Status::timeout)) {
      std::string names;
      for (const auto& k : keys) names += (names.empty() ? "" : ", ") + k;
      throw std::runtime_error("timed out after " + std::to_string(timeout_.count()) + " ms waiting for " + names +
                               " in the rendezvous store at " + where());
    }
    if (status != static_cast<std::uint8_t>(Status::ok)) lost(what);
    return in;
  }

  std::string host_;
  int port_;
  std::string token_;
  std::shared_ptr<StoreServer> server_;
  std::mutex mutex_;
  int fd_ = -1;
};

}  // namespace

std::string bind_address(const std::string& host, bool all_local) {
  if (const char* bind = std::getenv("FTCORE_RENDEZVOUS_BIND"); bind && *bind) return bind;
  const auto addresses = addresses_of(host);
  const std::string address = addresses.front();
  if (is_loopback(address) && !all_local)
    throw UsageError("MASTER_ADDR '" + host + "' is " + address +
                     " on this machine, a loopback address the ranks on other machines cannot reach: set MASTER_ADDR "
                     "to this machine's network address (e.g. the first of `hostname -I`), or FTCORE_RENDEZVOUS_BIND "
                     "to the address rank 0 should listen on");
  return address;
}

std::shared_ptr<StoreServer> serve_store(const std::string& address, int port, const std::string& token) {
  return std::make_shared<StoreServer>(listen_on(address, port), token);
}

c10::intrusive_ptr<c10d::Store> connect_store(const std::string& host, int port, const std::string& token,
                                              std::chrono::milliseconds timeout, std::shared_ptr<StoreServer> server) {
  return c10::make_intrusive<StoreClient>(host, port, token, timeout, std::move(server));
}

}  // namespace ftcore::dist
