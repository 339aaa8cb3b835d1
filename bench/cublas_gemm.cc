// cublas_gemm: one square GEMM timed with cuBLAS called directly, the
// baseline of bench/cuda_matmul.py (tensord's matmul on cuda next to the
// same cublasGemmEx without tensord in between). See bench/README.md.
//
// The call is the one the engine makes for a contiguous 2-D matmul
// (engine/cuda/runtime.cc): cublasGemmEx with float32 accumulation
// (CUBLAS_COMPUTE_32F, so no TF32 for float32, PyTorch's default) on
// operands of the given dtype, C = A * B, all n x n. Operands hold the same
// kind of values the Python bench uses (standard normal), uploaded once.
// Each timed GEMM is bracketed by CUDA events on one stream; the figure is
// the median over --iters after --warmup.
//
// Usage: cublas_gemm [--n 8192] [--dtype float32|bfloat16|float16]
//                    [--iters 20] [--warmup 3] [--device 0] [--json]
// Exit codes: 0 ok; 1 CUDA/cuBLAS error; 2 usage; 3 no cuda device.
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

[[noreturn]] void Usage(const std::string& error) {
  std::fprintf(stderr,
               "cublas_gemm: %s\nusage: cublas_gemm [--n N] [--dtype float32|bfloat16|float16] "
               "[--iters N] [--warmup N] [--device N] [--json]\n",
               error.c_str());
  std::exit(2);
}

void CheckCuda(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return;
  std::fprintf(stderr, "cublas_gemm: CUDA error in %s: %s\n", what, cudaGetErrorString(e));
  std::exit(1);
}

void CheckBlas(cublasStatus_t s, const char* what) {
  if (s == CUBLAS_STATUS_SUCCESS) return;
  std::fprintf(stderr, "cublas_gemm: cuBLAS error in %s: %d\n", what, static_cast<int>(s));
  std::exit(1);
}

struct Options {
  int64_t n = 8192;
  std::string dtype = "float32";
  int iters = 20;
  int warmup = 3;
  int device = 0;
  bool json = false;
};

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(arg + " needs a value");
      return argv[++i];
    };
    auto integer = [&](int64_t min) -> int64_t {
      const std::string v = value();
      char* end = nullptr;
      const long long x = std::strtoll(v.c_str(), &end, 10);
      if (end == v.c_str() || *end != '\0' || x < min) Usage(arg + " expects an integer >= " + std::to_string(min));
      return x;
    };
    if (arg == "--n") o.n = integer(1);
    else if (arg == "--dtype") o.dtype = value();
    else if (arg == "--iters") o.iters = static_cast<int>(integer(1));
    else if (arg == "--warmup") o.warmup = static_cast<int>(integer(0));
    else if (arg == "--device") o.device = static_cast<int>(integer(0));
    else if (arg == "--json") o.json = true;
    else if (arg == "--help" || arg == "-h") Usage("help");
    else Usage("unknown argument " + arg);
  }
  if (o.dtype != "float32" && o.dtype != "bfloat16" && o.dtype != "float16") {
    Usage("--dtype must be float32, bfloat16 or float16");
  }
  return o;
}

