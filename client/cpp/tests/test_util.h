// Test helpers: run a real tensord server (and other programs) as
// subprocesses.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "tensord/v1/tensord.grpc.pb.h"

#ifndef TENSORD_SERVER_BIN
#define TENSORD_SERVER_BIN ""
#endif

namespace tensord::testing {

// $TENSORD_BIN, else the `tensord` target of this build.
inline std::string ServerBinary() {
  if (const char* env = std::getenv("TENSORD_BIN"); env != nullptr && *env != '\0') return env;
  return TENSORD_SERVER_BIN;
}

// A TCP port on 127.0.0.1 that was free a moment ago.
inline int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

inline std::string MakeTempDir() {
  char tmpl[] = "/tmp/tensord-test-XXXXXX";
  char* dir = ::mkdtemp(tmpl);
  return dir != nullptr ? dir : "/tmp";
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Forks and execs argv with stdout/stderr redirected to files; returns the pid.
inline pid_t Spawn(const std::vector<std::string>& argv, const std::string& stdout_path,
                   const std::string& stderr_path,
                   const std::vector<std::pair<std::string, std::string>>& env = {}) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int out = ::open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a program to completion (killed after `timeout_seconds`).
inline RunResult Run(const std::vector<std::string>& argv, double timeout_seconds = 60,
                     const std::vector<std::pair<std::string, std::string>>& env = {}) {
  static int counter = 0;
  std::string dir = MakeTempDir();
  std::string out = dir + "/out" + std::to_string(counter);
  std::string err = dir + "/err" + std::to_string(counter++);
  pid_t pid = Spawn(argv, out, err, env);
  RunResult result;
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000));
  int status = 0;
  while (true) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      result.err = "(timed out)\n";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  result.out = ReadFile(out);
  result.err += ReadFile(err);
  std::remove(out.c_str());
  std::remove(err.c_str());
  ::rmdir(dir.c_str());
  return result;
}

// A self-signed certificate for localhost / 127.0.0.1 in `dir` (cert.pem,
// key.pem) made with the openssl CLI; false if that is not available.
inline bool MakeSelfSignedCert(const std::string& dir) {
  if (::access("/usr/bin/openssl", X_OK) != 0) return false;
  RunResult r = Run({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                     "-keyout", dir + "/key.pem", "-out", dir + "/cert.pem", "-days", "2",
                     "-subj", "/CN=localhost", "-addext",
                     "subjectAltName=DNS:localhost,IP:127.0.0.1"});
  return r.exit_code == 0;
}

// A tensord server subprocess listening on one address.
class ServerProcess {
 public:
  ServerProcess() = default;
  ~ServerProcess() { Stop(); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts the server on `listen` ("" = a free 127.0.0.1 port) and waits
  // until it answers ServerInfo. Returns false with `error` set otherwise.
  // With TLS or tokens on, pass the credentials and token that reach it.
  bool Start(std::string listen = "", std::vector<std::string> extra_args = {},
             std::string* error = nullptr,
             std::shared_ptr<grpc::ChannelCredentials> creds = nullptr,
             const std::string& token = "") {
    if (creds == nullptr) creds = grpc::InsecureChannelCredentials();
    std::string bin = ServerBinary();
    if (bin.empty() || ::access(bin.c_str(), X_OK) != 0) {
      if (error) *error = "no tensord binary (set TENSORD_BIN); tried '" + bin + "'";
      return false;
    }
    dir_ = MakeTempDir();
    if (listen.empty()) listen = "127.0.0.1:" + std::to_string(FreePort());
    address_ = listen;
    log_path_ = dir_ + "/server.log";
    std::vector<std::string> argv = {bin, "--listen", listen};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    pid_ = Spawn(argv, log_path_, log_path_ + ".err");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        if (error) *error = "tensord exited during startup:\n" + Log();
        return false;
      }
      // A fresh channel each time: a channel that failed to connect waits
      // out its reconnect backoff (~1 s) before trying again.
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      auto channel = grpc::CreateCustomChannel(address_, creds, args);
      auto stub = tensord::v1::Tensord::NewStub(channel);
      grpc::ClientContext ctx;
      if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
      tensord::v1::ServerInfoResponse info;
      if (stub->ServerInfo(&ctx, tensord::v1::Empty(), &info).ok()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (error) *error = "tensord did not answer within 30 s:\n" + Log();
    Stop();
    return false;
  }

  // SIGTERM, then SIGKILL if it has not exited after `grace_seconds`.
  // Returns the wait status (or -1). Graceful shutdown is the server's own
  // tests' business; these tests only need the process gone.
  int Stop(double grace_seconds = 3) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(static_cast<int64_t>(grace_seconds * 1000));
    while (::waitpid(pid_, &status, WNOHANG) != pid_) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = -1;
    return status;
  }

  std::string Log() const { return ReadFile(log_path_) + ReadFile(log_path_ + ".err"); }
  const std::string& address() const { return address_; }
  const std::string& dir() const { return dir_; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::string address_;
  std::string dir_;
  std::string log_path_;
};

}  // namespace tensord::testing
