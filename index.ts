import { loadPlatformConfig } from "./config/load.ts";
import { createPlatform } from "./components/platform.ts";

// Config is validated before anything is created: an invalid stack throws here and provisions nothing.
const platform = createPlatform(loadPlatformConfig());
const { network, database, cache, secrets } = platform;

export const vpcId = network.vpcId;
export const publicSubnetIds = network.publicSubnetIds;
export const privateSubnetIds = network.privateSubnetIds;
export const isolatedSubnetIds = network.isolatedSubnetIds;
export const albSecurityGroupId = network.albSecurityGroupId;
export const appSecurityGroupId = network.appSecurityGroupId;

export const dbClusterEndpoint = database.endpoint;
export const dbReaderEndpoint = database.readerEndpoint;
export const dbProxyEndpoint = database.proxyEndpoint;
export const dbPort = database.port;
export const dbName = database.databaseName;
export const dbMasterSecretArn = database.masterSecretArn;

export const cachePrimaryEndpoint = cache.primaryEndpoint;
export const cacheReaderEndpoint = cache.readerEndpoint;
export const cachePort = cache.port;
export const cacheAuthTokenSecretArn = cache.authTokenSecretArn;

// ARNs only: the values stay in Secrets Manager.
export const kmsKeyArn = secrets.kmsKeyArn;
export const secretKeyArn = secrets.secretKeyArn;
export const thirdPartySecretArns = secrets.thirdPartySecretArns;

// The rollout's contract (docs/configuration.md, "Application tier"): plain names, ARNs, CloudWatch
// dimensions and images; `npm run rollout` reads them with `pulumi stack output --json`.
export const {
  region, clusterName, stableServiceName, canaryServiceName, httpsListenerArn,
  stableTargetGroupArn, canaryTargetGroupArn, stableTargetGroupFullName, canaryTargetGroupFullName,
  loadBalancerFullName, albDnsName, healthUrl, canaryHeaderName, canaryHeaderValue, alarmNames,
  stableImage, canaryImage, canaryWeight, taskSubnetIds, taskSecurityGroupIds, webContainerName,
  canaryTaskDefinitionArn, webLogGroupName, rolloutStateBucket,
} = platform.app.outputs;
