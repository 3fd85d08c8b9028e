// On-demand backups, point-in-time recovery and restores. Restores create real tables holding
// the backed-up items (or the items as they were at the requested time).
#include <cmath>
#include <cstdio>

#include "common/ids.hpp"
#include "services/dynamodb/ddb_input.hpp"
#include "services/dynamodb/ddb_service.hpp"
#include "services/dynamodb/ddb_table_codec.hpp"

namespace mallard::dynamodb {
namespace json = boost::json;
using Json = DynamoDbService::Json;
using errors::Validation;

namespace {

Json BackupDetailsJson(const BackupDescription& backup) {
  return Json{{"BackupArn", backup.arn},
              {"BackupName", backup.name},
              {"BackupSizeBytes", backup.size_bytes},
              {"BackupStatus", backup.status},
              {"BackupType", backup.type},
              {"BackupCreationDateTime", codec::EpochSeconds(backup.created_millis)}};
}

Json BackupDescriptionJson(const BackupDescription& backup) {
  const TableDefinition& table = backup.table;
  Json source{{"TableName", table.name},
              {"TableId", table.table_id},
              {"TableArn", table.arn},
              {"TableSizeBytes", backup.size_bytes},
              {"KeySchema", codec::KeySchemaJson(table.keys)},
              {"TableCreationDateTime", codec::EpochSeconds(table.created_millis)},
              {"ProvisionedThroughput", Json{{"ReadCapacityUnits", table.throughput.read_units},
                                             {"WriteCapacityUnits", table.throughput.write_units}}},
              {"ItemCount", backup.item_count},
              {"BillingMode", table.billing_mode}};
  Json features;
  json::array globals, locals;
  for (const auto& index : table.indexes) {
    Json entry{{"IndexName", index.name},
               {"KeySchema", codec::KeySchemaJson(index.keys)},
               {"Projection", codec::ProjectionJson(index.projection)}};
    if (index.global) {
      entry["ProvisionedThroughput"] = Json{{"ReadCapacityUnits", index.throughput.read_units},
                                            {"WriteCapacityUnits", index.throughput.write_units}};
      globals.push_back(std::move(entry));
    } else {
      locals.push_back(std::move(entry));
    }
  }
  if (!globals.empty()) features["GlobalSecondaryIndexes"] = std::move(globals);
  if (!locals.empty()) features["LocalSecondaryIndexes"] = std::move(locals);
  if (table.stream.enabled)
    features["StreamDescription"] = Json{{"StreamEnabled", true}, {"StreamViewType", table.stream.view_type}};
  Json ttl{{"TimeToLiveStatus", table.ttl_attribute.empty() ? "DISABLED" : "ENABLED"}};
  if (!table.ttl_attribute.empty()) ttl["AttributeName"] = table.ttl_attribute;
  features["TimeToLiveDescription"] = std::move(ttl);
  return Json{{"BackupDetails", BackupDetailsJson(backup)},
              {"SourceTableDetails", std::move(source)},
              {"SourceTableFeatureDetails", std::move(features)}};
}

// The restored table's definition: the source's, renamed, with the request's overrides.
Result<TableDefinition> RestoredDefinition(const DynamoDbService::Call& call, TableDefinition source,
                                           const std::string& target_name) {
  MALLARD_RETURN_IF_ERROR(codec::ValidateTableName(target_name, "TargetTableName"));
  TableDefinition target = std::move(source);
  target.name = target_name;
  target.arn = codec::TableArn(call.scope, target_name);
  target.table_id = NewUuid();
  target.created_millis = call.now_millis;
  target.tags.clear();
  target.ttl_attribute.clear();
  target.pitr_enabled = false;
  target.deletion_protection = false;
  target.stream = {};
  target.restored_millis = call.now_millis;
  MALLARD_ASSIGN_OR_RETURN(auto billing,
                           input::EnumMember(call.input, "BillingModeOverride", {"PROVISIONED", "PAY_PER_REQUEST"}, ""));
  if (!billing.empty()) target.billing_mode = billing;
  MALLARD_ASSIGN_OR_RETURN(auto throughput, input::OptionalObject(call.input, "ProvisionedThroughputOverride"));
  if (throughput) {
      MALLARD_ASSIGN_OR_RETURN(target.throughput, codec::ParseThroughput(*throughput, "ProvisionedThroughputOverride"));
    }
  for (auto [member, global] : {std::pair{"GlobalSecondaryIndexOverride", true}, std::pair{"LocalSecondaryIndexOverride", false}}) {
    MALLARD_ASSIGN_OR_RETURN(auto overrides, input::OptionalArray(call.input, member));
    if (!overrides) continue;
    std::erase_if(target.indexes, [&](const IndexDefinition& index) { return index.global == global; });
    for (const auto& value : *overrides) {
      if (!value.is_object()) return Fail(input::WrongType(member, "structure"));
      MALLARD_ASSIGN_OR_RETURN(auto index, codec::ParseIndex(value.get_object(), target, global));
      target.indexes.push_back(std::move(index));
    }
  }
  for (auto& index : target.indexes) index.arn = target.arn + "/index/" + index.name;
  return target;
}

std::string BackupArn(const TableDefinition& table, std::int64_t now_millis) {
  char millis[32];
  std::snprintf(millis, sizeof millis, "%013lld", static_cast<long long>(now_millis));
  return table.arn + "/backup/" + millis + "-" + RandomHex(8);
}

}  // namespace

Result<Json> DynamoDbService::CreateBackup(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto table_name, input::RequiredString(call.input, "TableName"));
  MALLARD_ASSIGN_OR_RETURN(auto backup_name, input::RequiredString(call.input, "BackupName"));
  MALLARD_RETURN_IF_ERROR(codec::ValidateTableName(backup_name, "BackupName"));
  const std::string name = codec::TableNameFromArnOrName(table_name);
  auto table = store_->GetTable(call.scope, name);
  if (!table) return Fail(errors::LookupFailed(table.error(), errors::TableNotFoundForBackup(name)));
  BackupDescription backup;
  backup.arn = BackupArn(*table, call.now_millis);
  backup.name = backup_name;
  backup.table_name = name;
  backup.created_millis = call.now_millis;
  auto stored = store_->CreateBackup(call.scope, std::move(backup));
  if (!stored) return Fail(errors::LookupFailed(stored.error(), errors::TableNotFoundForBackup(name)));
  return Json{{"BackupDetails", BackupDetailsJson(*stored)}};
}

