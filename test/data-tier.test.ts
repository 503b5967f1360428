import assert from "node:assert/strict";
import fc from "fast-check";
import type { PlatformConfig } from "../config/platform-config.ts";
import { subnetCidrs } from "../components/network.ts";
import { SECRET_KEY_LENGTH } from "../components/secrets.ts";
import { hasProviderOutputs } from "../gate/provider-outputs.ts";
import type { ProgramRun, RegisteredResource } from "../gate/program-runner.ts";
import { customResources, onlyResourceOfType, platformConfigOf, resourceByRef, resourcesOfType, runStack, withinComponents } from "./support/stacks.ts";

/** The program under test, narrowed to the data tier: the application tier has keys and secrets of its own. */
const runDataTier = async (stack: string, change?: Parameters<typeof runStack>[1]) => withinComponents(await runStack(stack, change), "readiness:data:");

const T = {
  vpc: "aws:ec2/vpc:Vpc",
  subnet: "aws:ec2/subnet:Subnet",
  nat: "aws:ec2/natGateway:NatGateway",
  route: "aws:ec2/route:Route",
  routeTable: "aws:ec2/routeTable:RouteTable",
  association: "aws:ec2/routeTableAssociation:RouteTableAssociation",
  flowLog: "aws:ec2/flowLog:FlowLog",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  sg: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  key: "aws:kms/key:Key",
  secret: "aws:secretsmanager/secret:Secret",
  secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
  password: "random:index/randomPassword:RandomPassword",
  cluster: "aws:rds/cluster:Cluster",
  instance: "aws:rds/clusterInstance:ClusterInstance",
  paramGroup: "aws:rds/clusterParameterGroup:ClusterParameterGroup",
  dbSubnets: "aws:rds/subnetGroup:SubnetGroup",
  proxy: "aws:rds/proxy:Proxy",
  proxyTarget: "aws:rds/proxyTarget:ProxyTarget",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  cacheGroup: "aws:elasticache/replicationGroup:ReplicationGroup",
  cacheSubnets: "aws:elasticache/subnetGroup:SubnetGroup",
} as const;

/** Types AWS (or the provider) gives no tags. */
const UNTAGGABLE = new Set([
  T.route, T.association, T.rolePolicy, T.secretVersion, T.password, T.proxyTarget,
  "aws:kms/alias:Alias", "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup",
]);

const subnetsOfTier = (run: ProgramRun, tier: string) => resourcesOfType(run, T.subnet).filter((s) => (s.inputs.tags as Record<string, string>).Tier === tier);
const ids = (resources: readonly RegisteredResource[]) => resources.map((r) => r.state.id);
const sgNamed = (run: ProgramRun, suffix: string) => {
  const sg = resourcesOfType(run, T.sg).find((r) => r.name === `network-${suffix}`);
  assert.ok(sg, `security group network-${suffix}`);
  return sg;
};
const rulesOn = (run: ProgramRun, type: string, sg: RegisteredResource) => resourcesOfType(run, type).filter((r) => r.inputs.securityGroupId === sg.state.id);

