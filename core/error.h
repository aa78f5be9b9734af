// InputError: bad input from outside (a file, a flag). Its message is one line that names the file
// or flag and the problem; the command-line tools print it and exit with code 2.
#pragma once
#include <stdexcept>
#include <string>

namespace gan {

struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace gan
