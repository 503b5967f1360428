import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyDocument, serviceTrustPolicy, type PolicyStatement } from "./iam.ts";

/** `<account>.dkr.ecr.<region>.amazonaws.com/<repo>[:tag|@digest]` -> the repository ARN; undefined elsewhere. */
export function ecrRepositoryArn(image: string): string | undefined {
  const match = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([^:@]+)/.exec(image);
  return match ? `arn:aws:ecr:${match[2]}:${match[1]}:repository/${match[3]}` : undefined;
}

export interface AppRolesArgs {
  /** Every image the tasks run; the execution role may pull from their ECR repositories only. */
  readonly images: readonly string[];
  /** The log groups the containers write to. */
  readonly logGroupArns: readonly pulumi.Input<string>[];
  /** Every secret ARN the containers reference (the execution role reads exactly these). */
  readonly secretArns: readonly pulumi.Input<string>[];
  /** The platform key: secrets, media and the outbox are encrypted with it. */
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly mediaBucketArn: pulumi.Input<string>;
  readonly outboxQueueArn: pulumi.Input<string>;
  readonly tags: Readonly<Record<string, string>>;
}

/** What `createAppRoles` creates. */
export interface AppRolesResources {
  readonly executionRole: aws.iam.Role;
  readonly executionPolicy: aws.iam.RolePolicy;
  readonly taskRole: aws.iam.Role;
  readonly taskPolicy: aws.iam.RolePolicy;
}

/**
 * The execution role is ECS's (pull the image, write logs, inject secrets); the task role is the application's
 * (media objects, the outbox queue). Neither can do what the other does. Children are named `${name}-suffix`.
 */
export function createAppRoles(name: string, args: AppRolesArgs, parent?: pulumi.Resource): AppRolesResources {
  const opts = { parent };
  const trust = serviceTrustPolicy("ecs-tasks.amazonaws.com");

  const repositories = [...new Set(args.images.map(ecrRepositoryArn).filter((arn): arn is string => arn !== undefined))];
  const executionRole = new aws.iam.Role(`${name}-execution`, { assumeRolePolicy: trust, description: "ECS: pull the image, write logs, inject secrets", tags: args.tags }, opts);
  const executionStatements: PolicyStatement[] = [
    ...(repositories.length > 0 ? [
      // GetAuthorizationToken has no resource-level permissions.
      { Sid: "EcrLogin", Effect: "Allow" as const, Action: "ecr:GetAuthorizationToken", Resource: "*" },
      { Sid: "PullImage", Effect: "Allow" as const, Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"], Resource: repositories },
    ] : []),
    { Sid: "WriteLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: args.logGroupArns.map((arn) => pulumi.interpolate`${arn}:*`) },
    { Sid: "ReadSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: args.secretArns },
    { Sid: "DecryptSecrets", Effect: "Allow", Action: "kms:Decrypt", Resource: args.kmsKeyArn },
  ];
  const executionPolicy = new aws.iam.RolePolicy(`${name}-execution-policy`, { role: executionRole.id, policy: policyDocument(executionStatements) }, opts);

  const taskRole = new aws.iam.Role(`${name}-task`, { assumeRolePolicy: trust, description: "The application: media objects and the outbox queue", tags: args.tags }, opts);
  const taskPolicy = new aws.iam.RolePolicy(`${name}-task-policy`, {
    role: taskRole.id,
    policy: policyDocument([
      { Sid: "MediaObjects", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: pulumi.interpolate`${args.mediaBucketArn}/*` },
      { Sid: "MediaList", Effect: "Allow", Action: "s3:ListBucket", Resource: args.mediaBucketArn },
      { Sid: "Outbox", Effect: "Allow", Action: ["sqs:SendMessage", "sqs:GetQueueAttributes"], Resource: args.outboxQueueArn },
      // Media and the outbox are encrypted with the platform key.
      { Sid: "UseKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: args.kmsKeyArn },
    ]),
  }, opts);
  return { executionRole, executionPolicy, taskRole, taskPolicy };
}

/** The two roles every application task uses (`createAppRoles`), as one component. */
export class AppRoles extends pulumi.ComponentResource {
  readonly executionRoleArn: pulumi.Output<string>;
  readonly taskRoleArn: pulumi.Output<string>;

  constructor(name: string, args: AppRolesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("readiness:app:AppRoles", name, {}, opts);
    const roles = createAppRoles(name, args, this);
    this.executionRoleArn = roles.executionRole.arn;
    this.taskRoleArn = roles.taskRole.arn;
    this.registerOutputs({ executionRoleArn: this.executionRoleArn, taskRoleArn: this.taskRoleArn });
  }
}