Result<Json> DynamoDbService::DescribeBackup(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto arn, input::RequiredString(call.input, "BackupArn"));
  auto backup = store_->GetBackup(call.scope, arn);
  if (!backup) return Fail(errors::LookupFailed(backup.error(), errors::BackupNotFound(arn)));
  return Json{{"BackupDescription", BackupDescriptionJson(*backup)}};
}

Result<Json> DynamoDbService::ListBackups(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto table_name, input::OptionalString(call.input, "TableName"));
  MALLARD_ASSIGN_OR_RETURN(auto limit, input::OptionalInt(call.input, "Limit"));
  MALLARD_ASSIGN_OR_RETURN(auto start, input::OptionalString(call.input, "ExclusiveStartBackupArn"));
  MALLARD_ASSIGN_OR_RETURN(auto type, input::EnumMember(call.input, "BackupType", {"USER", "SYSTEM", "AWS_BACKUP", "ALL"}, "USER"));
  if (limit && (*limit < 1 || *limit > 100))
    return Fail(input::ConstraintError("Limit", "'" + std::to_string(*limit) + "'", "Member must have value between 1 and 100"));
  auto lower = call.input.if_contains("TimeRangeLowerBound");
  auto upper = call.input.if_contains("TimeRangeUpperBound");
  auto seconds = [](const json::value* value) -> std::optional<double> {
    if (!value || !value->is_number()) return std::nullopt;
    return value->to_number<double>();
  };
  auto backups = store_->ListBackups(call.scope);
  if (!backups) return Fail(errors::FromStore(backups.error()));
  json::array summaries;
  bool started = !start;
  std::string last;
  bool more = false;
  for (const auto& backup : *backups) {
    if (!started) {
      started = backup.arn == *start;
      continue;
    }
    if (table_name && backup.table_name != codec::TableNameFromArnOrName(*table_name)) continue;
    if (type != "ALL" && backup.type != type) continue;
    const double created = codec::EpochSeconds(backup.created_millis);
    if (auto bound = seconds(lower); bound && created < *bound) continue;
    if (auto bound = seconds(upper); bound && created > *bound) continue;
    if (limit && summaries.size() >= static_cast<std::size_t>(*limit)) {
      more = true;
      break;
    }
    summaries.push_back(Json{{"TableName", backup.table_name},
                             {"TableId", backup.table_id},
                             {"TableArn", backup.table_arn},
                             {"BackupArn", backup.arn},
                             {"BackupName", backup.name},
                             {"BackupCreationDateTime", created},
                             {"BackupStatus", backup.status},
                             {"BackupType", backup.type},
                             {"BackupSizeBytes", backup.size_bytes}});
    last = backup.arn;
  }
  Json output{{"BackupSummaries", std::move(summaries)}};
  if (more) output["LastEvaluatedBackupArn"] = last;
  return output;
}

