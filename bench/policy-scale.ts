// Synthetic stacks of 1,000 / 10,000 / 50,000 resources through every readiness rule, via the same
// harness the gate uses. Prints resources/s, the 10k/1k time ratio (linearity) and memory.
import { performance } from "node:perf_hooks";
import { readinessRules } from "../policies/rules/catalog.ts";
import { loadPackConfig } from "../gate/pack-config.ts";
import { runPolicies, type AnalyzedResource } from "../gate/policy-harness.ts";

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

function stack(size: number): AnalyzedResource[] {
  const resources: AnalyzedResource[] = [];
  for (let i = 0; resources.length < size; i++) resources.push(...cell(i));
  return resources.slice(0, size);
}

const config = await loadPackConfig("production", readinessRules);
const policies = [...readinessRules];
const timings = new Map<number, number>();
// Warm-up so the first measured size does not pay for JIT compilation.
await runPolicies(policies, stack(1_000), { config, recordNotApplicable: false });

for (const size of [1_000, 10_000, 50_000]) {
  const resources = stack(size);
  const start = performance.now();
  const { findings } = await runPolicies(policies, resources, { config, recordNotApplicable: false });
  const ms = performance.now() - start;
  timings.set(size, ms);
  const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
  console.log(`${String(size).padStart(6)} resources x ${policies.length} rules: ${ms.toFixed(0).padStart(6)} ms, ${Math.round(size / (ms / 1000)).toLocaleString("en-US")} resources/s, ${findings.length} findings, heap ${heapMb.toFixed(0)} MB, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
}
const ratio = timings.get(10_000)! / timings.get(1_000)!;
const tenK = timings.get(10_000)!;
console.log(`10k/1k time ratio: ${ratio.toFixed(2)} (target <= 12); 10k in ${tenK.toFixed(0)} ms (target < 1000 ms)`);
if (ratio > 12 || tenK >= 1000) process.exitCode = 1;
