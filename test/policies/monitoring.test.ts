import { alarm, alb, res } from "./resources.ts";
import { ruleCases } from "./rule-cases.ts";

ruleCases("monitoring", {
  "log-group-retention": {
    compliant: () => [res("aws:cloudwatch/logGroup:LogGroup", "lg", { retentionInDays: 30 })],
    noncompliant: { "forever": () => [res("aws:cloudwatch/logGroup:LogGroup", "lg", {})] },
  },
  "alb-5xx-and-latency-alarms": {
    compliant: () => [alb(), alarm("TargetResponseTime"), res("aws:cloudwatch/metricAlarm:MetricAlarm", "math", { metricQueries: [{ id: "e", metric: { metricName: "HTTPCode_ELB_5XX_Count", dimensions: { LoadBalancer: "app/alb/1" } } }] })],
    noncompliant: { "no 5xx alarm": () => [alb(), alarm("TargetResponseTime")], "latency alarm on another ALB": () => [alb(), alarm("HTTPCode_Target_5XX_Count"), alarm("TargetResponseTime", "app/other/2")] },
  },
});
