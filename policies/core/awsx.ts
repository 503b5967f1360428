import type { Props } from "./inputs.ts";
import { T } from "./resource-types.ts";

/** A resource as stack rules read it (`PolicyResource` fits); `component` marks a child judged from a component's inputs. */
export interface StackResource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly props: Props;
  readonly dependencies: readonly { readonly urn: string }[];
  readonly parent?: { readonly urn: string };
  /** The awsx component whose inputs this child was derived from; findings about the child are reported on it. */
  readonly component?: StackResource;
}

interface ChildSpec {
  readonly type: string;
  readonly name: string;
  readonly props: Props;
  /** Siblings (by type and name) this child takes an input from, as the real child would depend on them. */
  readonly uses?: ReadonlyArray<{ readonly type: string; readonly name: string }>;
}

const SG = T.securityGroup[0];
const LB = T.loadBalancer[0];
const LISTENER = T.listener[0];
const SERVICE = T.ecsService[0];
const TASK = T.taskDefinition[0];
const LOG_GROUP = T.logGroup[0];
const SUBNET = T.subnet[0];
const NAT = T.natGateway[0];
const ROLE = T.iamRole[0];

/**
 * What awsx 3 gives a load balancer or service when no security group is passed: every port open to the world
 * (awsx/lb/applicationLoadBalancer.ts and awsx/ecs/fargateService.ts, "we default to open SG rules").
 */
const AWSX_OPEN_GROUP: Props = {
  ingress: [{ fromPort: 0, toPort: 0, protocol: "-1", cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] }],
  egress: [{ fromPort: 0, toPort: 65535, protocol: "tcp", cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] }],
};

