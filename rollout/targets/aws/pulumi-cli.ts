import { $ } from "zx";

export interface PulumiCliOptions {
  /** The stack every command targets (`-s`), e.g. `production` or `acme/readiness/production`. */
  readonly stack: string;
  /** The project directory (where Pulumi.yaml is). */
  readonly cwd: string;
  /** Executable name or path; tests put a stand-in named `pulumi` first on PATH. */
  readonly binary?: string;
  readonly env?: Readonly<Record<string, string>>;
}

export class PulumiCommandError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly outputTail: string,
  ) {
    super(`\`${command}\` ${exitCode === null ? "was killed" : `exited ${exitCode}`}${outputTail ? `:\n${outputTail}` : ""}`);
    this.name = "PulumiCommandError";
  }
}

const TAIL_LINES = 30;

/**
 * The Pulumi CLI calls the AWS rollout makes, through zx. Values passed are image references and weights,
 * never secrets, so the command lines are safe to quote in errors and reports. `--non-interactive` keeps a
 * prompt from hanging a CI job forever.
 */
export class PulumiCli {
  private readonly binary: string;

  constructor(private readonly options: PulumiCliOptions) {
    this.binary = options.binary ?? "pulumi";
  }

  get stack(): string {
    return this.options.stack;
  }

  private async run(args: readonly string[], signal?: AbortSignal): Promise<string> {
    const shell = $({
      cwd: this.options.cwd,
      env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true", ...this.options.env },
      nothrow: true,
      quiet: true,
      ...(signal ? { signal } : {}),
    });
    const output = await shell`${this.binary} ${args}`;
    if (output.exitCode !== 0) {
      const tail = output.stdall.trimEnd().split("\n").slice(-TAIL_LINES).join("\n");
      throw new PulumiCommandError([this.binary, ...args].join(" "), output.exitCode, tail);
    }
    return output.stdout;
  }

  /** `pulumi stack output --json`: plain outputs only (secrets stay `[secret]`; the rollout needs none). */
  async stackOutputs(signal?: AbortSignal): Promise<unknown> {
    const stdout = await this.run(["stack", "output", "--json", "-s", this.stack], signal);
    try {
      return JSON.parse(stdout) as unknown;
    } catch {
      throw new Error(`\`pulumi stack output --json -s ${this.stack}\` did not print JSON: ${stdout.slice(0, 200)}`);
    }
  }

  /** `pulumi config set --path <path> <value>`: the stack's config records what the rollout changed. */
  async setConfig(path: string, value: string | number, signal?: AbortSignal): Promise<void> {
    await this.run(["config", "set", "--path", path, String(value), "-s", this.stack, "--non-interactive"], signal);
  }

  /** `pulumi up --yes --skip-preview`: applies the stack's config; returns when the update finished. */
  async up(signal?: AbortSignal): Promise<void> {
    await this.run(["up", "--yes", "--skip-preview", "--non-interactive", "-s", this.stack], signal);
  }

  /** `pulumi preview --policy-pack <dir>`: exits non-zero when a mandatory policy is violated. */
  async previewWithPolicyPack(policyPackDir: string, signal?: AbortSignal): Promise<void> {
    await this.run(["preview", "--policy-pack", policyPackDir, "--non-interactive", "-s", this.stack], signal);
  }
}
