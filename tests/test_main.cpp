// Shared main for every test binary: one torch thread (tests must be deterministic and not
// fight over 2 cores) and an offscreen Qt platform when a test makes a QApplication.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <cstdlib>

int main(int argc, char** argv) {
  setenv("QT_QPA_PLATFORM", "offscreen", /*overwrite=*/0);
  setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
  at::set_num_threads(1);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