function isRecord(value: unknown): value is Props {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** awsx's getListenerProtocol: a missing protocol follows the port (443 means HTTPS), a missing port the protocol. */
function listenerProtocol(listener: Props | undefined, defaultPort?: unknown): Props {
  const port = listener?.port;
  const protocol = listener?.protocol;
  if (port !== undefined && protocol !== undefined) return { port, protocol };
  if (port !== undefined) return { port, protocol: port === 443 ? "HTTPS" : "HTTP" };
  if (protocol !== undefined) return { protocol, port: protocol === "HTTPS" ? 443 : 80 };
  return { port: defaultPort ?? 80, protocol: "HTTP" };
}

/** awsx:lb:ApplicationLoadBalancer: the load balancer, its default security group and its listeners. */
function applicationLoadBalancer(name: string, args: Props): ChildSpec[] {
  const { subnetIds: _ids, subnets: _subnets, defaultTargetGroup: _tg, defaultTargetGroupPort, defaultSecurityGroup, listener, listeners, ...lbArgs } = args;
  const children: ChildSpec[] = [];
  const defaultGroup = lbArgs.securityGroups === undefined && defaultSecurityGroup?.skip !== true && defaultSecurityGroup?.securityGroupId === undefined;
  if (defaultGroup) children.push({ type: SG, name, props: isRecord(defaultSecurityGroup?.args) ? defaultSecurityGroup.args : AWSX_OPEN_GROUP });
  children.push({ type: LB, name, props: { ...lbArgs, loadBalancerType: "application" }, uses: defaultGroup ? [{ type: SG, name }] : [] });
  const defaultActions = [{ type: "forward", targetGroupArn: `${name} default target group` }];
  const specs: Props[] = isRecord(listener)
    ? [{ defaultActions, ...listenerProtocol(listener, defaultTargetGroupPort), ...listener }]
    : Array.isArray(listeners)
      ? listeners.filter(isRecord).map((l) => ({ defaultActions, ...listenerProtocol(l), ...l }))
      : [{ defaultActions, ...listenerProtocol(undefined, defaultTargetGroupPort) }];
  return [...children, ...specs.map((props, i) => ({ type: LISTENER, name: `${name}-${i}`, props, uses: [{ type: LB, name }] }))];
}

/** The trust policy of awsx's task and execution roles (awsx/role.ts, defaultRoleAssumeRolePolicy). */
const ECS_TASKS_TRUST = JSON.stringify({ Version: "2012-10-17", Statement: [{ Action: "sts:AssumeRole", Principal: { Service: "ecs-tasks.amazonaws.com" }, Effect: "Allow", Sid: "" }] });

/**
 * awsx's defaultRoleWithPolicies: a role unless the program skips it or names an existing one, with the program's
 * `args` over the ECS tasks trust policy. Its `policyArns` become RolePolicyAttachments, which no rule inspects.
 */
function defaultRole(name: string, input: unknown): ChildSpec[] {
  if (isRecord(input) && (input.skip === true || input.roleArn !== undefined)) return [];
  const { policyArns: _p, ...args } = isRecord(input) && isRecord(input.args) ? input.args : {};
  const trust = args.assumeRolePolicy ?? ECS_TASKS_TRUST;
  return [{ type: ROLE, name, props: { ...args, assumeRolePolicy: typeof trust === "string" ? trust : JSON.stringify(trust) } }];
}

/** awsx:ecs:*TaskDefinition (and a service's `taskDefinitionArgs`): the task definition, its default log group and its task and execution roles. */
function taskDefinition(name: string, args: Props): ChildSpec[] {
  const { container, containers, logGroup, executionRole, taskRole, ...rest } = args;
  const byName: Props = isRecord(container) ? { [typeof container.name === "string" ? container.name : "container"]: container } : isRecord(containers) ? containers : {};
  const definitions = Object.entries(byName).sort(([a], [b]) => a.localeCompare(b)).map(([n, c]) => ({ ...(isRecord(c) ? c : {}), name: n }));
  const children: ChildSpec[] = [{ type: TASK, name, props: { ...rest, containerDefinitions: JSON.stringify(definitions) } }];
  if (logGroup?.skip !== true && logGroup?.existing === undefined) children.push({ type: LOG_GROUP, name, props: isRecord(logGroup?.args) ? logGroup.args : {} });
  return [...children, ...defaultRole(`${name}-task`, taskRole), ...defaultRole(`${name}-execution`, executionRole)];
}

/** awsx:ecs:FargateService / EC2Service: the service, Fargate's default network configuration, and the task definition. */
function service(name: string, args: Props, fargate: boolean): ChildSpec[] {
  const { taskDefinitionArgs, assignPublicIp, continueBeforeSteadyState: _c, useClusterDefaultCapacityProviderStrategy: _u, ...serviceArgs } = args;
  const children: ChildSpec[] = [];
  let networkConfiguration = serviceArgs.networkConfiguration;
  if (fargate && networkConfiguration === undefined) {
    children.push({ type: SG, name: `${name}-sg`, props: AWSX_OPEN_GROUP });
    networkConfiguration = { assignPublicIp: assignPublicIp ?? false, securityGroups: [`${name}-sg`] };
  }
  children.push({ type: SERVICE, name, props: { ...(fargate ? { desiredCount: 1 } : {}), ...serviceArgs, networkConfiguration } });
  return isRecord(taskDefinitionArgs) ? [...children, ...taskDefinition(name, taskDefinitionArgs)] : children;
}

/** awsx:ec2:Vpc: a public and a private subnet per AZ by default, NAT gateways per `natGateways.strategy` (OnePerAz by default). */
function vpc(name: string, args: Props): ChildSpec[] {
  const azs: string[] = Array.isArray(args.availabilityZoneNames)
    ? args.availabilityZoneNames.filter((z: unknown): z is string => typeof z === "string")
    : Array.from({ length: Number(args.numberOfAvailabilityZones) || 3 }, (_, i) => `${name} AZ ${i + 1}`);
  const specs: Props[] = Array.isArray(args.subnetSpecs) ? args.subnetSpecs.filter(isRecord) : [{ type: "Public" }, { type: "Private" }];
  const kinds = specs.map((s) => String(s.type ?? "").toLowerCase()).filter((k) => k !== "unused");
  const strategy = String(args.natGateways?.strategy ?? "OnePerAz").toLowerCase();
  return azs.flatMap((az, i) => {
    const subnets = kinds.map((kind): ChildSpec => ({
      type: SUBNET, name: `${name}-${kind}-${i + 1}`,
      props: { id: `${name}-${kind}-${i + 1}`, availabilityZone: az, mapPublicIpOnLaunch: kind === "public", subnetKind: kind },
    }));
    const publicSubnet = subnets.find((s) => s.props.subnetKind === "public");
    const nat = publicSubnet !== undefined && (strategy === "oneperaz" || (strategy === "single" && i === 0));
    return nat ? [...subnets, { type: NAT, name: `${name}-${i + 1}`, props: { subnetId: publicSubnet.props.id, connectivityType: "public" } }] : subnets;
  });
}

const EXPANSIONS: Record<string, { creates: readonly string[]; expand: (name: string, args: Props) => ChildSpec[] }> = {
  "awsx:lb:ApplicationLoadBalancer": { creates: [SG, LB, LISTENER], expand: applicationLoadBalancer },
  "awsx:ecs:FargateService": { creates: [SG, SERVICE, TASK, LOG_GROUP, ROLE], expand: (n, a) => service(n, a, true) },
  "awsx:ecs:EC2Service": { creates: [SERVICE, TASK, LOG_GROUP, ROLE], expand: (n, a) => service(n, a, false) },
  "awsx:ecs:FargateTaskDefinition": { creates: [TASK, LOG_GROUP, ROLE], expand: taskDefinition },
  "awsx:ecs:EC2TaskDefinition": { creates: [TASK, LOG_GROUP, ROLE], expand: taskDefinition },
  "awsx:ec2:Vpc": { creates: [SUBNET, NAT], expand: vpc },
};

/** The awsx component types judged from their inputs. */
export const JUDGED_COMPONENT_TYPES: readonly string[] = Object.keys(EXPANSIONS);

/** The awsx component types that create a resource of any of `types` (all spellings of a type token share its first alias). */
export function componentTypesCreating(types: readonly string[]): string[] {
  return Object.entries(EXPANSIONS).filter(([, e]) => e.creates.some((t) => types.includes(t))).map(([type]) => type);
}

/**
 * The children awsx components would create, derived from their inputs, for every component whose children the
 * stack does not hold. Under `pulumi preview` the engine registers the real children (parented to the component),
 * so nothing is derived and each problem is reported once, on the child; under the gate's mocks a remote
 * component registers alone and this is the only way to see what it will create.
 */
export function componentChildren(resources: readonly StackResource[]): StackResource[] {
  const parents = new Set(resources.map((r) => r.parent?.urn).filter((u): u is string => u !== undefined));
  return resources.filter((c) => EXPANSIONS[c.type] !== undefined && !parents.has(c.urn)).flatMap((component) => {
    const specs = EXPANSIONS[component.type].expand(component.name, isRecord(component.props) ? { ...component.props } : {});
    const urnOf = (s: { type: string; name: string }) => `${component.urn}$${s.type}::${s.name}`;
    return specs.map((s): StackResource => ({
      type: s.type, name: s.name, urn: urnOf(s), props: s.props, component, parent: { urn: component.urn },
      // A child takes the component's dependencies (its inputs) and its siblings'; others depend on the component.
      dependencies: [...component.dependencies, ...(s.uses ?? []).map((u) => ({ urn: urnOf(u) }))],
    }));
  });
}

/** The stack as stack rules judge it: every resource, plus what childless awsx components would create. */
export function withComponentChildren<R extends StackResource>(resources: readonly R[]): Array<R | StackResource> {
  return [...resources, ...componentChildren(resources)];
}

/** A resource's own URN, or its component's for a child derived from a component's inputs. */
export function reportedUrn(resource: StackResource): string {
  return resource.component?.urn ?? resource.urn;
}

/** " (judged from the inputs of ...)" for a derived child, "" for a resource the stack holds. */
export function origin(resource: StackResource): string {
  const c = resource.component;
  return c === undefined ? "" : ` (judged from the inputs of ${c.type} ${c.name}, which creates ${resource.type} ${resource.name})`;
}
