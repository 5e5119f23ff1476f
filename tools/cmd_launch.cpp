// ifq launch --nproc N -- PROGRAM ARGS...: starts N processes of a
// data-parallel job on this machine with the environment PyTorch launchers
// set (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR,
// MASTER_PORT), so `ifq train --dist-backend gloo` runs without Python
// (docs/distributed.md). When a rank fails, the others get --grace seconds to
// stop on their own (they see the broken collective), then SIGTERM.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "command_registry.hpp"
#include "ifq/error.hpp"

namespace {

// The last SIGINT/SIGTERM the launcher got, to forward to every rank.
volatile sig_atomic_t g_signal = 0;
extern "C" void remember_signal(int sig) { g_signal = sig; }

// A port the kernel reports free now (as torchrun does; another program
// could take it before rank 0 binds it, then the rendezvous says so).
int free_port(const std::string& addr) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw ifq::Error("cannot open a socket to find a free port: " + std::string(std::strerror(errno)));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = 0;
  if (::inet_pton(AF_INET, addr == "localhost" ? "127.0.0.1" : addr.c_str(), &sa.sin_addr) != 1)
    sa.sin_addr.s_addr = htonl(INADDR_ANY);
  socklen_t len = sizeof sa;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    ::close(fd);
    throw ifq::Error("cannot find a free port on " + addr + ": " + std::string(std::strerror(errno)) +
                     " (give --master-port)");
  }
  ::close(fd);
  return ntohs(sa.sin_port);
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

std::string describe(int status) {
  if (WIFSIGNALED(status)) return std::string("was killed by signal ") + strsignal(WTERMSIG(status));
  return "exited with status " + std::to_string(exit_code_of(status));
}

struct LaunchFlags {
  int nproc = 0, master_port = 0;
  std::string master_addr = "127.0.0.1";
  double grace = 10;
  std::vector<std::string> command;
};

int launch(const LaunchFlags& f) {
  const int port = f.master_port > 0 ? f.master_port : free_port(f.master_addr);
  // `ifq` means this program: build/ifq is rarely on PATH.
  std::vector<std::string> args = f.command;
  if (args[0] == "ifq") args[0] = "/proc/self/exe";
  std::fprintf(stderr, "ifq launch: %d processes, MASTER_ADDR=%s MASTER_PORT=%d\n", f.nproc, f.master_addr.c_str(), port);
  // Each rank leads its own process group, so stopping a rank also stops
  // what it started; Ctrl-C and SIGTERM to the launcher are forwarded to
  // every rank (the trainer checkpoints on SIGINT), and it waits for them.
  struct sigaction sa {};
  sa.sa_handler = remember_signal;
  sigemptyset(&sa.sa_mask);
  struct sigaction previous_int {}, previous_term {};
  sigaction(SIGINT, &sa, &previous_int);
  sigaction(SIGTERM, &sa, &previous_term);
  bool interrupted = false;
  std::vector<pid_t> pids(size_t(f.nproc), -1);  // -1: not started or already gone
  // `sig` to every running rank's process group (the rank and what it started).
  auto signal_all = [&](int sig, bool announce) {
    for (int r = 0; r < f.nproc; ++r)
      if (pids[size_t(r)] > 0) {
        if (announce) std::fprintf(stderr, "ifq launch: stopping rank %d (pid %d)\n", r, int(pids[size_t(r)]));
        ::kill(-pids[size_t(r)], sig);
      }
  };
  for (int r = 0; r < f.nproc; ++r) {
    const pid_t pid = ::fork();
    if (pid < 0) {
      signal_all(SIGTERM, false);
      throw ifq::Error("cannot start rank " + std::to_string(r) + ": " + std::strerror(errno));
    }
    if (pid == 0) {
      sigaction(SIGINT, &previous_int, nullptr);
      sigaction(SIGTERM, &previous_term, nullptr);
      ::setpgid(0, 0);
      const std::string rank = std::to_string(r), world = std::to_string(f.nproc);
      ::setenv("RANK", rank.c_str(), 1);
      ::setenv("LOCAL_RANK", rank.c_str(), 1);
      ::setenv("WORLD_SIZE", world.c_str(), 1);
      ::setenv("LOCAL_WORLD_SIZE", world.c_str(), 1);
      ::setenv("GROUP_RANK", "0", 1);
      ::setenv("MASTER_ADDR", f.master_addr.c_str(), 1);
      ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execvp(argv[0], argv.data());
      std::fprintf(stderr, "ifq: error: ifq launch: cannot run '%s': %s\n", f.command[0].c_str(), std::strerror(errno));
      ::_exit(127);
    }
    ::setpgid(pid, pid);  // also here: no race with the child's own call
    pids[size_t(r)] = pid;
    std::fprintf(stderr, "ifq launch: rank %d pid %d\n", r, int(pid));
  }
  int running = f.nproc, first_failure = 0;
  bool terminated = false;
  std::chrono::steady_clock::time_point failed_at;
  while (running > 0) {
    if (const int sig = g_signal; sig != 0) {
      g_signal = 0;
      interrupted = true;
      signal_all(sig, false);
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno != EINTR) break;
    if (pid > 0) {
      int rank = 0;
      while (rank < f.nproc && pids[size_t(rank)] != pid) ++rank;
      if (rank == f.nproc) continue;
      pids[size_t(rank)] = -1;
      --running;
      if (exit_code_of(status) == 0) continue;
      if (first_failure == 0 && running > 0)
        std::fprintf(stderr, "ifq launch: rank %d %s; the other ranks get %.0f s to stop, then SIGTERM\n", rank,
                     describe(status).c_str(), f.grace);
      else
        std::fprintf(stderr, "ifq launch: rank %d %s\n", rank, describe(status).c_str());
      if (first_failure == 0) {
        first_failure = exit_code_of(status);
        failed_at = std::chrono::steady_clock::now();
      }
      continue;
    }
    if (first_failure != 0 && !terminated &&
        std::chrono::steady_clock::now() - failed_at > std::chrono::duration<double>(f.grace)) {
      signal_all(SIGTERM, true);
      terminated = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  sigaction(SIGINT, &previous_int, nullptr);
  sigaction(SIGTERM, &previous_term, nullptr);
  if (first_failure != 0) return first_failure;
  return interrupted ? 130 : 0;
}

IFQ_REGISTER_COMMAND(
    "launch", "start N processes of a data-parallel job on this machine (RANK, WORLD_SIZE, MASTER_* as torchrun)",
    [](CLI::App& sub) -> std::function<int()> {
      auto f = std::make_shared<LaunchFlags>();
      sub.add_option("--nproc", f->nproc, "processes (ranks) to start")->required()->check(CLI::Range(1, 1024));
      sub.add_option("--master-addr", f->master_addr, "rendezvous address (default 127.0.0.1: this machine only)");
      sub.add_option("--master-port", f->master_port, "rendezvous port (default: a free one)")
          ->check(CLI::Range(1, 65535));
      sub.add_option("--grace", f->grace, "seconds the other ranks get to stop after one fails, before SIGTERM")
          ->check(CLI::Range(0.0, 3600.0));
      sub.add_option("command", f->command, "the program and its arguments, after -- (`ifq` means this ifq)")
          ->required();
      return [f]() { return launch(*f); };
    });

}  // namespace
