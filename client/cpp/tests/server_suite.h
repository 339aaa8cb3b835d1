// A gtest fixture base that runs one tensord server per test suite: started
// in SetUpTestSuite (a test fails with the reason if it could not start),
// its log printed to stderr when any test of the binary failed.
//   class MyTest : public tensord::testing::ServerSuite<MyTest> { ... };
#pragma once

#include <iostream>
#include <string>

#include <gtest/gtest.h>

#include "test_util.h"

namespace tensord::testing {

template <typename Suite>
class ServerSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess();
    if (!server_->Start("", {}, &start_error_)) {
      delete server_;
      server_ = nullptr;
    }
  }
  static void TearDownTestSuite() {
    if (server_ == nullptr) return;
    if (::testing::UnitTest::GetInstance()->failed_test_count() > 0) {
      std::cerr << "---- tensord log ----\n" << server_->Log() << "---- end ----\n";
    }
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(server_, nullptr) << start_error_; }

  static const std::string& address() { return server_->address(); }

  static inline ServerProcess* server_ = nullptr;
  static inline std::string start_error_;
};

}  // namespace tensord::testing