Result<Json> DynamoDbService::DeleteBackup(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto arn, input::RequiredString(call.input, "BackupArn"));
  auto backup = store_->DeleteBackup(call.scope, arn);
  if (!backup) return Fail(errors::LookupFailed(backup.error(), errors::BackupNotFound(arn)));
  BackupDescription deleted = std::move(backup).value();
  deleted.status = "DELETED";
  return Json{{"BackupDescription", BackupDescriptionJson(deleted)}};
}

Result<Json> DynamoDbService::RestoreTableFromBackup(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto target_name, input::RequiredString(call.input, "TargetTableName"));
  MALLARD_ASSIGN_OR_RETURN(auto arn, input::RequiredString(call.input, "BackupArn"));
  auto backup = store_->GetBackup(call.scope, arn);
  if (!backup) return Fail(errors::LookupFailed(backup.error(), errors::BackupNotFound(arn)));
  MALLARD_ASSIGN_OR_RETURN(auto target, RestoredDefinition(call, backup->table, target_name));
  target.restored_from_backup_arn = arn;
  target.restored_from_table_arn = backup->table.arn;
  auto restored = store_->RestoreTable(call.scope, target, {arn, "", 0});
  if (!restored) {
    if (restored.error().code == StoreErrc::TableExists) return Fail(errors::TableAlreadyExists(target_name));
    if (restored.error().code == StoreErrc::BackupNotFound) return Fail(errors::BackupNotFound(arn));
    return Fail(errors::FromStore(restored.error()));
  }
  MALLARD_ASSIGN_OR_RETURN(auto description, DescribeTableJson(call, target));
  return Json{{"TableDescription", std::move(description)}};
}

namespace {

constexpr std::int64_t kMillisPerDay = 24LL * 3600 * 1000;

// The oldest restorable moment: PITR's start, or the recovery period back from now if that is later.
std::int64_t EarliestRestorable(const TableDefinition& table, std::int64_t now_millis) {
  return std::max(table.pitr_enabled_millis, now_millis - table.pitr_recovery_days * kMillisPerDay);
}

Json ContinuousBackupsJson(const TableDefinition& table, std::int64_t now_millis) {
  Json pitr{{"PointInTimeRecoveryStatus", table.pitr_enabled ? "ENABLED" : "DISABLED"}};
  if (table.pitr_enabled) {
    pitr["RecoveryPeriodInDays"] = table.pitr_recovery_days;
    pitr["EarliestRestorableDateTime"] = codec::EpochSeconds(EarliestRestorable(table, now_millis));
    pitr["LatestRestorableDateTime"] = codec::EpochSeconds(now_millis);
  }
  return Json{{"ContinuousBackupsDescription",
               Json{{"ContinuousBackupsStatus", "ENABLED"}, {"PointInTimeRecoveryDescription", std::move(pitr)}}}};
}

}  // namespace

