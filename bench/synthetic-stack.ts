// The synthetic stacks both policy benchmarks measure (in-process harness and real server).
import type { AnalyzedResource } from "../gate/policy-harness.ts";

const DIGEST = `sha256:${"0".repeat(64)}`;
/**
 * One "service cell" of realistic resources; a stack is N cells, so every rule has work at every size.
 * The bucket has no encryption configuration on purpose: one finding per cell keeps the reporting path measured.
 */
function cell(i: number): AnalyzedResource[] {
  const r = (type: string, name: string, inputs: Record<string, unknown>, extra: Record<string, unknown> = {}): AnalyzedResource =>
    ({ urn: `urn:pulumi:bench::p::${type}::${name}-${i}`, type, name: `${name}-${i}`, inputs, outputs: { ...inputs, ...extra } });
  const lbArn = `arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/alb-${i}/1`;
  return [
    r("aws:lb/loadBalancer:LoadBalancer", "alb", { loadBalancerType: "application", dropInvalidHeaderFields: true, accessLogs: { bucket: "logs", enabled: true }, tags: { team: "web" } }, { arn: lbArn, arnSuffix: `app/alb-${i}/1` }),
    r("aws:lb/listener:Listener", "https", { protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" }),
    r("aws:wafv2/webAclAssociation:WebAclAssociation", "assoc", { resourceArn: lbArn }),
    r("aws:cloudwatch/metricAlarm:MetricAlarm", "5xx", { metricName: "HTTPCode_Target_5XX_Count", dimensions: { LoadBalancer: `app/alb-${i}/1` } }),
    r("aws:cloudwatch/metricAlarm:MetricAlarm", "p95", { metricName: "TargetResponseTime", dimensions: { LoadBalancer: `app/alb-${i}/1` } }),
    r("aws:ecs/taskDefinition:TaskDefinition", "task", { containerDefinitions: JSON.stringify([{ name: "web", image: `repo@${DIGEST}`, environment: [{ name: "DEBUG", value: "False" }, { name: "DJANGO_SETTINGS_MODULE", value: "app.settings.production" }, { name: "ALLOWED_HOSTS", value: "app.example.com" }] }]) }),
    r("aws:ecs/service:Service", "svc", { networkConfiguration: { assignPublicIp: false }, deploymentCircuitBreaker: { enable: true, rollback: true } }),
    r("aws:s3/bucket:Bucket", "bucket", {}, { id: `bucket-${i}` }),
    r("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "pab", { bucket: `bucket-${i}`, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }),
    r("aws:cloudwatch/logGroup:LogGroup", "logs", { retentionInDays: 30 }),
  ];
}

/** A synthetic stack of `size` resources (whole cells, the last one cut). */
export function syntheticStack(size: number): AnalyzedResource[] {
  const resources: AnalyzedResource[] = [];
  for (let i = 0; resources.length < size; i++) resources.push(...cell(i));
  return resources.slice(0, size);
}
