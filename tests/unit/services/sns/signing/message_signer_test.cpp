// MessageSigner and CanonicalStringToSign: signatures verified in-process with OpenSSL against the
// certificate's key, and out of process by two verifiers that share no code with Mallard: Python's
// `cryptography` (which also rebuilds the string to sign from the envelope on its own) and the
// `openssl` command line. MALLARD_SNS_SIGNING_SEED=n replays the randomised test.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "common/encoding.hpp"
#include "services/sns/signing/message_signer.hpp"

namespace mallard::sns {
namespace {
namespace json = boost::json;

struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using CertPtr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

CertPtr ParseCertificate(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  CertPtr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return cert;
}

// OpenSSL's verdict on a base64 signature over `text` with the certificate's public key.
bool Verifies(const std::string& certificate_pem, std::string_view text, const std::string& signature_base64,
              int version) {
  CertPtr cert = ParseCertificate(certificate_pem);
  if (!cert) return false;
  PkeyPtr key(X509_get_pubkey(cert.get()));
  auto signature = Base64Decode(signature_base64);
  if (!key || !signature) return false;
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(context, nullptr, version == 1 ? EVP_sha1() : EVP_sha256(), nullptr, key.get()) == 1 &&
            EVP_DigestVerify(context, reinterpret_cast<const unsigned char*>(signature->data()), signature->size(),
                             reinterpret_cast<const unsigned char*>(text.data()), text.size()) == 1;
  EVP_MD_CTX_free(context);
  return ok;
}

std::shared_ptr<MessageSigner> SharedSigner() {
  // One key for the suite: generating RSA-2048 takes tens of milliseconds.
  static std::shared_ptr<MessageSigner> signer = [] {
    auto generated = MessageSigner::Generate();
    EXPECT_TRUE(generated.ok()) << (generated.ok() ? "" : generated.error());
    return generated.ok() ? std::move(generated).value() : nullptr;
  }();
  return signer;
}

// A scratch directory removed with the test.
class ScratchDirectory {
 public:
  ScratchDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mallard-sns-signing-XXXXXX").string();
    path_ = mkdtemp(pattern.data()) ? pattern : std::string();
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  std::filesystem::path operator/(const std::string& name) const { return std::filesystem::path(path_) / name; }
  bool ok() const { return !path_.empty(); }

 private:
  std::string path_;
};

void WriteFile(const std::filesystem::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

// Runs a shell command; its exit status and combined output.
std::pair<int, std::string> RunCommand(const std::string& command) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  char buffer[4096];
  std::size_t read = 0;
  while ((read = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, read);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

bool PythonCryptographyAvailable() {
  return RunCommand("/usr/bin/python3 -c 'import cryptography'").first == 0;
}

// AWS's published example notification ("HTTP/HTTPS notification JSON format").
json::object AwsExampleNotification() {
  return json::object{
      {"Type", "Notification"},
      {"MessageId", "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"},
      {"TopicArn", "arn:aws:sns:us-west-2:123456789012:MyTopic"},
      {"Subject", "My First Message"},
      {"Message", "Hello world!"},
      {"Timestamp", "2012-05-02T00:54:06.655Z"},
      {"SignatureVersion", "1"},
      {"Signature", "EXAMPLEw6JRN..."},
      {"SigningCertURL", "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem"},
      {"UnsubscribeURL",
       "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:123456789012:"
       "MyTopic:c9135db0-26c4-47ec-8998-413945fb5a96"}};
}

// AWS's published example subscription confirmation ("HTTP/HTTPS subscription confirmation JSON format").
json::object AwsExampleConfirmation(std::string type) {
  return json::object{
      {"Type", type},
      {"MessageId", "165545c9-2a5c-472c-8df2-7ff2be2b3b1b"},
      {"Token", "2336412f37..."},
      {"TopicArn", "arn:aws:sns:us-west-2:123456789012:MyTopic"},
      {"Message",
       "You have chosen to subscribe to the topic arn:aws:sns:us-west-2:123456789012:MyTopic.\nTo confirm the "
       "subscription, visit the SubscribeURL included in this message."},
      {"SubscribeURL",
       "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:"
       "MyTopic&Token=2336412f37..."},
      {"Timestamp", "2012-04-26T20:45:04.751Z"},
      {"SignatureVersion", "1"},
      {"Signature", "EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q="},
      {"SigningCertURL", "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem"}};
}

TEST(MessageSignerTest, CertificateIsSelfSignedRsa2048ForSnsValidTenYears) {
  auto signer = SharedSigner();
  ASSERT_TRUE(signer);
  const std::string& pem = signer->CertificatePem();
  EXPECT_EQ(pem.rfind("-----BEGIN CERTIFICATE-----\n", 0), 0u);
  CertPtr cert = ParseCertificate(pem);
  ASSERT_TRUE(cert);
  PkeyPtr key(X509_get_pubkey(cert.get()));
  ASSERT_TRUE(key);
  EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_RSA);
  EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 2048);
  EXPECT_EQ(X509_verify(cert.get(), key.get()), 1) << "the certificate is signed by its own key";
  char subject[256];
  X509_NAME_oneline(X509_get_subject_name(cert.get()), subject, sizeof subject);
  EXPECT_STREQ(subject, "/CN=sns.amazonaws.com");
  X509_NAME_oneline(X509_get_issuer_name(cert.get()), subject, sizeof subject);
  EXPECT_STREQ(subject, "/CN=sns.amazonaws.com");
  // Valid now, and for about ten years.
  EXPECT_LE(X509_cmp_current_time(X509_get0_notBefore(cert.get())), 0);
  int days = 0;
  int seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(cert.get()), X509_get0_notAfter(cert.get())), 1);
  EXPECT_GE(days, 3649);
  EXPECT_LE(days, 3655);
}

