// The engine tests' main: the backends are registered explicitly (Note
// [Backend registration], engine/backend.h), then every test runs.
#include <gtest/gtest.h>

#include "engine/backend.h"

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  tensord::engine::RegisterBackends();
  return RUN_ALL_TESTS();
}
