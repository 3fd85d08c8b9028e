// RSA key, self-signed certificate and signatures through OpenSSL 3's EVP interface; the canonical
// string as AWS's "Verifying the signatures of Amazon SNS messages" describes it.
#include "services/sns/signing/message_signer.hpp"

#include <boost/json/serialize.hpp>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <atomic>
#include <chrono>
#include <string_view>

#include "common/encoding.hpp"

namespace mallard::sns {
namespace {

constexpr int kKeyBits = 2048;
constexpr long kValiditySeconds = 10L * 365 * 24 * 60 * 60;  // ten years
constexpr char kSubjectCommonName[] = "sns.amazonaws.com";

// The most recent OpenSSL error on this thread, for a message that says what failed and why.
std::string OpenSslError(std::string_view what) {
  std::string text(what);
  unsigned long code = ERR_get_error();
  if (code != 0) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    text += ": ";
    text += buffer;
  }
  ERR_clear_error();
  return text;
}

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct BnDeleter {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

Result<bool, std::string> AddExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
  if (extension == nullptr) return Fail(OpenSslError("making a certificate extension"));
  int added = X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
  if (added != 1) return Fail(OpenSslError("adding a certificate extension"));
  return true;
}

Result<std::string, std::string> SelfSignedCertificatePem(EVP_PKEY* key) {
  std::unique_ptr<X509, X509Deleter> cert(X509_new());
  if (!cert) return Fail(OpenSslError("allocating a certificate"));
  if (X509_set_version(cert.get(), 2) != 1) return Fail(OpenSslError("setting the certificate version"));
  // A random positive 63-bit serial: certificates from two runs never share issuer and serial.
  std::unique_ptr<BIGNUM, BnDeleter> serial(BN_new());
  if (!serial || BN_rand(serial.get(), 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return Fail(OpenSslError("setting the certificate serial number"));
  }
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValiditySeconds) == nullptr) {
    return Fail(OpenSslError("setting the certificate validity"));
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(kSubjectCommonName),
                                 -1, -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1) {
    return Fail(OpenSslError("setting the certificate subject"));
  }
  if (X509_set_pubkey(cert.get(), key) != 1) return Fail(OpenSslError("setting the certificate key"));
  MALLARD_RETURN_IF_ERROR(AddExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE"));
  MALLARD_RETURN_IF_ERROR(AddExtension(cert.get(), NID_key_usage, "critical,digitalSignature"));
  MALLARD_RETURN_IF_ERROR(AddExtension(cert.get(), NID_subject_key_identifier, "hash"));
  if (X509_sign(cert.get(), key, EVP_sha256()) == 0) return Fail(OpenSslError("self-signing the certificate"));

  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert.get()) != 1) {
    return Fail(OpenSslError("writing the certificate as PEM"));
  }
  char* data = nullptr;
  long length = BIO_get_mem_data(bio.get(), &data);
  if (length <= 0 || data == nullptr) return Fail(std::string("writing the certificate as PEM: no output"));
  return std::string(data, static_cast<std::size_t>(length));
}

void AppendMember(std::string& out, const boost::json::object& envelope, std::string_view name) {
  const boost::json::value* value = envelope.if_contains(name);
  if (value == nullptr || value->is_null()) return;
  out.append(name);
  out.push_back('\n');
  if (value->is_string()) {
    out.append(value->get_string().data(), value->get_string().size());
  } else {
    out += boost::json::serialize(*value);
  }
  out.push_back('\n');
}

// Keeps a key search going until the signer is abandoned: OpenSSL calls this between candidate
// primes, and a 0 ends EVP_PKEY_generate with a failure.
int ContinueUnlessAbandoned(EVP_PKEY_CTX* context) {
  const auto* abandoned = static_cast<const std::atomic<bool>*>(EVP_PKEY_CTX_get_app_data(context));
  return abandoned != nullptr && abandoned->load(std::memory_order_relaxed) ? 0 : 1;
}

Result<PkeyPtr, std::string> GenerateRsaKey(const std::atomic<bool>* abandoned) {
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter> context(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  if (!context || EVP_PKEY_keygen_init(context.get()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(context.get(), kKeyBits) <= 0) {
    return Fail(OpenSslError("starting an RSA-2048 key generation"));
  }
  EVP_PKEY_CTX_set_app_data(context.get(), const_cast<std::atomic<bool>*>(abandoned));
  EVP_PKEY_CTX_set_cb(context.get(), ContinueUnlessAbandoned);
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_generate(context.get(), &key) <= 0) {
    if (abandoned != nullptr && abandoned->load()) {
      ERR_clear_error();
      return Fail(std::string("its generation was abandoned when the service stopped"));
    }
    return Fail(OpenSslError("generating an RSA-2048 key"));
  }
  return PkeyPtr(key);
}

}  // namespace

