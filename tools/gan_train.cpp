// gan_train: trains a CycleGAN between two folders of MRI data (domain A = T1, domain B = T2):
//   gan_train --data-a T1_DIR --data-b T2_DIR --out RUN_DIR [options]   (--help lists them all)
// The command line, exit codes and signals are described in tools/train_main.h.
#include "tools/train_main.h"

int main(int argc, char** argv) { return gan_train_main(argc, argv, {}); }
