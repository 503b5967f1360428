import type { PlatformConfig } from "../config/platform-config.ts";
import { ApplicationTier } from "./app-tier.ts";
import { Cache } from "./cache.ts";
import { Database } from "./database.ts";
import { Network } from "./network.ts";
import { Secrets } from "./secrets.ts";

/** Every component of one environment, for index.ts to export from and for tests to inspect. */
export interface Platform {
  readonly secrets: Secrets;
  readonly network: Network;
  readonly database: Database;
  readonly cache: Cache;
  readonly app: ApplicationTier;
}

/**
 * Builds one environment from its validated config. The order follows the dependencies: the KMS key
 * first (everything is encrypted with it), then the network, then the data stores inside it.
 */
export function createPlatform(config: PlatformConfig): Platform {
  const tags = config.tags;
  const namePrefix = `${config.project}/${config.stack}`;
  // Production secrets can be restored for 30 days after a deletion; dev ones are gone at once so that
  // a dev stack can be destroyed and re-created under the same names.
  const recoveryWindowDays = config.environment === "dev" ? 0 : 30;

  const secrets = new Secrets("secrets", { namePrefix, thirdPartySecrets: config.thirdPartySecrets, recoveryWindowDays, tags });
  const network = new Network("network", { network: config.network, appPort: config.app.port, kmsKeyArn: secrets.kmsKeyArn, tags });
  const database = new Database("database", {
    database: config.database, isolatedSubnetIds: network.isolatedSubnetIds, availabilityZones: network.availabilityZones,
    dbSecurityGroupId: network.dbSecurityGroupId, proxySecurityGroupId: network.dbProxySecurityGroupId,
    kmsKeyArn: secrets.kmsKeyArn, tags,
  });
  const cache = new Cache("cache", {
    cache: config.cache, privateSubnetIds: network.privateSubnetIds, availabilityZones: network.availabilityZones,
    securityGroupId: network.cacheSecurityGroupId, kmsKeyArn: secrets.kmsKeyArn,
    authTokenSecretName: `${namePrefix}/CACHE_AUTH_TOKEN`, secretRecoveryWindowDays: recoveryWindowDays,
    logRetentionDays: config.logRetentionDays, tags,
  });

  const app = new ApplicationTier("app", {
    config,
    data: {
      vpcId: network.vpcId, publicSubnetIds: network.publicSubnetIds, privateSubnetIds: network.privateSubnetIds,
      albSecurityGroupId: network.albSecurityGroupId, appSecurityGroupId: network.appSecurityGroupId,
      kmsKeyArn: secrets.kmsKeyArn, secretKeyArn: secrets.secretKeyArn, thirdPartySecretArns: secrets.thirdPartySecretArns,
      dbClusterIdentifier: database.clusterIdentifier, dbClusterArn: database.clusterArn,
      backends: {
        databaseHost: database.proxyEndpoint, databaseName: database.databaseName, databaseSecretArn: database.masterSecretArn,
        cacheHost: cache.primaryEndpoint, cacheAuthSecretArn: cache.authTokenSecretArn,
      },
    },
  });

  return { secrets, network, database, cache, app };
}
