#pragma once
// Signs the messages SNS sends to HTTP/HTTPS, email-json and SQS subscribers as AWS does: an
// RSA PKCS#1 v1.5 signature (SHA1 for SignatureVersion 1, SHA256 for 2) over AWS's canonical
// string, verifiable with the certificate served at the envelope's SigningCertURL.
#include <boost/json/object.hpp>

#include <atomic>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <string_view>

#include "common/result.hpp"

namespace mallard::sns {

// Thread-safe: signing only reads the key.
class MessageSigner {
 public:
  // A fresh RSA-2048 key and a self-signed X.509 certificate (PEM) for it, subject
  // CN=sns.amazonaws.com, valid for ten years from now.
  static Result<std::shared_ptr<MessageSigner>, std::string> Generate();
  // The same, made on a thread of its own: finding two 1024-bit primes takes 50-500 ms of CPU,
  // which a server's start-up need not wait for. CertificatePem() and Sign() wait for the key;
  // Abandon() stops a search still under way.
  static std::shared_ptr<MessageSigner> GenerateInBackground();

  // Abandon()s.
  ~MessageSigner();
  MessageSigner(const MessageSigner&) = delete;
  MessageSigner& operator=(const MessageSigner&) = delete;

  // Stops the key's search if it is still under way and waits for its thread, so no OpenSSL call
  // outlives the service (OpenSSL's exit handlers free what a running search uses). A key already
  // made stays usable; without one, Sign fails from then on. Idempotent.
  void Abandon();

  // The certificate; empty when no key could be made (Sign then says why). Waits for the key.
  const std::string& CertificatePem() const;
  // Whether the key's search has ended (made or failed): CertificatePem() and Sign() will not wait.
  bool KeyReady() const;

  // Base64 RSA PKCS#1 v1.5 signature over `canonical`: SHA1 for signature_version 1, SHA256 for
  // 2; any other version is refused.
  Result<std::string, std::string> Sign(std::string_view canonical, int signature_version) const;

 private:
  struct Material;
  MessageSigner() = default;
  static std::shared_ptr<const Material> MakeMaterial(const std::atomic<bool>* abandoned);
  const Material& Ready() const;

  std::shared_future<std::shared_ptr<const Material>> material_;
  std::atomic<bool> abandoned_{false};
  std::mutex maker_mutex_;  // Abandon from two threads joins once
  std::thread maker_;
};

// AWS's string to sign for an SNS message envelope (a JSON object with "Type" and the envelope's
// members), each member as "Name\nValue\n" in byte order of the names:
// - Notification: Message, MessageId, Subject (only when present), Timestamp, TopicArn, Type;
// - SubscriptionConfirmation and UnsubscribeConfirmation: Message, MessageId, SubscribeURL,
//   Timestamp, Token, TopicArn, Type.
// A member that is absent (or null) is left out, as AWS's SDK validators do; a string member
// contributes its text unescaped, any other JSON value its serialized form.
std::string CanonicalStringToSign(const boost::json::object& envelope);

}  // namespace mallard::sns
