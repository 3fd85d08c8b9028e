#include "services/dynamodb/model/ddb_errors.hpp"

#include <algorithm>
#include <iterator>
#include <string_view>

namespace mallard::dynamodb::errors {

AwsError Validation(std::string message) { return OnTheWire(AwsError::Make("ValidationException", 400, std::move(message))); }

AwsError Serialization(std::string message) {
  AwsError error = AwsError::Make("SerializationException", 400, std::move(message));
  error.type_namespace = "com.amazon.coral.service#";
  error.message_member = error.message.empty() ? "" : "Message";
  return error;
}

AwsError OnTheWire(AwsError error) {
  static constexpr std::string_view kCoralService[] = {
      "SerializationException", "UnknownOperationException", "AccessDeniedException", "UnrecognizedClientException",
      "MissingAuthenticationTokenException", "InvalidSignatureException", "IncompleteSignatureException",
      "InternalFailure", "RequestEntityTooLarge"};
  const bool already_on_the_wire = !error.type_namespace.empty();
  if (error.code == "ValidationException") {
    error.type_namespace = "com.amazon.coral.validate#";
  } else if (std::find(std::begin(kCoralService), std::end(kCoralService), error.code) != std::end(kCoralService)) {
    error.type_namespace = "com.amazon.coral.service#";
  }
  if (error.code == "SerializationException") {
    // The service's deserialiser checks (errors::Serialization) have set the namespace already; any
    // other SerializationException is the gateway's: the body is not JSON, which DynamoDB answers
    // with the type alone.
    if (!already_on_the_wire) error.message.clear();
    error.message_member = error.message.empty() ? "" : "Message";
  }
  // AWS names the operation it does not know in nothing but the type.
  if (error.code == "UnknownOperationException") error.message_member = "";
  return error;
}

AwsError InvalidParameter(const std::string& detail) {
  return Validation("One or more parameter values were invalid: " + detail);
}

AwsError ResourceNotFound(std::string message) {
  return AwsError::Make("ResourceNotFoundException", 400, std::move(message));
}

AwsError TableNotFound(const std::string& table) {
  return ResourceNotFound("Requested resource not found: Table: " + table + " not found");
}

AwsError ResourceInUse(std::string message) { return AwsError::Make("ResourceInUseException", 400, std::move(message)); }

AwsError ConditionalCheckFailed(const std::string& item_json) {
  AwsError error = AwsError::Make("ConditionalCheckFailedException", 400, "The conditional request failed");
  if (!item_json.empty()) error.extra_json = "{\"Item\":" + item_json + "}";
  return error;
}

AwsError TransactionCanceled(const std::string& reasons_summary, const std::string& reasons_json) {
  AwsError error = AwsError::Make(
      "TransactionCanceledException", 400,
      "Transaction cancelled, please refer cancellation reasons for specific reasons [" + reasons_summary + "]");
  error.extra_json = "{\"CancellationReasons\":" + reasons_json + "}";
  return error;
}

AwsError TransactionConflict() {
  return AwsError::Make("TransactionConflictException", 400,
                        "Transaction is ongoing for the item; the request conflicts with it");
}

AwsError IdempotentParameterMismatch() {
  return AwsError::Make("IdempotentParameterMismatchException", 400,
                        "Request parameters do not match with those of the request with the same idempotent token.");
}

AwsError LimitExceeded(std::string message) {
  return AwsError::Make("LimitExceededException", 400, std::move(message));
}

AwsError BackupNotFound(const std::string& arn) {
  return AwsError::Make("BackupNotFoundException", 400, "Backup not found for the given BackupARN: " + arn);
}

AwsError TableAlreadyExists(const std::string& table) {
  return AwsError::Make("TableAlreadyExistsException", 400, "Table already exists: " + table);
}

AwsError SourceTableNotFound(const std::string& table) {
  return AwsError::Make("SourceTableNotFoundException", 400, "Source table not found: " + table);
}

AwsError TableNotFoundForBackup(const std::string& table) {
  return AwsError::Make("TableNotFoundException", 400, "Table not found: " + table);
}

AwsError PointInTimeRecoveryUnavailable(const std::string& table) {
  return AwsError::Make("PointInTimeRecoveryUnavailableException", 400,
                        "Point in time recovery is not enabled for table '" + table + "'");
}

AwsError InvalidRestoreTime(std::string message) {
  return AwsError::Make("InvalidRestoreTimeException", 400, std::move(message));
}

AwsError ContinuousBackupsUnavailable(const std::string& table) {
  return AwsError::Make("ContinuousBackupsUnavailableException", 400,
                        "Continuous backups are not available for table: " + table);
}

AwsError ExpiredIterator(std::string message) {
  return AwsError::Make("ExpiredIteratorException", 400, std::move(message));
}

AwsError TrimmedDataAccess(std::string message) {
  return AwsError::Make("TrimmedDataAccessException", 400, std::move(message));
}

AwsError ItemCollectionSizeLimitExceeded() {
  return AwsError::Make("ItemCollectionSizeLimitExceededException", 400,
                        "Item collection size limit exceeded for a table with local secondary indexes");
}

AwsError InternalServerError(const std::string& detail) {
  return AwsError::Make("InternalServerError", 500, "Internal server error: " + detail, FaultSide::Receiver);
}

AwsError ServiceUnavailable(const std::string& detail) {
  return AwsError::Make("ServiceUnavailable", 503, "The service is temporarily unavailable: " + detail,
                        FaultSide::Receiver);
}

AwsError LookupFailed(const StoreError& error, AwsError not_found) {
  const bool missing = error.code == StoreErrc::TableNotFound || error.code == StoreErrc::BackupNotFound ||
                       error.code == StoreErrc::StreamNotFound;
  return missing ? std::move(not_found) : FromStore(error);
}

AwsError FromStore(const StoreError& error) {
  switch (error.code) {
    case StoreErrc::TableNotFound: return ResourceNotFound();
    case StoreErrc::TableExists: return ResourceInUse("Table already exists: " + error.detail);
    case StoreErrc::IndexNotFound:
      return Validation("The table does not have the specified index: " + error.detail);
    case StoreErrc::StreamNotFound: return ResourceNotFound("Requested resource not found: Stream: " + error.detail + " not found");
    case StoreErrc::ShardNotFound: return ResourceNotFound("Requested resource not found: Shard does not exist");
    case StoreErrc::SequenceNotFound: return TrimmedDataAccess("The requested sequence number is beyond the trim horizon");
    case StoreErrc::BackupNotFound: return BackupNotFound(error.detail);
    case StoreErrc::InvalidStartKey: return Validation(error.detail.empty() ? "The provided starting key is invalid" : error.detail);
    case StoreErrc::Conflict: return TransactionConflict();
    case StoreErrc::Unavailable: return ServiceUnavailable(error.detail);
  }
  return InternalServerError(error.detail);
}

}  // namespace mallard::dynamodb::errors
