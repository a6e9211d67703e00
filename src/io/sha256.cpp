#include "io/sha256.h"

#include <openssl/evp.h>

#include <fstream>
#include <memory>
#include <stdexcept>
#include <vector>

#include "io/error.h"

namespace logitrank::io {
namespace {

struct Ctx {
  EVP_MD_CTX* c = EVP_MD_CTX_new();
  Ctx() {
    if (!c || EVP_DigestInit_ex(c, EVP_sha256(), nullptr) != 1)
      throw std::runtime_error("sha256: EVP init failed");
  }
  ~Ctx() { EVP_MD_CTX_free(c); }
  void update(const void* p, std::size_t n) {
    if (EVP_DigestUpdate(c, p, n) != 1) throw std::runtime_error("sha256: EVP update failed");
  }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(c, md, &len) != 1) throw std::runtime_error("sha256: EVP final failed");
    static const char* d = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
      out.push_back(d[md[i] >> 4]);
      out.push_back(d[md[i] & 15]);
    }
    return out;
  }
};

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  Ctx c;
  c.update(bytes.data(), bytes.size());
  return c.hex();
}

std::string sha256_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": cannot open file");
  Ctx c;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) c.update(buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw InputError(path.string() + ": read error");
  return c.hex();
}

}  // namespace logitrank::io