TEST(MessageSignerTest, EachGenerateMakesANewKey) {
  auto first = MessageSigner::Generate();
  auto second = MessageSigner::Generate();
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE((*first)->CertificatePem(), (*second)->CertificatePem());
  auto signature = (*first)->Sign("text", 2);
  ASSERT_TRUE(signature.ok());
  EXPECT_TRUE(Verifies((*first)->CertificatePem(), "text", *signature, 2));
  EXPECT_FALSE(Verifies((*second)->CertificatePem(), "text", *signature, 2));
}

// The threads of this process, from /proc: a background key's thread must be gone once Abandon returns.
std::size_t ThreadCount() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ++count;
  return count;
}

TEST(MessageSignerTest, SigningBeforeABackgroundKeyExistsWaitsForIt) {
  auto signer = MessageSigner::GenerateInBackground();
  std::vector<std::thread> threads;
  std::vector<std::string> signatures(4);
  for (std::size_t i = 0; i < signatures.size(); ++i) {
    threads.emplace_back([&, i] {
      auto signature = signer->Sign("text " + std::to_string(i), 2);
      signatures[i] = signature.ok() ? *signature : "error: " + signature.error();
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_FALSE(signer->CertificatePem().empty());
  EXPECT_TRUE(signer->KeyReady()) << "the key is there, yet KeyReady says a caller would wait";
  for (std::size_t i = 0; i < signatures.size(); ++i) {
    EXPECT_TRUE(Verifies(signer->CertificatePem(), "text " + std::to_string(i), signatures[i], 2)) << signatures[i];
  }
  signer->Abandon();  // a finished key stays usable
  auto after = signer->Sign("after", 1);
  ASSERT_TRUE(after.ok()) << after.error();
  EXPECT_TRUE(Verifies(signer->CertificatePem(), "after", *after, 1));
}

TEST(MessageSignerTest, AbandoningABackgroundKeyEndsItsThread) {
  // A server stopped right after it started: each search is abandoned at once. Whether a search
  // was still running when Abandon came is up to the scheduler, so both outcomes are accepted, but
  // each must be whole: a usable key, or no certificate and a Sign that says why.
  std::size_t before = ThreadCount();
  int abandoned = 0;
  for (int round = 0; round < 10; ++round) {
    auto signer = MessageSigner::GenerateInBackground();
    signer->Abandon();
    EXPECT_EQ(ThreadCount(), before) << "the key's thread outlived Abandon";
    EXPECT_TRUE(signer->KeyReady()) << "after Abandon nothing may wait for the search";
    auto signature = signer->Sign("text", 2);
    if (signer->CertificatePem().empty()) {
      ++abandoned;
      ASSERT_FALSE(signature.ok());
      EXPECT_NE(signature.error().find("abandoned"), std::string::npos) << signature.error();
    } else {
      ASSERT_TRUE(signature.ok()) << signature.error();
      EXPECT_TRUE(Verifies(signer->CertificatePem(), "text", *signature, 2));
    }
  }
  std::printf("%d of 10 background keys abandoned mid-search\n", abandoned);
}

TEST(MessageSignerTest, SignsWithSha1ForVersion1AndSha256ForVersion2) {
  auto signer = SharedSigner();
  ASSERT_TRUE(signer);
  std::string canonical = CanonicalStringToSign(AwsExampleNotification());
  for (int version : {1, 2}) {
    auto signature = signer->Sign(canonical, version);
    ASSERT_TRUE(signature.ok()) << signature.error();
    auto raw = Base64DecodeStrict(*signature);
    ASSERT_TRUE(raw.has_value()) << "canonical base64: " << *signature;
    EXPECT_EQ(raw->size(), 256u);
    EXPECT_TRUE(Verifies(signer->CertificatePem(), canonical, *signature, version)) << "version " << version;
    // The digest is part of what is signed: a SHA1 signature is not a SHA256 one and vice versa.
    EXPECT_FALSE(Verifies(signer->CertificatePem(), canonical, *signature, version == 1 ? 2 : 1));
    // PKCS#1 v1.5 is deterministic: the same text signs the same way.
    auto again = signer->Sign(canonical, version);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *signature);
  }
}

TEST(MessageSignerTest, RefusesUnknownSignatureVersions) {
  auto signer = SharedSigner();
  ASSERT_TRUE(signer);
  for (int version : {0, 3, -1, 256}) {
    auto signature = signer->Sign("text", version);
    ASSERT_FALSE(signature.ok()) << version;
    EXPECT_NE(signature.error().find("signature version"), std::string::npos) << signature.error();
  }
}

TEST(MessageSignerTest, SignsEmptyAndLargeTexts) {
  auto signer = SharedSigner();
  ASSERT_TRUE(signer);
  std::string large(1 << 20, 'x');
  large[12345] = '\0';
  for (const std::string& text : {std::string(), large}) {
    auto signature = signer->Sign(text, 2);
    ASSERT_TRUE(signature.ok());
    EXPECT_TRUE(Verifies(signer->CertificatePem(), text, *signature, 2));
  }
}

TEST(MessageSignerTest, TamperedMessageFailsVerification) {
  auto signer = SharedSigner();
  ASSERT_TRUE(signer);
  json::object envelope = AwsExampleNotification();
  auto signature = signer->Sign(CanonicalStringToSign(envelope), 2);
  ASSERT_TRUE(signature.ok());
  for (const char* member : {"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}) {
    json::object tampered = envelope;
    tampered[member] = std::string(tampered[member].as_string()) + " ";
    EXPECT_FALSE(Verifies(signer->CertificatePem(), CanonicalStringToSign(tampered), *signature, 2)) << member;
  }
  json::object without_subject = envelope;
  without_subject.erase("Subject");
  EXPECT_FALSE(Verifies(signer->CertificatePem(), CanonicalStringToSign(without_subject), *signature, 2));
  // Members outside the string to sign may change without breaking the signature.
  json::object other = envelope;
  other["UnsubscribeURL"] = "https://elsewhere.example/";
  other["SigningCertURL"] = "https://elsewhere.example/cert.pem";
  other["MessageAttributes"] = json::object{{"a", json::object{{"Type", "String"}, {"Value", "b"}}}};
  EXPECT_TRUE(Verifies(signer->CertificatePem(), CanonicalStringToSign(other), *signature, 2));
  // One flipped bit of the signature itself.
  std::string raw = *Base64Decode(*signature);
  raw[100] = static_cast<char>(raw[100] ^ 0x01);
  EXPECT_FALSE(Verifies(signer->CertificatePem(), CanonicalStringToSign(envelope), Base64Encode(raw), 2));
}

TEST(MessageSignerTest, ConcurrentSigningFromManyThreads) {
  auto signer = SharedSigner();
  ASSERT_TRUE(signer);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  std::vector<std::vector<std::string>> signatures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto signature = signer->Sign("message " + std::to_string(t) + "/" + std::to_string(i), 1 + (i % 2));
        signatures[t].push_back(signature.ok() ? *signature : std::string());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      EXPECT_TRUE(Verifies(signer->CertificatePem(), "message " + std::to_string(t) + "/" + std::to_string(i),
                           signatures[t][i], 1 + (i % 2)))
          << t << "/" << i;
    }
  }
}

TEST(CanonicalStringToSignTest, AwsExampleNotification) {
  EXPECT_EQ(CanonicalStringToSign(AwsExampleNotification()),
            "Message\nHello world!\n"
            "MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n"
            "Subject\nMy First Message\n"
            "Timestamp\n2012-05-02T00:54:06.655Z\n"
            "TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\n"
            "Type\nNotification\n");
}

TEST(CanonicalStringToSignTest, NotificationWithoutSubjectLeavesItOut) {
  json::object envelope = AwsExampleNotification();
  envelope.erase("Subject");
  std::string expected =
      "Message\nHello world!\n"
      "MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n"
      "Timestamp\n2012-05-02T00:54:06.655Z\n"
      "TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\n"
      "Type\nNotification\n";
  EXPECT_EQ(CanonicalStringToSign(envelope), expected);
  envelope["Subject"] = nullptr;  // a JSON null is no Subject
  EXPECT_EQ(CanonicalStringToSign(envelope), expected);
  envelope["Subject"] = "";  // an empty one is present
  EXPECT_EQ(CanonicalStringToSign(envelope),
            "Message\nHello world!\n"
            "MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n"
            "Subject\n\n"
            "Timestamp\n2012-05-02T00:54:06.655Z\n"
            "TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\n"
            "Type\nNotification\n");
}

TEST(CanonicalStringToSignTest, ConfirmationsSignSubscribeUrlAndToken) {
  for (const char* type : {"SubscriptionConfirmation", "UnsubscribeConfirmation"}) {
    json::object envelope = AwsExampleConfirmation(type);
    envelope["Subject"] = "never signed in a confirmation";
    EXPECT_EQ(CanonicalStringToSign(envelope),
              "Message\nYou have chosen to subscribe to the topic arn:aws:sns:us-west-2:123456789012:MyTopic.\n"
              "To confirm the subscription, visit the SubscribeURL included in this message.\n"
              "MessageId\n165545c9-2a5c-472c-8df2-7ff2be2b3b1b\n"
              "SubscribeURL\nhttps://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:"
              "us-west-2:123456789012:MyTopic&Token=2336412f37...\n"
              "Timestamp\n2012-04-26T20:45:04.751Z\n"
              "Token\n2336412f37...\n"
              "TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\n"
              "Type\n" + std::string(type) + "\n")
        << type;
  }
}

TEST(CanonicalStringToSignTest, NotificationIgnoresConfirmationMembersAndKeepsTextRaw) {
  json::object envelope = AwsExampleNotification();
  envelope["Token"] = "t";
  envelope["SubscribeURL"] = "u";
  envelope["SequenceNumber"] = "10000000000000000001";
  envelope["Message"] = "Hello\r\nworld! \"quoted\" \\ \xC3\xA9 \xF0\x9F\x98\x80";
  std::string canonical = CanonicalStringToSign(envelope);
  EXPECT_EQ(canonical.find("Token"), std::string::npos);
  EXPECT_EQ(canonical.find("SubscribeURL"), std::string::npos);
  EXPECT_EQ(canonical.find("SequenceNumber"), std::string::npos);
  EXPECT_EQ(canonical.rfind("Message\nHello\r\nworld! \"quoted\" \\ \xC3\xA9 \xF0\x9F\x98\x80\nMessageId\n", 0), 0u);
}

// Random text from pieces that break naive implementations: newlines, quotes, backslashes, NUL,
// multi-byte UTF-8.
std::string RandomText(std::mt19937_64& random) {
  static const std::vector<std::string> kPieces = {
      "a", "Z", "0", " ", "\n", "\r\n", "\t", "\"", "\\", std::string(1, '\0'), "\xC3\xA9", "\xE4\xB8\xAD",
      "\xF0\x9F\x98\x80", "Message\n", "Type", "{\"k\":1}", "&amp;", "<x/>", "\xE2\x80\xA8"};
  std::string text;
  std::size_t length = random() % 40;
  for (std::size_t i = 0; i < length; ++i) text += kPieces[random() % kPieces.size()];
  return text;
}

TEST(MessageSignerTest, RandomEnvelopesVerifyWithPythonCryptography) {
  // make test installs python3-cryptography (scripts/install-deps.sh): its absence is a failure, not a skip.
  ASSERT_TRUE(PythonCryptographyAvailable()) << "python3-cryptography is not installed";
  auto signer = SharedSigner();
  ASSERT_TRUE(signer);
  std::uint64_t seed = std::random_device{}();
  if (const char* fixed = std::getenv("MALLARD_SNS_SIGNING_SEED")) seed = std::strtoull(fixed, nullptr, 10);
  SCOPED_TRACE("MALLARD_SNS_SIGNING_SEED=" + std::to_string(seed));
  std::mt19937_64 random(seed);
  ScratchDirectory scratch;
  ASSERT_TRUE(scratch.ok());
  WriteFile(scratch / "cert.pem", signer->CertificatePem());
  std::ostringstream cases;
  static const char* kTypes[] = {"Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"};
  static const char* kSigned[] = {"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type", "SubscribeURL", "Token"};
  int expected_invalid = 0;
  for (int i = 0; i < 300; ++i) {
    std::string type = kTypes[random() % 3];
    int version = 1 + static_cast<int>(random() % 2);
    json::object envelope{{"Type", type},
                          {"MessageId", RandomText(random)},
                          {"TopicArn", RandomText(random)},
                          {"Message", RandomText(random)},
                          {"Timestamp", RandomText(random)},
                          {"SignatureVersion", std::to_string(version)}};
    if (type == "Notification") {
      if (random() % 2) envelope["Subject"] = RandomText(random);
      envelope["UnsubscribeURL"] = RandomText(random);
    } else {
      envelope["Token"] = RandomText(random);
      envelope["SubscribeURL"] = RandomText(random);
      if (random() % 4 == 0) envelope["Subject"] = RandomText(random);  // present but never signed
    }
    auto signature = signer->Sign(CanonicalStringToSign(envelope), version);
    ASSERT_TRUE(signature.ok()) << signature.error();
    envelope["Signature"] = *signature;
    bool expect_valid = true;
    switch (random() % 4) {
      case 0: {  // change one signed member that the envelope has
        const char* member = kSigned[random() % 8];
        if (envelope.contains(member) && !(type == "Notification" && (std::string_view(member) == "Token" ||
                                                                         std::string_view(member) == "SubscribeURL")) &&
            !(type != "Notification" && std::string_view(member) == "Subject")) {
          envelope[member] = std::string(envelope[member].as_string()) + "x";
          expect_valid = false;
        }
        break;
      }
      case 1:  // change a member outside the string to sign
        envelope["SigningCertURL"] = RandomText(random);
        break;
      default:
        break;
    }
    if (!expect_valid) ++expected_invalid;
    cases << json::serialize(json::object{{"envelope", envelope}, {"expect_valid", expect_valid}}) << "\n";
  }
  ASSERT_GT(expected_invalid, 10);
  WriteFile(scratch / "cases.jsonl", cases.str());
  std::string script = std::string(MALLARD_SOURCE_DIR) + "/tests/unit/services/sns/signing/verify_sns_signatures.py";
  auto [status, output] = RunCommand("/usr/bin/python3 '" + script + "' '" + (scratch / "cert.pem").string() + "' '" +
                              (scratch / "cases.jsonl").string() + "'");
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("checked 300 cases, 0 disagreements"), std::string::npos) << output;
}

