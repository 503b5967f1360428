import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** AWS managed rule groups every WebACL runs, in evaluation order (cheapest, most decisive first). */
export const MANAGED_RULE_GROUPS = [
  "AWSManagedRulesAmazonIpReputationList",
  "AWSManagedRulesKnownBadInputsRuleSet",
  "AWSManagedRulesCommonRuleSet",
  "AWSManagedRulesSQLiRuleSet",
] as const;

/** The path prefix only allow-listed source addresses may reach. */
export const ADMIN_PATH_PREFIX = "/admin";
/** WAF rate limits count over this window (seconds). */
export const RATE_LIMIT_WINDOW_SECONDS = 300;

export interface FirewallArgs {
  /** The load balancer the WebACL protects. */
  readonly loadBalancerArn: pulumi.Input<string>;
  /** Source CIDRs allowed to reach `/admin`; empty means nobody can. */
  readonly adminAllowCidrs: readonly string[];
  /** Requests per source IP per 5 minutes before WAF blocks it. */
  readonly rateLimit: number;
  readonly logRetentionDays: number;
  /** Encrypts the WAF log group. */
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * A regional WAFv2 WebACL in front of the ALB: IP reputation, known bad inputs, common and SQLi
 * rule sets, a per-IP rate limit, and an `/admin` allow-list on the real source address.
 */
export class Firewall extends pulumi.ComponentResource {
  readonly webAclArn: pulumi.Output<string>;
  /** The CloudWatch `WebACL` dimension of AWS/WAFV2 metrics. */
  readonly webAclName: pulumi.Output<string>;
  readonly logGroupName: pulumi.Output<string>;

  constructor(name: string, args: FirewallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("readiness:app:Firewall", name, {}, opts);
    const parent = { parent: this };

    const adminAllowList = new aws.wafv2.IpSet(`${name}-admin-allow`, {
      scope: "REGIONAL", ipAddressVersion: "IPV4", addresses: [...args.adminAllowCidrs],
      description: "Source addresses allowed to reach the admin site", tags: args.tags,
    }, parent);

    const acl = new aws.wafv2.WebAcl(`${name}-acl`, {
      scope: "REGIONAL",
      description: "Edge protection for the application load balancer",
      defaultAction: { allow: {} },
      visibilityConfig: visibility(`${name}-acl`),
      rules: webAclRules(name, adminAllowList.arn, args.rateLimit),
      tags: args.tags,
    }, parent);
    this.webAclArn = acl.arn;
    this.webAclName = acl.name;

    new aws.wafv2.WebAclAssociation(`${name}-alb`, { resourceArn: args.loadBalancerArn, webAclArn: acl.arn }, parent);

    // WAF only delivers to log groups whose name starts with `aws-waf-logs-`.
    const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, {
      namePrefix: "aws-waf-logs-", retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn, tags: args.tags,
    }, parent);
    this.logGroupName = logGroup.name;
    new aws.wafv2.WebAclLoggingConfiguration(`${name}-logging`, {
      resourceArn: acl.arn,
      logDestinationConfigs: [logGroup.arn],
      // Session cookies and bearer tokens must never land in logs.
      redactedFields: [{ singleHeader: { name: "authorization" } }, { singleHeader: { name: "cookie" } }],
    }, parent);

    this.registerOutputs({ webAclArn: this.webAclArn, webAclName: this.webAclName, logGroupName: this.logGroupName });
  }
}

function visibility(metricName: string): aws.types.input.wafv2.WebAclVisibilityConfig {
  return { cloudwatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true };
}

/** The WebACL's rules in priority order: admin allow-list, managed groups, then the rate limit. */
export function webAclRules(name: string, adminIpSetArn: pulumi.Input<string>, rateLimit: number): aws.types.input.wafv2.WebAclRule[] {
  const admin: aws.types.input.wafv2.WebAclRule = {
    name: "admin-allow-list",
    priority: 0,
    action: { block: {} },
    statement: {
      andStatement: {
        statements: [
          {
            byteMatchStatement: {
              fieldToMatch: { uriPath: {} },
              positionalConstraint: "STARTS_WITH",
              searchString: ADMIN_PATH_PREFIX,
              // Decode and normalise first, as Django does, so `/%61dmin` or `//admin/` cannot slip past.
              textTransformations: [
                { priority: 0, type: "URL_DECODE" },
                { priority: 1, type: "NORMALIZE_PATH" },
                { priority: 2, type: "LOWERCASE" },
              ],
            },
          },
          // The connection's source address, never X-Forwarded-For, which any client can forge.
          { notStatement: { statement: { ipSetReferenceStatement: { arn: adminIpSetArn } } } },
        ],
      },
    },
    visibilityConfig: visibility(`${name}-admin-allow-list`),
  };
  const managed = MANAGED_RULE_GROUPS.map((group, i): aws.types.input.wafv2.WebAclRule => ({
    name: group,
    priority: i + 1,
    overrideAction: { none: {} },
    statement: { managedRuleGroupStatement: { vendorName: "AWS", name: group } },
    visibilityConfig: visibility(`${name}-${group}`),
  }));
  const rate: aws.types.input.wafv2.WebAclRule = {
    name: "rate-limit-per-ip",
    priority: MANAGED_RULE_GROUPS.length + 1,
    action: { block: {} },
    statement: { rateBasedStatement: { limit: rateLimit, aggregateKeyType: "IP", evaluationWindowSec: RATE_LIMIT_WINDOW_SECONDS } },
    visibilityConfig: visibility(`${name}-rate-limit-per-ip`),
  };
  return [admin, ...managed, rate];
}
