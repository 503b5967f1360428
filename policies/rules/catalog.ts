// The pack's one registration list: a rule lives in rules/<area>/<rule-name>.ts and is listed here once.
// The order is the catalog's (docs/policies.md, reports).
import type { ReadinessRule } from "../core/rule.ts";
import { apigatewayAccessLogs } from "./api-gateway/apigateway-access-logs.ts";
import { apigatewayRestWafAssociated } from "./api-gateway/apigateway-rest-waf-associated.ts";
import { apigatewayThrottling } from "./api-gateway/apigateway-throttling.ts";
import { auroraBackupRetention } from "./backups/aurora-backup-retention.ts";
import { rdsInstanceBackupRetention } from "./backups/rds-instance-backup-retention.ts";
import { elasticacheEncrypted } from "./cache/elasticache-encrypted.ts";
import { ec2Imdsv2Required } from "./compute/ec2-imdsv2-required.ts";
import { ec2NoPublicIp } from "./compute/ec2-no-public-ip.ts";
import { ec2RootVolumeEncrypted } from "./compute/ec2-root-volume-encrypted.ts";
import { auroraDeletionProtection } from "./database/aurora-deletion-protection.ts";
import { auroraEncrypted } from "./database/aurora-encrypted.ts";
import { auroraNotPublic } from "./database/aurora-not-public.ts";
import { rdsInstanceDeletionProtection } from "./database/rds-instance-deletion-protection.ts";
import { rdsInstanceEncrypted } from "./database/rds-instance-encrypted.ts";
import { rdsInstanceMultiAz } from "./database/rds-instance-multi-az.ts";
import { rdsInstanceNotPublic } from "./database/rds-instance-not-public.ts";
import { dynamodbKmsEncryption } from "./dynamodb/dynamodb-kms-encryption.ts";
import { dynamodbPointInTimeRecovery } from "./dynamodb/dynamodb-point-in-time-recovery.ts";
import { allowedHostsRestricted } from "./ecs/allowed-hosts-restricted.ts";
import { ecsNoDebugInProduction } from "./ecs/ecs-no-debug-in-production.ts";
import { ecsServiceCircuitBreakerRollback } from "./ecs/ecs-service-circuit-breaker-rollback.ts";
import { ecsServiceNoPublicIp } from "./ecs/ecs-service-no-public-ip.ts";
import { imagePinnedByDigest } from "./ecs/image-pinned-by-digest.ts";
import { rateLimitingEnabled } from "./ecs/rate-limiting-enabled.ts";
import { exemptionValid } from "./exemptions/exemption-valid.ts";
import { exemptionsListed } from "./exemptions/exemptions-listed.ts";
import { iamNoServiceWildcard } from "./iam/iam-no-service-wildcard.ts";
import { iamNoStarOnStar } from "./iam/iam-no-star-on-star.ts";
import { lambdaXrayActive } from "./lambda/lambda-xray-active.ts";
import { albAccessLogsEnabled } from "./load-balancing/alb-access-logs-enabled.ts";
import { albDropInvalidHeaders } from "./load-balancing/alb-drop-invalid-headers.ts";
import { albHttpRedirectsToHttps } from "./load-balancing/alb-http-redirects-to-https.ts";
import { albHttpsTls12 } from "./load-balancing/alb-https-tls12.ts";
import { alb5xxAndLatencyAlarms } from "./monitoring/alb-5xx-and-latency-alarms.ts";
import { logGroupRetention } from "./monitoring/log-group-retention.ts";
import { natGatewayPerAz } from "./network/nat-gateway-per-az.ts";
import { securityGroupNoWorldIngress } from "./network/security-group-no-world-ingress.ts";
import { noLiteralSecretEnv } from "./secrets/no-literal-secret-env.ts";
import { secretUsesKmsKey } from "./secrets/secret-uses-kms-key.ts";
import { corsNotWildcard } from "./storage/cors-not-wildcard.ts";
import { s3Encrypted } from "./storage/s3-encrypted.ts";
import { s3PublicAccessBlocked } from "./storage/s3-public-access-blocked.ts";
import { albWafAssociated } from "./waf/alb-waf-associated.ts";
import { wafAdminAllowList } from "./waf/waf-admin-allow-list.ts";
import { wafCommonAndRateRules } from "./waf/waf-common-and-rate-rules.ts";

const checks: readonly ReadinessRule[] = [
  securityGroupNoWorldIngress, natGatewayPerAz,
  albHttpRedirectsToHttps, albHttpsTls12, albAccessLogsEnabled, albDropInvalidHeaders,
  albWafAssociated, wafCommonAndRateRules, wafAdminAllowList,
  ecsNoDebugInProduction, allowedHostsRestricted,
  corsNotWildcard,
  rateLimitingEnabled, imagePinnedByDigest, ecsServiceNoPublicIp, ecsServiceCircuitBreakerRollback,
  auroraEncrypted, auroraNotPublic, auroraDeletionProtection,
  auroraBackupRetention,
  rdsInstanceEncrypted, rdsInstanceNotPublic, rdsInstanceDeletionProtection,
  rdsInstanceBackupRetention,
  rdsInstanceMultiAz,
  elasticacheEncrypted,
  dynamodbPointInTimeRecovery, dynamodbKmsEncryption,
  ec2Imdsv2Required, ec2RootVolumeEncrypted, ec2NoPublicIp,
  lambdaXrayActive,
  apigatewayAccessLogs, apigatewayThrottling, apigatewayRestWafAssociated,
  noLiteralSecretEnv, secretUsesKmsKey,
  s3PublicAccessBlocked, s3Encrypted,
  logGroupRetention, alb5xxAndLatencyAlarms,
  iamNoStarOnStar, iamNoServiceWildcard,
];

/** The pack's name (`new PolicyPack(PACK_NAME, ...)`); its version is policies/package.json's. */
export const PACK_NAME = "readiness";

/** Every rule of the readiness pack, in catalog order. */
export const readinessRules: readonly ReadinessRule[] = [
  ...checks,
  exemptionValid(new Set(checks.map((r) => r.name))),
  exemptionsListed,
];
