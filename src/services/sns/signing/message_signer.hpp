#pragma once
// Signs the messages SNS sends to HTTP/HTTPS, email-json and SQS subscribers as AWS does: an
// RSA PKCS#1 v1.5 signature (SHA1 for SignatureVersion 1, SHA256 for 2) over AWS's canonical
// string, verifiable with the certificate served at the envelope's SigningCertURL.
#include <boost/json/object.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace mallard::sns {

// Thread-safe after construction: signing only reads the key.
class MessageSigner {
 public:
  // A fresh RSA-2048 key and a self-signed X.509 certificate (PEM) for it, subject
  // CN=sns.amazonaws.com, valid for ten years from now.
  static Result<std::shared_ptr<MessageSigner>, std::string> Generate();

  ~MessageSigner();
  MessageSigner(const MessageSigner&) = delete;
  MessageSigner& operator=(const MessageSigner&) = delete;

  const std::string& CertificatePem() const { return certificate_pem_; }

  // Base64 RSA PKCS#1 v1.5 signature over `canonical`: SHA1 for signature_version 1, SHA256 for
  // 2; any other version is refused.
  Result<std::string, std::string> Sign(std::string_view canonical, int signature_version) const;

 private:
  struct Key;
  MessageSigner(std::unique_ptr<Key> key, std::string certificate_pem);

  std::unique_ptr<Key> key_;
  std::string certificate_pem_;
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