Result<Json> DynamoDbService::UpdateContinuousBackups(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto table_name, input::RequiredString(call.input, "TableName"));
  MALLARD_ASSIGN_OR_RETURN(auto spec, input::OptionalObject(call.input, "PointInTimeRecoverySpecification"));
  if (!spec) return Fail(input::MissingMember("PointInTimeRecoverySpecification"));
  MALLARD_ASSIGN_OR_RETURN(auto enabled, input::OptionalBool(*spec, "PointInTimeRecoveryEnabled"));
  if (!enabled) return Fail(input::MissingMember("PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled"));
  // RecoveryPeriodInDays: 1-35, 35 when absent (PointInTimeRecoverySpecification in the API reference).
  MALLARD_ASSIGN_OR_RETURN(auto days, input::OptionalInt(*spec, "RecoveryPeriodInDays"));
  if (days && (*days < 1 || *days > 35))
    return Fail(input::ConstraintError("PointInTimeRecoverySpecification.recoveryPeriodInDays",
                                       "'" + std::to_string(*days) + "'",
                                       *days < 1 ? "Member must have value greater than or equal to 1"
                                                 : "Member must have value less than or equal to 35"));
  const std::string name = codec::TableNameFromArnOrName(table_name);
  auto updated = store_->UpdateTable(call.scope, name, [&](TableDefinition& table) -> Status<> {
    if (*enabled && !table.pitr_enabled) table.pitr_enabled_millis = call.now_millis;
    table.pitr_enabled = *enabled;
    if (*enabled) table.pitr_recovery_days = days.value_or(35);
    return Done{};
  });
  if (!updated) return Fail(errors::LookupFailed(updated.error(), errors::TableNotFoundForBackup(name)));
  return ContinuousBackupsJson(updated->value(), call.now_millis);
}

Result<Json> DynamoDbService::DescribeContinuousBackups(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto table_name, input::RequiredString(call.input, "TableName"));
  const std::string name = codec::TableNameFromArnOrName(table_name);
  auto table = store_->GetTable(call.scope, name);
  if (!table) return Fail(errors::LookupFailed(table.error(), errors::TableNotFoundForBackup(name)));
  return ContinuousBackupsJson(*table, call.now_millis);
}

Result<Json> DynamoDbService::RestoreTableToPointInTime(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto source_name, input::OptionalString(call.input, "SourceTableName"));
  MALLARD_ASSIGN_OR_RETURN(auto source_arn, input::OptionalString(call.input, "SourceTableArn"));
  MALLARD_ASSIGN_OR_RETURN(auto target_name, input::RequiredString(call.input, "TargetTableName"));
  MALLARD_ASSIGN_OR_RETURN(auto use_latest, input::OptionalBool(call.input, "UseLatestRestorableTime"));
  if (!source_name && !source_arn) return Fail(Validation("Either SourceTableName or SourceTableArn must be specified"));
  const std::string name = codec::TableNameFromArnOrName(source_name ? *source_name : *source_arn);
  auto source = store_->GetTable(call.scope, name);
  if (!source) return Fail(errors::LookupFailed(source.error(), errors::SourceTableNotFound(name)));
  if (!source->pitr_enabled) return Fail(errors::PointInTimeRecoveryUnavailable(name));
  std::int64_t as_of = call.now_millis;
  if (const auto* time = call.input.if_contains("RestoreDateTime"); time && !use_latest.value_or(false)) {
    if (!time->is_number()) return Fail(input::WrongType("RestoreDateTime", "timestamp"));
    as_of = static_cast<std::int64_t>(std::llround(time->to_number<double>() * 1000.0));
    if (as_of < EarliestRestorable(*source, call.now_millis) - 1000 || as_of > call.now_millis)
      return Fail(errors::InvalidRestoreTime("Restore time must be within the restorable time range of the table"));
  }
  MALLARD_ASSIGN_OR_RETURN(auto target, RestoredDefinition(call, *source, target_name));
  target.restored_from_table_arn = source->arn;
  auto restored = store_->RestoreTable(call.scope, target, {"", name, as_of});
  if (!restored) {
    if (restored.error().code == StoreErrc::TableExists) return Fail(errors::TableAlreadyExists(target_name));
    return Fail(errors::LookupFailed(restored.error(), errors::SourceTableNotFound(name)));
  }
  MALLARD_ASSIGN_OR_RETURN(auto description, DescribeTableJson(call, target));
  return Json{{"TableDescription", std::move(description)}};
}

}  // namespace mallard::dynamodb
