import { auroraBackupRetention } from "./backups.ts";
import { elasticacheEncrypted } from "./cache.ts";
import { auroraDeletionProtection, auroraEncrypted, auroraNotPublic } from "./database.ts";
import {
  allowedHostsRestricted, corsNotWildcard, ecsServiceCircuitBreaker, ecsServiceNoPublicIp, imagePinnedByDigest,
  noDebugInProduction, noLiteralSecretEnv, rateLimitingEnabled,
} from "./ecs.ts";
import { exemptionsListed, exemptionValid } from "./exemptions.ts";
import { iamNoStarOnStar } from "./iam.ts";
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
  elasticacheEncrypted,
  lambdaXrayActive,
  noLiteralSecretEnv, secretUsesKmsKey,
  s3PublicAccessBlocked, s3Encrypted,
  logGroupRetention, albAlarms,
  iamNoStarOnStar,
];

/** The pack's name (`new PolicyPack(PACK_NAME, ...)`); its version is policies/package.json's. */
export const PACK_NAME = "readiness";

/** Every rule of the readiness pack, in catalog order. */
export const readinessRules: readonly ReadinessRule[] = [
  ...checks,
  exemptionValid(new Set(checks.map((r) => r.name))),
  exemptionsListed,
];