for (const stack of ["dev", "staging", "production"] as const) {
  describe(`data tier: ${stack} (from Pulumi.${stack}.yaml)`, () => {
    let run: ProgramRun;
    let config: PlatformConfig;
    before(async () => {
      config = await platformConfigOf(stack);
      run = await runDataTier(stack);
    });

    it("spreads public, private and isolated subnets over config.network.azCount AZs, carved from the VPC CIDR", () => {
      const vpc = onlyResourceOfType(run, T.vpc);
      assert.equal(vpc.inputs.cidrBlock, config.network.cidr);
      const expected = subnetCidrs(config.network.cidr, config.network.azCount);
      for (const tier of ["public", "private", "isolated"] as const) {
        const subnets = subnetsOfTier(run, tier);
        assert.deepEqual(subnets.map((s) => s.inputs.cidrBlock), expected[tier]);
        assert.equal(new Set(subnets.map((s) => s.inputs.availabilityZone)).size, config.network.azCount, `${tier} subnets in distinct AZs`);
        assert.ok(subnets.every((s) => s.inputs.vpcId === vpc.state.id && s.inputs.mapPublicIpOnLaunch === false));
      }
    });

    it("routes private subnets through NAT (one per AZ when configured) and gives isolated subnets no way out", () => {
      const nats = resourcesOfType(run, T.nat);
      assert.equal(nats.length, config.network.natGateways === "one-per-az" ? config.network.azCount : 1);
      const publicIds = ids(subnetsOfTier(run, "public"));
      assert.ok(nats.every((n) => publicIds.includes(n.inputs.subnetId)), "NAT gateways live in public subnets");

      const tableOf = (subnet: RegisteredResource) => resourcesOfType(run, T.association).find((a) => a.inputs.subnetId === subnet.state.id)?.inputs.routeTableId;
      const routesOf = (tableId: unknown) => resourcesOfType(run, T.route).filter((r) => r.inputs.routeTableId === tableId);
      const azOfNat = (natId: unknown) => resourcesOfType(run, T.subnet).find((s) => s.state.id === nats.find((n) => n.state.id === natId)?.inputs.subnetId)?.inputs.availabilityZone;
      for (const subnet of subnetsOfTier(run, "private")) {
        const [route, ...others] = routesOf(tableOf(subnet));
        assert.equal(others.length, 0);
        assert.equal(route.inputs.destinationCidrBlock, "0.0.0.0/0");
        if (config.network.natGateways === "one-per-az") assert.equal(azOfNat(route.inputs.natGatewayId), subnet.inputs.availabilityZone, "NAT in the subnet's own AZ");
      }
      for (const subnet of subnetsOfTier(run, "isolated")) {
        const table = tableOf(subnet);
        assert.ok(table, "isolated subnet has an explicit route table");
        assert.deepEqual(routesOf(table), []);
      }
    });

    it("sends VPC flow logs to an encrypted log group with the configured retention", () => {
      const flowLog = onlyResourceOfType(run, T.flowLog);
      assert.equal(flowLog.inputs.vpcId, onlyResourceOfType(run, T.vpc).state.id);
      assert.equal(flowLog.inputs.trafficType, "ALL");
      const group = resourceByRef(run, flowLog.inputs.logDestination);
      assert.equal(group?.type, T.logGroup);
      assert.equal(group?.inputs.retentionInDays, config.network.flowLogRetentionDays);
      assert.match(String(flowLog.inputs.iamRoleArn), /^arn:aws:iam::\d{12}:role\//);
    });

    it("describes every security group and rule, and allows the internet only into the ALB on 80/443", () => {
      for (const sg of resourcesOfType(run, T.sg)) assert.ok(String(sg.inputs.description ?? "").length > 10, `${sg.name} has a description`);
      const rules = [...resourcesOfType(run, T.ingress), ...resourcesOfType(run, T.egress)];
      for (const rule of rules) {
        assert.ok(String(rule.inputs.description ?? "").length > 5, `${rule.name} has a description`);
        assert.notEqual(rule.inputs.ipProtocol, "-1", `${rule.name} names a protocol`);
        assert.equal(rule.inputs.fromPort, rule.inputs.toPort, `${rule.name} opens one port`);
      }
      const alb = sgNamed(run, "alb-sg");
      const open = resourcesOfType(run, T.ingress).filter((r) => r.inputs.cidrIpv4 === "0.0.0.0/0" || r.inputs.cidrIpv6 === "::/0");
      assert.deepEqual(open.map((r) => [r.inputs.securityGroupId === alb.state.id, r.inputs.fromPort]).sort(), [[true, 443], [true, 80]]);
    });

    it("lets only the app reach the app port, the database and the cache", () => {
      const [alb, app, proxy, db, cache] = ["alb-sg", "app-sg", "db-proxy-sg", "db-sg", "cache-sg"].map((s) => sgNamed(run, s));
      const sources = (sg: RegisteredResource) => rulesOn(run, T.ingress, sg).map((r) => [resourceByRef(run, r.inputs.referencedSecurityGroupId)?.name, r.inputs.fromPort]).sort();
      assert.deepEqual(sources(app), [[alb.name, config.app.port]]);
      assert.deepEqual(sources(db), [[app.name, 5432], [proxy.name, 5432]].sort());
      assert.deepEqual(sources(cache), [[app.name, 6379]]);
      assert.ok(sources(proxy).every(([, port]) => port === 5432));
      assert.deepEqual(rulesOn(run, T.egress, db), [], "the database opens no connections");
      assert.deepEqual(rulesOn(run, T.egress, cache), [], "the cache opens no connections");
    });

    it("encrypts everything with one customer-managed, rotating KMS key", () => {
      const key = onlyResourceOfType(run, T.key);
      assert.equal(key.inputs.enableKeyRotation, true);
      const policy = JSON.parse(String(key.inputs.policy)) as { Statement: { Principal: Record<string, string>; Condition?: unknown }[] };
      assert.deepEqual(policy.Statement.map((st) => st.Principal), [{ AWS: "arn:aws:iam::123456789012:root" }, { Service: `logs.${config.region}.amazonaws.com` }]);
      assert.deepEqual(policy.Statement[1].Condition, { ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${config.region}:123456789012:log-group:*` } });
      const keyArn = key.state.arn;
      const cluster = onlyResourceOfType(run, T.cluster);
      assert.equal(cluster.inputs.storageEncrypted, true);
      assert.equal(cluster.inputs.kmsKeyId, keyArn);
      assert.equal(cluster.inputs.masterUserSecretKmsKeyId, keyArn);
      for (const instance of resourcesOfType(run, T.instance)) assert.equal(instance.inputs.performanceInsightsKmsKeyId, keyArn);
      const cache = onlyResourceOfType(run, T.cacheGroup);
      assert.equal(cache.inputs.atRestEncryptionEnabled, true);
      assert.equal(cache.inputs.transitEncryptionEnabled, true);
      assert.equal(cache.inputs.transitEncryptionMode, "required");
      assert.equal(cache.inputs.kmsKeyId, keyArn);
      for (const secret of resourcesOfType(run, T.secret)) assert.equal(secret.inputs.kmsKeyId, keyArn, secret.name);
      for (const group of resourcesOfType(run, T.logGroup)) assert.equal(group.inputs.kmsKeyId, keyArn, group.name);
    });

    it("generates a SECRET_KEY of 50+ characters and stores every secret value as a Pulumi secret", () => {
      const password = resourcesOfType(run, T.password).find((p) => p.name === "secrets-django-secret-key");
      assert.ok(password && Number(password.inputs.length) >= 50 && password.inputs.length === SECRET_KEY_LENGTH);
      const versions = resourcesOfType(run, T.secretVersion);
      assert.equal(versions.length, resourcesOfType(run, T.secret).length);
      for (const version of versions) assert.ok(version.secretPaths.includes("secretString"), `${version.name} value is secret`);
      const stored = versions.find((v) => v.name === "secrets-django-secret-key-value");
      assert.equal(stored?.inputs.secretString, password.state.result);
      assert.ok(String(stored?.inputs.secretString).length >= 50);
      const cacheGroup = onlyResourceOfType(run, T.cacheGroup);
      assert.ok(cacheGroup.secretPaths.includes("authToken"), "the cache auth token is secret");
    });

    it("exports ARNs and endpoints, never a secret value", () => {
      const plaintexts = [
        ...resourcesOfType(run, T.password).map((p) => String(p.state.result)),
        ...resourcesOfType(run, T.secretVersion).map((v) => String(v.inputs.secretString)),
      ];
      const exported = JSON.stringify(run.outputs);
      for (const value of plaintexts) assert.ok(!exported.includes(value), "a secret value is exported");
      assert.match(String(run.outputs.secretKeyArn), /^arn:aws:secretsmanager:/);
      assert.match(String(run.outputs.dbProxyEndpoint), /\.proxy-.*\.rds\.amazonaws\.com$/);
      assert.equal(run.outputs.vpcId, onlyResourceOfType(run, T.vpc).state.id);
    });

    it("runs Aurora PostgreSQL Serverless v2 in the isolated subnets as configured", () => {
      const cluster = onlyResourceOfType(run, T.cluster);
      assert.equal(cluster.inputs.engine, "aurora-postgresql");
      assert.deepEqual(cluster.inputs.serverlessv2ScalingConfiguration, { minCapacity: config.database.minCapacity, maxCapacity: config.database.maxCapacity });
      assert.equal(cluster.inputs.manageMasterUserPassword, true);
      assert.equal(cluster.inputs.iamDatabaseAuthenticationEnabled, true);
      assert.equal(cluster.inputs.deletionProtection, config.database.deletionProtection);
      assert.equal(cluster.inputs.skipFinalSnapshot, !config.database.deletionProtection);
      assert.equal(cluster.inputs.backupRetentionPeriod, config.database.backupRetentionDays);
      assert.deepEqual(cluster.inputs.enabledCloudwatchLogsExports, ["postgresql"]);
      assert.deepEqual(cluster.inputs.vpcSecurityGroupIds, [sgNamed(run, "db-sg").state.id]);
      const subnetGroup = onlyResourceOfType(run, T.dbSubnets);
      assert.equal(cluster.inputs.dbSubnetGroupName, subnetGroup.state.name);
      assert.deepEqual(subnetGroup.inputs.subnetIds, ids(subnetsOfTier(run, "isolated")));

      const instances = resourcesOfType(run, T.instance);
      assert.equal(instances.length, config.database.instances);
      assert.ok(instances.every((i) => i.inputs.instanceClass === "db.serverless" && i.inputs.performanceInsightsEnabled === true && i.inputs.publiclyAccessible === false));
      assert.equal(new Set(instances.map((i) => i.inputs.availabilityZone)).size, Math.min(instances.length, config.network.azCount));

      const params = Object.fromEntries((onlyResourceOfType(run, T.paramGroup).inputs.parameters as { name: string; value: string }[]).map((p) => [p.name, p.value]));
      assert.deepEqual(params, { statement_timeout: String(config.database.statementTimeoutMs), log_connections: "1", log_disconnections: "1", "rds.force_ssl": "1" });
    });

    it("puts an RDS Proxy with TLS in front, able to read only the master secret", () => {
      const cluster = onlyResourceOfType(run, T.cluster);
      const masterSecret = (cluster.state.masterUserSecrets as { secretArn: string }[])[0].secretArn;
      const proxy = onlyResourceOfType(run, T.proxy);
      assert.equal(proxy.inputs.requireTls, true);
      assert.deepEqual(proxy.inputs.auths, [{ authScheme: "SECRETS", iamAuth: "DISABLED", secretArn: masterSecret, description: "RDS-managed master credentials" }]);
      assert.equal(onlyResourceOfType(run, T.proxyTarget).inputs.dbClusterIdentifier, cluster.state.clusterIdentifier);
      const policy = resourcesOfType(run, T.rolePolicy).find((p) => p.name === "database-proxy-secret-access");
      const statements = JSON.parse(String(policy?.inputs.policy)).Statement as { Action: string | string[]; Resource: string }[];
      assert.deepEqual(statements.map((s) => s.Resource), [masterSecret, onlyResourceOfType(run, T.key).state.arn]);
    });

    it("runs the cache with 1 + replicas nodes in the private subnets, failing over across AZs when replicated", () => {
      const group = onlyResourceOfType(run, T.cacheGroup);
      assert.equal(group.inputs.engine, config.cache.engine);
      assert.equal(group.inputs.numCacheClusters, 1 + config.cache.replicas);
      const replicated = config.cache.replicas >= 1;
      assert.equal(group.inputs.automaticFailoverEnabled, replicated);
      assert.equal(group.inputs.multiAzEnabled, replicated);
      assert.deepEqual(group.inputs.securityGroupIds, [sgNamed(run, "cache-sg").state.id]);
      assert.deepEqual(onlyResourceOfType(run, T.cacheSubnets).inputs.subnetIds, ids(subnetsOfTier(run, "private")));
      const azs = group.inputs.preferredCacheClusterAzs as string[];
      assert.equal(new Set(azs).size, Math.min(azs.length, config.network.azCount));
      const tokenSecret = resourceByRef(run, run.outputs.cacheAuthTokenSecretArn);
      assert.equal(tokenSecret?.type, T.secret);
    });

    it("has realistic mock outputs for every resource type it creates", () => {
      const missing = [...new Set(customResources(run).map((r) => r.type))].filter((type) => !hasProviderOutputs(type));
      assert.deepEqual(missing, []);
    });

    it("tags every taggable resource and names each child after its component", () => {
      const components = new Map(run.resources.filter((r) => !r.custom && r.type.startsWith("readiness:")).map((c) => [c.urn, c.name]));
      for (const resource of customResources(run)) {
        const component = components.get(resource.parent ?? "");
        assert.ok(component, `${resource.type} ${resource.name} is parented to a component`);
        assert.ok(resource.name.startsWith(`${component}-`), `${resource.name} is named after ${component}`);
        if (UNTAGGABLE.has(resource.type)) continue;
        const tags = resource.inputs.tags as Record<string, string> | undefined;
        for (const [k, v] of Object.entries(config.tags)) assert.equal(tags?.[k], v, `${resource.type} ${resource.name} tag ${k}`);
      }
    });
  });
}

describe("data tier: readiness differences between environments", () => {
  let dev: ProgramRun;
  let production: ProgramRun;
  before(async () => {
    dev = await runDataTier("dev");
    production = await runDataTier("production");
  });

  it("production: 3 AZs, a NAT per AZ, protected database with 14+ days of backups, 2+ instances in distinct AZs, multi-AZ cache", () => {
    assert.equal(new Set(resourcesOfType(production, T.subnet).map((s) => s.inputs.availabilityZone)).size, 3);
    assert.equal(resourcesOfType(production, T.nat).length, 3);
    const cluster = onlyResourceOfType(production, T.cluster);
    assert.equal(cluster.inputs.deletionProtection, true);
    assert.equal(cluster.inputs.skipFinalSnapshot, false);
    assert.ok(Number(cluster.inputs.backupRetentionPeriod) >= 14);
    const instances = resourcesOfType(production, T.instance);
    assert.ok(instances.length >= 2);
    assert.equal(new Set(instances.map((i) => i.inputs.availabilityZone)).size, instances.length);
    const cache = onlyResourceOfType(production, T.cacheGroup);
    assert.equal(cache.inputs.multiAzEnabled, true);
    assert.equal(cache.inputs.automaticFailoverEnabled, true);
  });

  it("dev: one NAT, one database instance and a single small cache node", () => {
    assert.equal(resourcesOfType(dev, T.nat).length, 1);
    assert.equal(resourcesOfType(dev, T.instance).length, 1);
    const devCluster = onlyResourceOfType(dev, T.cluster).inputs.serverlessv2ScalingConfiguration as { maxCapacity: number };
    const prodCluster = onlyResourceOfType(production, T.cluster).inputs.serverlessv2ScalingConfiguration as { maxCapacity: number };
    assert.ok(devCluster.maxCapacity < prodCluster.maxCapacity);
    assert.equal(onlyResourceOfType(dev, T.cacheGroup).inputs.numCacheClusters, 1);
  });
});

describe("data tier: third-party secrets", () => {
  const values = { SENTRY_DSN: "https://abc@o1.ingest.sentry.io/1", STRIPE_SECRET_KEY: "sk_live_do_not_leak" };
  let run: ProgramRun;
  before(async () => {
    run = await runDataTier("production", { set: { thirdPartySecrets: values }, secret: ["thirdPartySecrets"] });
  });

  it("stores each entry as its own encrypted Secrets Manager secret with a secret value", () => {
    for (const [envName, value] of Object.entries(values)) {
      const secret = resourcesOfType(run, T.secret).find((s) => s.inputs.name === `readiness/production/${envName}`);
      assert.ok(secret, envName);
      const version = resourcesOfType(run, T.secretVersion).find((v) => v.inputs.secretId === secret.state.id);
      assert.equal(version?.inputs.secretString, value);
      assert.ok(version?.secretPaths.includes("secretString"));
    }
  });

  it("exports the ARNs by name and never the values", () => {
    const arns = run.outputs.thirdPartySecretArns as Record<string, string>;
    assert.deepEqual(Object.keys(arns).sort(), Object.keys(values).sort());
    for (const arn of Object.values(arns)) assert.match(arn, /^arn:aws:secretsmanager:us-east-1:\d{12}:secret:readiness\/production\//);
    const exported = JSON.stringify(run.outputs);
    for (const value of Object.values(values)) assert.ok(!exported.includes(value));
  });
});

describe("subnetCidrs", () => {
  const ipToNumber = (ip: string) => ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
  const range = (cidr: string): [number, number] => {
    const [ip, prefix] = cidr.split("/");
    const start = ipToNumber(ip);
    return [start, start + 2 ** (32 - Number(prefix)) - 1];
  };

  it("carves equal, non-overlapping subnets inside the VPC for any /16-/20 and 1-4 AZs", () => {
    fc.assert(fc.property(
      fc.tuple(fc.integer({ min: 1, max: 223 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })),
      fc.integer({ min: 16, max: 20 }), fc.integer({ min: 1, max: 4 }),
      ([a, b, c], prefix, azCount) => {
        const vpc = `${a}.${b}.${c}.0/${prefix}`;
        const [vpcStart] = range(vpc);
        const aligned = vpcStart - (vpcStart % 2 ** (32 - prefix));
        const all = Object.values(subnetCidrs(vpc, azCount)).flat();
        assert.equal(all.length, 3 * azCount);
        const ranges = all.map(range).sort((x, y) => x[0] - y[0]);
        ranges.forEach(([start, end], i) => {
          assert.ok(start >= aligned && end <= aligned + 2 ** (32 - prefix) - 1, `${all[i]} inside ${vpc}`);
          if (i > 0) assert.ok(start > ranges[i - 1][1], "no overlap");
          assert.equal(end - start + 1, 2 ** (32 - prefix - 4));
        });
      },
    ));
  });

  it("refuses a VPC too small for the plan", () => {
    assert.throws(() => subnetCidrs("10.0.0.0/26", 3), /needs a \/24 or larger/);
  });
});
