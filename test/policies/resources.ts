// Resources as the policy harness (and the engine) hands them to rules, for the per-area rule tests.
import * as policyProxy from "@pulumi/policy/proxy.js";
import type { AnalyzedResource } from "../../gate/policy-harness.ts";

/** The sentinel the host's deserializer puts where a preview value is unknown (marked @internal in the typings). */
export const { unknownStringValue } = policyProxy as unknown as { unknownStringValue: string };

let seq = 0;
export function res(type: string, name: string, inputs: Record<string, unknown>, state: Record<string, unknown> = {}): AnalyzedResource {
  return { urn: `urn:pulumi:test::p::${type}::${name}#${++seq}`, type, name, inputs, outputs: { ...inputs, ...state } };
}
export const using = (r: AnalyzedResource, ...on: AnalyzedResource[]): AnalyzedResource => ({ ...r, dependencies: [...(r.dependencies ?? []), ...on.map((o) => o.urn)] });

type Env = Array<{ name: string; value: string }>;
export const DIGEST = `sha256:${"a".repeat(64)}`;
export const djangoEnv = (overrides: Record<string, string> = {}): Env => Object.entries({
  DJANGO_SETTINGS_MODULE: "config.settings.production", DEBUG: "False", ALLOWED_HOSTS: "app.example.com",
  CORS_ALLOWED_ORIGINS: "https://app.example.com", RATE_LIMIT_ENABLED: "true", DATABASE_HOST: "db", ...overrides,
}).map(([name, value]) => ({ name, value }));
export const task = (environment: Env, image = `repo@${DIGEST}`) => res("aws:ecs/taskDefinition:TaskDefinition", "task", {
  containerDefinitions: JSON.stringify([{ name: "web", image, environment, secrets: [{ name: "SECRET_KEY", valueFrom: "arn:aws:secretsmanager:us-east-1:1:secret:k" }] }]),
});
export const alb = (inputs: Record<string, unknown> = {}) => res("aws:lb/loadBalancer:LoadBalancer", "alb", {
  loadBalancerType: "application", internal: false, dropInvalidHeaderFields: true, accessLogs: { bucket: "logs", enabled: true }, ...inputs,
}, { arn: "arn:lb/app/alb/1", arnSuffix: "app/alb/1" });
export const alarm = (metricName: string, lb = "app/alb/1") => res("aws:cloudwatch/metricAlarm:MetricAlarm", `alarm-${metricName}`, { metricName, dimensions: { LoadBalancer: lb } });
export const subnet = (name: string, az: string, inputs: Record<string, unknown> = {}) => res("aws:ec2/subnet:Subnet", name, { availabilityZone: az, ...inputs }, { id: `subnet-${name}` });
export const nat = (name: string, subnetName: string) => res("aws:ec2/natGateway:NatGateway", name, { subnetId: `subnet-${subnetName}` });
export const ecsService = (subnets: string[], extra: Record<string, unknown> = {}) => res("aws:ecs/service:Service", "svc", { networkConfiguration: { subnets: subnets.map((s) => `subnet-${s}`), assignPublicIp: false }, ...extra });
export const sg = (name: string, ingress: Array<Record<string, unknown>>) => res("aws:ec2/securityGroup:SecurityGroup", name, { ingress }, { id: `sg-${name}` });
export const webIngress = [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }];
/** The inputs of an RDS instance that every rds-instance rule accepts. */
export const READY_RDS_INSTANCE = { engine: "postgres", storageEncrypted: true, publiclyAccessible: false, deletionProtection: true, backupRetentionPeriod: 14, multiAz: true };
export const rdsInstance = (inputs: Record<string, unknown> = {}) => res("aws:rds/instance:Instance", "db", { ...READY_RDS_INSTANCE, ...inputs });
/** The inputs of an EC2 instance that every ec2 rule accepts. */
export const READY_EC2 = { metadataOptions: { httpTokens: "required" }, rootBlockDevice: { encrypted: true }, associatePublicIpAddress: false };
export const ec2 = (inputs: Record<string, unknown> = {}) => res("aws:ec2/instance:Instance", "app", { ...READY_EC2, ...inputs });
export const accessLogs = { destinationArn: "arn:aws:logs:us-east-1:1:log-group:api", format: "$context.requestId" };
export const restStage = (inputs: Record<string, unknown> = {}) => res("aws:apigateway/stage:Stage", "prod", { restApi: "api-1", stageName: "prod", accessLogSettings: accessLogs, ...inputs }, { arn: "arn:stage/prod" });
export const bucket = () => res("aws:s3/bucket:Bucket", "media", {}, { id: "media-bucket", bucket: "media-bucket" });
