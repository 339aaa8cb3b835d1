#include "engine/cpu/parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <cblas.h>

#include "engine/cpu/kernels.h"

namespace tensord::engine::cpu {

namespace {

class ThreadPool {
 public:
  explicit ThreadPool(int n) { Resize(n); }
  ~ThreadPool() { Stop(); }

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  void Resize(int n) {
    Stop();
    stop_ = false;
    for (int i = 1; i < n; ++i) workers_.emplace_back([this, i] { Work(i); });
  }

  // Runs task(worker_index) on every thread of the pool (caller is index 0).
  // Returns false without running anything if the pool is busy.
  bool TryRun(const std::function<void(int)>& task) {
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock()) return false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      task_ = &task;
      pending_ = static_cast<int>(workers_.size());
      ++generation_;
    }
    cv_.notify_all();
    task(0);
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [&] { return pending_ == 0; });
    task_ = nullptr;
    return true;
  }

 private:
  void Work(int index) {
    uint64_t seen = 0;
    while (true) {
      const std::function<void(int)>* task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        task = task_;
      }
      (*task)(index);
      std::lock_guard<std::mutex> lock(mu_);
      if (--pending_ == 0) done_cv_.notify_one();
    }
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  std::vector<std::thread> workers_;
  std::mutex busy_, mu_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(int)>* task_ = nullptr;
  int pending_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
};

int DefaultThreads() { return std::max(1u, std::thread::hardware_concurrency()); }

ThreadPool& Pool() {
  static ThreadPool* pool = [] {
    openblas_set_num_threads(DefaultThreads());
    return new ThreadPool(DefaultThreads());
  }();
  return *pool;
}

}  // namespace

int NumThreads() { return Pool().size(); }

void SetNumThreads(int n) {
  n = std::max(1, n);
  Pool().Resize(n);
  openblas_set_num_threads(n);
}

thread_local bool in_parallel_region = false;

void ParallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (in_parallel_region) {  // nested: run inline (see Note [Thread budget])
    fn(0, n);
    return;
  }
  int64_t max_chunks = std::max<int64_t>(1, n / std::max<int64_t>(grain, 1));
  int threads = static_cast<int>(std::min<int64_t>(Pool().size(), max_chunks));
  if (threads <= 1) {
    fn(0, n);
    return;
  }
  int64_t chunk = (n + threads - 1) / threads;
  std::function<void(int)> task = [&](int i) {
    int64_t b = i * chunk, e = std::min(n, b + chunk);
    if (i >= threads || b >= e) return;
    in_parallel_region = true;
    fn(b, e);
    in_parallel_region = false;
  };
  if (!Pool().TryRun(task)) fn(0, n);
}

}  // namespace tensord::engine::cpu
