#pragma once
// DynamoDB's and DynamoDB Streams' typed errors, with the messages AWS sends.
#include <string>

#include "common/aws_error.hpp"
#include "services/dynamodb/model/ddb_store.hpp"

namespace mallard::dynamodb::errors {

AwsError Validation(std::string message);
// AWS's deserialiser's error: com.amazon.coral.service#SerializationException with "Message" (an
// empty message: no message member, as for a body that is not JSON).
AwsError Serialization(std::string message);
// The error as DynamoDB (and DynamoDB Streams) put it on the wire: ValidationException in
// com.amazon.coral.validate#; the deserialiser's and the request layer's errors (SerializationException,
// UnknownOperationException, AccessDeniedException, UnrecognizedClientException,
// MissingAuthenticationTokenException, ...) in com.amazon.coral.service#; the service's own errors
// keep com.amazonaws.dynamodb.v20120810#. Applied to every error the services and the gateway answer
// for them, so no error site can forget it.
AwsError OnTheWire(AwsError error);
// "One or more parameter values were invalid: <detail>"
AwsError InvalidParameter(const std::string& detail);
AwsError ResourceNotFound(std::string message = "Requested resource not found");
AwsError TableNotFound(const std::string& table);  // control-plane wording, names the table
AwsError ResourceInUse(std::string message);
AwsError ConditionalCheckFailed(const std::string& item_json = "");
AwsError TransactionCanceled(const std::string& reasons_summary, const std::string& reasons_json);
AwsError TransactionConflict();
AwsError IdempotentParameterMismatch();
AwsError LimitExceeded(std::string message);
AwsError BackupNotFound(const std::string& arn);
AwsError TableAlreadyExists(const std::string& table);
AwsError SourceTableNotFound(const std::string& table);
AwsError TableNotFoundForBackup(const std::string& table);
AwsError PointInTimeRecoveryUnavailable(const std::string& table);
AwsError InvalidRestoreTime(std::string message);
AwsError ContinuousBackupsUnavailable(const std::string& table);
AwsError ExpiredIterator(std::string message);
AwsError TrimmedDataAccess(std::string message);
AwsError ItemCollectionSizeLimitExceeded();
AwsError InternalServerError(const std::string& detail);
AwsError ServiceUnavailable(const std::string& detail);
// Maps a store failure that the caller did not handle itself.
AwsError FromStore(const StoreError& error);
// `not_found` when the store said the table (backup, stream) does not exist; otherwise the store's
// failure: a store that cannot be reached is a 5xx, never "no such table".
AwsError LookupFailed(const StoreError& error, AwsError not_found);

}  // namespace mallard::dynamodb::errors
