// ServerSuite for client tests: one server per suite, a fresh Client (and
// so a fresh session) per test.
#pragma once

#include <memory>

#include "server_suite.h"
#include "tensord/tensord.h"

namespace tensord::testing {

// ServerSuite plus a fresh Client (and so a fresh session) for every test.
template <typename Suite>
class ClientSuite : public ServerSuite<Suite> {
 protected:
  void SetUp() override {
    ServerSuite<Suite>::SetUp();
    if (!::testing::Test::HasFatalFailure()) client_ = std::make_unique<Client>(this->address());
  }
  Client& client() { return *client_; }

  std::unique_ptr<Client> client_;
};

}  // namespace tensord::testing