// n*n standard normal values in the operand's dtype, as raw bytes.
std::vector<unsigned char> Operand(int64_t n, const std::string& dtype, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  const size_t count = static_cast<size_t>(n) * static_cast<size_t>(n);
  const size_t itemsize = dtype == "float32" ? 4 : 2;
  std::vector<unsigned char> bytes(count * itemsize);
  for (size_t i = 0; i < count; ++i) {
    const float v = normal(rng);
    if (dtype == "float32") {
      std::memcpy(&bytes[i * 4], &v, 4);
    } else if (dtype == "bfloat16") {
      const __nv_bfloat16 h = __float2bfloat16(v);
      std::memcpy(&bytes[i * 2], &h, 2);
    } else {
      const __half h = __float2half(v);
      std::memcpy(&bytes[i * 2], &h, 2);
    }
  }
  return bytes;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);

  int count = 0;
  const cudaError_t probe = cudaGetDeviceCount(&count);
  if (probe != cudaSuccess || count == 0) {
    std::fprintf(stderr, "cublas_gemm: no cuda device (%s)\n",
                 probe != cudaSuccess ? cudaGetErrorString(probe) : "the driver reports 0 devices");
    return 3;
  }
  if (o.device >= count) {
    std::fprintf(stderr, "cublas_gemm: no cuda device %d (this machine has %d)\n", o.device, count);
    return 3;
  }
  CheckCuda(cudaSetDevice(o.device), "cudaSetDevice");
  cudaDeviceProp props{};
  CheckCuda(cudaGetDeviceProperties(&props, o.device), "cudaGetDeviceProperties");

  const cudaDataType_t type = o.dtype == "float32"    ? CUDA_R_32F
                              : o.dtype == "bfloat16" ? CUDA_R_16BF
                                                      : CUDA_R_16F;
  const std::vector<unsigned char> a_host = Operand(o.n, o.dtype, 1);
  const std::vector<unsigned char> b_host = Operand(o.n, o.dtype, 2);
  void *a = nullptr, *b = nullptr, *c = nullptr;
  CheckCuda(cudaMalloc(&a, a_host.size()), "cudaMalloc");
  CheckCuda(cudaMalloc(&b, b_host.size()), "cudaMalloc");
  CheckCuda(cudaMalloc(&c, a_host.size()), "cudaMalloc");
  CheckCuda(cudaMemcpy(a, a_host.data(), a_host.size(), cudaMemcpyHostToDevice), "upload");
  CheckCuda(cudaMemcpy(b, b_host.data(), b_host.size(), cudaMemcpyHostToDevice), "upload");

  cudaStream_t stream;
  CheckCuda(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate");
  cublasHandle_t blas;
  CheckBlas(cublasCreate(&blas), "cublasCreate");
  CheckBlas(cublasSetStream(blas, stream), "cublasSetStream");

  const float alpha = 1.0f, beta = 0.0f;
  const int n = static_cast<int>(o.n);
  // Row-major C = A B is column-major C^T = B^T A^T: pass B first, as the engine does.
  auto gemm = [&] {
    CheckBlas(cublasGemmEx(blas, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &alpha, b, type, n, a, type, n,
                           &beta, c, type, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
              "cublasGemmEx");
  };
  for (int i = 0; i < o.warmup; ++i) gemm();
  CheckCuda(cudaStreamSynchronize(stream), "warmup");

  cudaEvent_t start, stop;
  CheckCuda(cudaEventCreate(&start), "cudaEventCreate");
  CheckCuda(cudaEventCreate(&stop), "cudaEventCreate");
  std::vector<double> ms;
  for (int i = 0; i < o.iters; ++i) {
    CheckCuda(cudaEventRecord(start, stream), "cudaEventRecord");
    gemm();
    CheckCuda(cudaEventRecord(stop, stream), "cudaEventRecord");
    CheckCuda(cudaEventSynchronize(stop), "cudaEventSynchronize");
    float t = 0;
    CheckCuda(cudaEventElapsedTime(&t, start, stop), "cudaEventElapsedTime");
    ms.push_back(t);
  }
  std::sort(ms.begin(), ms.end());
  const double median = ms[ms.size() / 2];
  const double tflops = 2.0 * static_cast<double>(o.n) * o.n * o.n / (median * 1e-3) / 1e12;

  if (o.json) {
    std::printf("{\"device\": \"%s\", \"dtype\": \"%s\", \"n\": %lld, \"iters\": %d, "
                "\"median_ms\": %.4f, \"min_ms\": %.4f, \"max_ms\": %.4f, \"tflops\": %.2f}\n",
                props.name, o.dtype.c_str(), static_cast<long long>(o.n), o.iters, median, ms.front(),
                ms.back(), tflops);
  } else {
    std::printf("%s: cublasGemmEx %lldx%lld %s: median %.3f ms (min %.3f, max %.3f) = %.1f TFLOP/s\n",
                props.name, static_cast<long long>(o.n), static_cast<long long>(o.n), o.dtype.c_str(),
                median, ms.front(), ms.back(), tflops);
  }
  cublasDestroy(blas);
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  cudaStreamDestroy(stream);
  cudaFree(a);
  cudaFree(b);
  cudaFree(c);
  return 0;
}
