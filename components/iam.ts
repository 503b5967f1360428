import * as pulumi from "@pulumi/pulumi";

/** One IAM policy statement; `Resource` always names what it applies to (never a bare `*` with `*`). */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action: string | readonly string[];
  readonly Resource: pulumi.Input<string> | readonly pulumi.Input<string>[];
  readonly Principal?: unknown;
  readonly Condition?: unknown;
}

/** A policy document whose resources may still be unknown (ARNs of resources being created). */
export function policyDocument(statements: readonly PolicyStatement[]): pulumi.Output<string> {
  return pulumi.output(statements).apply((resolved) => JSON.stringify({ Version: "2012-10-17", Statement: resolved }));
}

/** Trust policy that lets one AWS service assume the role. */
export function serviceTrustPolicy(service: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });
}

/** Refuses every request to `resource` that does not come over TLS (for a resource policy). */
export function denyInsecureTransport(action: string, resource: PolicyStatement["Resource"]): PolicyStatement {
  return { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: action, Resource: resource, Condition: { Bool: { "aws:SecureTransport": "false" } } };
}
