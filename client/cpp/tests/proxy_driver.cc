// Drives sessions of the C++ client through a session-sticky proxy for
// tests/python/test_proxy.py, one command per stdin line:
//
//   open N    opens N sessions; prints "SESSION <id> <instance>" for each
//   check     runs a command on every open session and syncs; prints
//             "OK <id> <value>" or "ERR <id> <code name> <message>"
//   quit      closes what is still open and exits 0
//
// Each session holds x = [1, 2, 3] * k (k = its number), so "check" proves
// the command ran on the daemon that holds the session's tensors.
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <tensord/tensord.h>

namespace {

struct Open {
  std::unique_ptr<tensord::Client> client;
  tensord::Tensor x;
  int k = 0;
};

std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: tensord_proxy_driver ADDRESS\n";
    return 2;
  }
  const std::string address = argv[1];
  std::vector<Open> sessions;
  for (std::string line; std::getline(std::cin, line);) {
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    if (cmd == "open") {
      int n = 0;
      in >> n;
      for (int i = 0; i < n; ++i) {
        try {
          Open o;
          o.k = static_cast<int>(sessions.size()) + 1;
          o.client = std::make_unique<tensord::Client>(address);
          o.x = o.client->Tensor(std::vector<float>{1, 2, 3}) * static_cast<double>(o.k);
          const tensord::SessionInfo info = o.client->Session();
          std::cout << "SESSION " << info.session_id << " " << info.instance << "\n";
          sessions.push_back(std::move(o));
        } catch (const tensord::Error& e) {
          std::cout << "ERR - " << e.code_name() << " " << OneLine(e.message()) << "\n";
        }
      }
    } else if (cmd == "check") {
      for (Open& o : sessions) {
        try {
          const float v = (o.x * 2).Sum().Item<float>();
          std::cout << "OK " << o.client->session_id() << " " << v << "\n";
        } catch (const tensord::Error& e) {
          std::cout << "ERR " << o.client->session_id() << " " << e.code_name() << " "
                    << OneLine(e.message()) << "\n";
        }
      }
    } else if (cmd == "quit") {
      break;
    } else {
      std::cout << "ERR - USAGE unknown command '" << cmd << "'\n";
    }
    std::cout << "DONE" << std::endl;
  }
  return 0;
}
