import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config/platform-config.ts";
import { policyDocument, serviceTrustPolicy } from "./iam.ts";

export const DATABASE_PORT = 5432;

/** `16.6` -> `aurora-postgresql16`: parameter group families follow the engine's major version. */
export function parameterGroupFamily(engineVersion: string): string {
  const major = engineVersion.split(".")[0];
  if (!/^\d+$/.test(major)) throw new Error(`database.engineVersion ${engineVersion} has no major version`);
  return `aurora-postgresql${major}`;
}

/** Server-side guards and an audit trail of connections; `rds.force_ssl` refuses plaintext clients. */
export function clusterParameters(statementTimeoutMs: number): { name: string; value: string }[] {
  return [
    { name: "statement_timeout", value: String(statementTimeoutMs) },
    { name: "log_connections", value: "1" },
    { name: "log_disconnections", value: "1" },
    { name: "rds.force_ssl", value: "1" },
  ];
}

export interface DatabaseArgs {
  readonly database: PlatformConfig["database"];
  readonly isolatedSubnetIds: pulumi.Input<string>[];
  /** AZs the instances are spread over, in order (instance `i` goes to AZ `i mod n`). */
  readonly availabilityZones: pulumi.Input<string[]>;
  readonly dbSecurityGroupId: pulumi.Input<string>;
  readonly proxySecurityGroupId: pulumi.Input<string>;
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * Aurora PostgreSQL Serverless v2 in the isolated subnets, with its master password managed by RDS in
 * Secrets Manager (AWS rotates it; there is no rotation Lambda to run) and an RDS Proxy in front for
 * connection pooling, since every Fargate task and Lambda would otherwise hold its own connections.
 */
export class Database extends pulumi.ComponentResource {
  readonly clusterIdentifier: pulumi.Output<string>;
  readonly clusterArn: pulumi.Output<string>;
  readonly endpoint: pulumi.Output<string>;
  readonly readerEndpoint: pulumi.Output<string>;
  readonly port: number = DATABASE_PORT;
  readonly databaseName: string;
  readonly masterUsername: string;
  /** The RDS-managed secret holding the master credentials (ARN only). */
  readonly masterSecretArn: pulumi.Output<string>;
  readonly proxyEndpoint: pulumi.Output<string>;
  readonly proxyArn: pulumi.Output<string>;
  readonly instanceIdentifiers: pulumi.Output<string>[];

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("readiness:data:Database", name, {}, opts);
    const parent = { parent: this };
    const db = args.database;
    this.databaseName = "app";
    this.masterUsername = "app_admin";

    const subnetGroup = new aws.rds.SubnetGroup(`${name}-subnets`, {
      description: "Isolated subnets: no route to or from the internet", subnetIds: args.isolatedSubnetIds, tags: args.tags,
    }, parent);
    const parameterGroup = new aws.rds.ClusterParameterGroup(`${name}-params`, {
      family: parameterGroupFamily(db.engineVersion), description: "statement timeout, connection logging, TLS only",
      parameters: clusterParameters(db.statementTimeoutMs), tags: args.tags,
    }, parent);

