#include "app/service_registry.hpp"

#include "services/athena/athena_module.hpp"
#include "services/dynamodb/ddb_module.hpp"
#include "services/redshift_data/redshift_data_module.hpp"
#include "services/s3/s3_module.hpp"
#include "services/sns/sns_module.hpp"
#include "services/sqs/sqs_module.hpp"
#include "services/sts/sts_module.hpp"

namespace mallard::app {

const std::vector<services::kit::ServiceModule>& BuiltInModules() {
  // No static-initialiser registration: the list is here, in one place, in a known order.
  static const std::vector<services::kit::ServiceModule> modules = {
      sqs::SqsModule(),
      sns::SnsModule(),
      s3::S3Module(),
      dynamodb::DynamoDbModule(),
      sts::StsModule(),
      athena::AthenaModule(),
      redshift_data::RedshiftDataModule(),
  };
  return modules;
}

}  // namespace mallard::app