struct MessageSigner::Material {
  PkeyPtr pkey;
  std::string certificate_pem;
  std::string error;  // non-empty: no key could be made
};

std::shared_ptr<const MessageSigner::Material> MessageSigner::MakeMaterial(const std::atomic<bool>* abandoned) {
  auto material = std::make_shared<Material>();
  auto pkey = GenerateRsaKey(abandoned);
  if (!pkey) {
    material->error = pkey.error();
    return material;
  }
  auto pem = SelfSignedCertificatePem(pkey->get());
  if (!pem) {
    material->error = pem.error();
    return material;
  }
  material->pkey = std::move(pkey).value();
  material->certificate_pem = std::move(pem).value();
  return material;
}

MessageSigner::~MessageSigner() { Abandon(); }

Result<std::shared_ptr<MessageSigner>, std::string> MessageSigner::Generate() {
  auto material = MakeMaterial(nullptr);
  if (!material->error.empty()) return Fail(material->error);
  std::shared_ptr<MessageSigner> signer(new MessageSigner());
  std::promise<std::shared_ptr<const Material>> made;
  made.set_value(std::move(material));
  signer->material_ = made.get_future().share();
  return signer;
}

std::shared_ptr<MessageSigner> MessageSigner::GenerateInBackground() {
  std::shared_ptr<MessageSigner> signer(new MessageSigner());
  std::promise<std::shared_ptr<const Material>> made;
  signer->material_ = made.get_future().share();
  // The thread reads only the flag, which the signer outlives: Abandon joins before it goes.
  signer->maker_ = std::thread([made = std::move(made), abandoned = &signer->abandoned_]() mutable {
    made.set_value(MakeMaterial(abandoned));
  });
  return signer;
}

void MessageSigner::Abandon() {
  abandoned_.store(true, std::memory_order_relaxed);
  std::lock_guard lock(maker_mutex_);
  if (maker_.joinable()) maker_.join();
}

const MessageSigner::Material& MessageSigner::Ready() const { return *material_.get(); }

const std::string& MessageSigner::CertificatePem() const { return Ready().certificate_pem; }

bool MessageSigner::KeyReady() const {
  return material_.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

Result<std::string, std::string> MessageSigner::Sign(std::string_view canonical, int signature_version) const {
  const EVP_MD* digest = nullptr;
  if (signature_version == 1) {
    digest = EVP_sha1();
  } else if (signature_version == 2) {
    digest = EVP_sha256();
  } else {
    return Fail("unsupported SNS signature version " + std::to_string(signature_version) + " (1 or 2)");
  }
  const Material& material = Ready();
  if (!material.error.empty()) return Fail("SNS has no signing key: " + material.error);
  // Each call has its own digest context; the key is only read, which OpenSSL 3 allows from many
  // threads at once.
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> context(EVP_MD_CTX_new());
  EVP_PKEY_CTX* key_context = nullptr;
  if (!context || EVP_DigestSignInit(context.get(), &key_context, digest, nullptr, material.pkey.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(key_context, RSA_PKCS1_PADDING) <= 0) {
    return Fail(OpenSslError("starting an RSA signature"));
  }
  std::size_t length = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(canonical.data());
  if (EVP_DigestSign(context.get(), nullptr, &length, data, canonical.size()) != 1) {
    return Fail(OpenSslError("sizing an RSA signature"));
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, data,
                     canonical.size()) != 1) {
    return Fail(OpenSslError("making an RSA signature"));
  }
  signature.resize(length);
  return Base64Encode(signature);
}

std::string CanonicalStringToSign(const boost::json::object& envelope) {
  // Names in byte order, as AWS lists them; which names depends on the message type.
  static constexpr std::array<std::string_view, 6> kNotification = {"Message",   "MessageId", "Subject",
                                                                      "Timestamp", "TopicArn",  "Type"};
  static constexpr std::array<std::string_view, 7> kConfirmation = {
      "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"};
  const boost::json::value* type = envelope.if_contains("Type");
  bool confirmation = type != nullptr && type->is_string() &&
                      (type->get_string() == "SubscriptionConfirmation" ||
                       type->get_string() == "UnsubscribeConfirmation");
  std::string out;
  if (confirmation) {
    for (std::string_view name : kConfirmation) AppendMember(out, envelope, name);
  } else {
    for (std::string_view name : kNotification) AppendMember(out, envelope, name);
  }
  return out;
}

}  // namespace mallard::sns