    const cluster = new aws.rds.Cluster(`${name}-cluster`, {
      engine: "aurora-postgresql", engineMode: "provisioned", engineVersion: db.engineVersion,
      databaseName: this.databaseName, masterUsername: this.masterUsername,
      manageMasterUserPassword: true, masterUserSecretKmsKeyId: args.kmsKeyArn,
      storageEncrypted: true, kmsKeyId: args.kmsKeyArn,
      iamDatabaseAuthenticationEnabled: true,
      dbSubnetGroupName: subnetGroup.name, vpcSecurityGroupIds: [args.dbSecurityGroupId],
      dbClusterParameterGroupName: parameterGroup.name, port: DATABASE_PORT,
      serverlessv2ScalingConfiguration: { minCapacity: db.minCapacity, maxCapacity: db.maxCapacity },
      backupRetentionPeriod: db.backupRetentionDays, preferredBackupWindow: "03:00-04:00",
      preferredMaintenanceWindow: "sun:04:30-sun:05:30", copyTagsToSnapshot: true,
      // A protected database is one worth a final snapshot; an unprotected (dev) one is disposable.
      deletionProtection: db.deletionProtection, skipFinalSnapshot: !db.deletionProtection,
      finalSnapshotIdentifier: db.deletionProtection ? `${name}-final` : undefined,
      enabledCloudwatchLogsExports: ["postgresql"],
      tags: args.tags,
    }, parent);
    this.clusterIdentifier = cluster.clusterIdentifier;
    this.clusterArn = cluster.arn;
    this.endpoint = cluster.endpoint;
    this.readerEndpoint = cluster.readerEndpoint;
    this.masterSecretArn = cluster.masterUserSecrets.apply((secrets) => {
      const arn = secrets?.[0]?.secretArn;
      if (!arn) throw new Error("the cluster reported no managed master user secret");
      return arn;
    });

    const azs = pulumi.output(args.availabilityZones);
    this.instanceIdentifiers = Array.from({ length: db.instances }, (_, i) => new aws.rds.ClusterInstance(`${name}-instance-${i + 1}`, {
      clusterIdentifier: cluster.id, instanceClass: "db.serverless",
      engine: "aurora-postgresql", engineVersion: cluster.engineVersion,
      availabilityZone: azs.apply((names) => names[i % names.length]),
      dbSubnetGroupName: subnetGroup.name, publiclyAccessible: false,
      performanceInsightsEnabled: true, performanceInsightsKmsKeyId: args.kmsKeyArn, performanceInsightsRetentionPeriod: 7,
      autoMinorVersionUpgrade: true, promotionTier: i, tags: args.tags,
    }, parent).identifier);

    const proxyRole = new aws.iam.Role(`${name}-proxy-role`, {
      assumeRolePolicy: serviceTrustPolicy("rds.amazonaws.com"),
      tags: args.tags,
    }, parent);
    new aws.iam.RolePolicy(`${name}-proxy-secret-access`, {
      role: proxyRole.id,
      policy: policyDocument([
        { Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Resource: this.masterSecretArn },
        { Effect: "Allow", Action: "kms:Decrypt", Resource: args.kmsKeyArn, Condition: { StringEquals: { "kms:ViaService": "secretsmanager.amazonaws.com" } } },
      ]),
    }, parent);
    const proxy = new aws.rds.Proxy(`${name}-proxy`, {
      engineFamily: "POSTGRESQL", requireTls: true, roleArn: proxyRole.arn,
      vpcSubnetIds: args.isolatedSubnetIds, vpcSecurityGroupIds: [args.proxySecurityGroupId],
      // Clients log in with the secret's credentials (the application tier injects them), which the
      // proxy checks against the secret; requiring IAM tokens here would lock those clients out.
      auths: [{ authScheme: "SECRETS", iamAuth: "DISABLED", secretArn: this.masterSecretArn, description: "RDS-managed master credentials" }],
      idleClientTimeout: 1800, tags: args.tags,
    }, parent);
    new aws.rds.ProxyDefaultTargetGroup(`${name}-proxy-targets`, {
      dbProxyName: proxy.name,
      connectionPoolConfig: { maxConnectionsPercent: 90, maxIdleConnectionsPercent: 50, connectionBorrowTimeout: 120 },
    }, parent);
    new aws.rds.ProxyTarget(`${name}-proxy-target`, {
      dbProxyName: proxy.name, targetGroupName: "default", dbClusterIdentifier: cluster.clusterIdentifier,
    }, parent);
    this.proxyEndpoint = proxy.endpoint;
    this.proxyArn = proxy.arn;

    this.registerOutputs({
      clusterArn: this.clusterArn, endpoint: this.endpoint, readerEndpoint: this.readerEndpoint,
      proxyEndpoint: this.proxyEndpoint, masterSecretArn: this.masterSecretArn,
    });
  }
}