TEST(MessageSignerTest, OpensslCommandLineVerifiesBothVersions) {
  ASSERT_EQ(RunCommand("openssl version").first, 0) << "no openssl command (scripts/install-deps.sh installs it)";
  auto signer = SharedSigner();
  ASSERT_TRUE(signer);
  ScratchDirectory scratch;
  ASSERT_TRUE(scratch.ok());
  WriteFile(scratch / "cert.pem", signer->CertificatePem());
  auto [key_status, key_output] = RunCommand("openssl x509 -pubkey -noout -in '" + (scratch / "cert.pem").string() + "' -out '" +
                                      (scratch / "public.pem").string() + "'");
  ASSERT_EQ(key_status, 0) << key_output;
  for (const char* type : {"Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"}) {
    json::object envelope = std::string_view(type) == "Notification" ? AwsExampleNotification() : AwsExampleConfirmation(type);
    std::string canonical = CanonicalStringToSign(envelope);
    for (int version : {1, 2}) {
      auto signature = signer->Sign(canonical, version);
      ASSERT_TRUE(signature.ok());
      WriteFile(scratch / "canonical.txt", canonical);
      WriteFile(scratch / "signature.bin", *Base64Decode(*signature));
      std::string verify = std::string("openssl dgst ") + (version == 1 ? "-sha1" : "-sha256") + " -verify '" +
                           (scratch / "public.pem").string() + "' -signature '" + (scratch / "signature.bin").string() +
                           "' '" + (scratch / "canonical.txt").string() + "'";
      auto [status, output] = RunCommand(verify);
      EXPECT_EQ(status, 0) << type << " v" << version << ": " << output;
      EXPECT_NE(output.find("Verified OK"), std::string::npos) << output;
      WriteFile(scratch / "canonical.txt", canonical + " ");  // tampered
      auto [bad_status, bad_output] = RunCommand(verify);
      EXPECT_NE(bad_status, 0) << type << " v" << version << ": " << bad_output;
    }
  }
}

}  // namespace
}  // namespace mallard::sns
