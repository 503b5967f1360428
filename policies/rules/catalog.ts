import { apiGatewayAccessLogs, apiGatewayRestWaf, apiGatewayThrottling } from "./api-gateway.ts";
import { auroraBackupRetention, rdsInstanceBackupRetention } from "./backups.ts";
import { elasticacheEncrypted } from "./cache.ts";
import { ec2Imdsv2Required, ec2NoPublicIp, ec2RootVolumeEncrypted } from "./compute.ts";
import {
  auroraDeletionProtection, auroraEncrypted, auroraNotPublic, rdsInstanceDeletionProtection, rdsInstanceEncrypted, rdsInstanceMultiAz,
  rdsInstanceNotPublic,
} from "./database.ts";
import { dynamodbKmsEncryption, dynamodbPointInTimeRecovery } from "./dynamodb.ts";
import {
  allowedHostsRestricted, corsNotWildcard, ecsServiceCircuitBreaker, ecsServiceNoPublicIp, imagePinnedByDigest,
  noDebugInProduction, noLiteralSecretEnv, rateLimitingEnabled,
} from "./ecs.ts";
import { exemptionsListed, exemptionValid } from "./exemptions.ts";
import { iamNoServiceWildcard, iamNoStarOnStar } from "./iam.ts";
import { lambdaXrayActive } from "./lambda.ts";
import { albAccessLogs, albDropInvalidHeaders, httpListenerRedirects, httpsListenerTls12 } from "./load-balancing.ts";
import { albAlarms, logGroupRetention } from "./monitoring.ts";
import { natGatewayPerAz, securityGroupNoWorldIngress } from "./network.ts";
import type { ReadinessRule } from "./rule.ts";
import { secretUsesKmsKey } from "./secrets.ts";
import { s3Encrypted, s3PublicAccessBlocked } from "./storage.ts";
import { albWafAssociated, wafAdminAllowList, wafCommonAndRateRules } from "./waf.ts";

const checks: readonly ReadinessRule[] = [
  securityGroupNoWorldIngress, natGatewayPerAz,
  httpListenerRedirects, httpsListenerTls12, albAccessLogs, albDropInvalidHeaders,
  albWafAssociated, wafCommonAndRateRules, wafAdminAllowList,
  noDebugInProduction, allowedHostsRestricted, corsNotWildcard, rateLimitingEnabled, imagePinnedByDigest,
  ecsServiceNoPublicIp, ecsServiceCircuitBreaker,
  auroraEncrypted, auroraNotPublic, auroraDeletionProtection, auroraBackupRetention,
  rdsInstanceEncrypted, rdsInstanceNotPublic, rdsInstanceDeletionProtection, rdsInstanceBackupRetention, rdsInstanceMultiAz,
  elasticacheEncrypted,
  dynamodbPointInTimeRecovery, dynamodbKmsEncryption,
  ec2Imdsv2Required, ec2RootVolumeEncrypted, ec2NoPublicIp,
  lambdaXrayActive,
  apiGatewayAccessLogs, apiGatewayThrottling, apiGatewayRestWaf,
  noLiteralSecretEnv, secretUsesKmsKey,
  s3PublicAccessBlocked, s3Encrypted,
  logGroupRetention, albAlarms,
  iamNoStarOnStar, iamNoServiceWildcard,
];

/** Every rule of the readiness pack, in catalog order. */
export const readinessRules: readonly ReadinessRule[] = [
  ...checks,
  exemptionValid(new Set(checks.map((r) => r.name))),
  exemptionsListed,
];
